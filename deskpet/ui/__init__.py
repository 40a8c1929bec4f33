"""Everything Qt: the pet window, its sprite player and themes, the bubble, the tray menu."""
