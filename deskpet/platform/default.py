"""The do-nothing platform: plain Qt window flags are all deskpet uses where it has no tricks.

Without native click-through, a press on a transparent pixel still reaches the pet window; the
window rejects it itself (PetWindow hit-tests the sprite's alpha), so it never pokes the pet,
but the click does not reach the window below either.

Sounds: Qt Essentials has no audio playback (QtMultimedia is not in PySide6-Essentials), so
`play_sound` here only asks for the system's alert beep (`QApplication.beep()`), which many
Linux desktops ignore. The Mac plays the real file (macos.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QPoint
from PySide6.QtWidgets import QApplication, QWidget

from deskpet.bridge.terminal import JumpResult, Terminal
from deskpet.i18n import N_
from deskpet.platform.hotkeys import HotKeys

# Answers "is the pet opaque at this global (screen) point?"
HitTest = Callable[[QPoint], bool]


class DefaultPlatform:
    """Window tricks that do nothing.

    Attributes:
        name: "default" (or the subclass's platform).
        click_through: whether clicks on transparent pixels reach the window below.
    """

    name = "default"
    click_through = False
    # Shown beside the "Open at login" setting where it cannot take effect.
    launch_at_login_note = N_("macOS only: the setting is kept but does nothing here.")
    # Shown beside the shortcuts: here they are app-wide, not system-wide.
    shortcuts_note = N_("Here shortcuts work while a deskpet window is active.")
    # Shown beside "Start with an agent", which only the installed Mac app can do.
    start_with_agents_note = N_("macOS app only: the setting is kept but does nothing here.")

    def prepare_app(self, app: QApplication) -> None:
        """Once, after the QApplication exists (e.g. hide the Dock icon)."""

    def attach_pet_window(self, window: QWidget, is_opaque_at: HitTest) -> None:
        """Each time the pet window is shown: window level, Spaces, click-through."""

    def detach_pet_window(self, window: QWidget) -> None:
        """When the pet window hides or closes: stop anything attach started."""

    def play_sound(self, path: Path, volume: float = 1.0) -> None:
        """Play a short sound file once at `volume` (0.0-1.0), without waiting (here: the
        system beep, at the system's volume)."""
        QApplication.beep()

    def bring_to_front(self, window: QWidget) -> None:
        """Show a window (onboarding, Settings) in front of the other apps' windows."""
        window.show()
        window.raise_()
        window.activateWindow()

    def set_launch_at_login(self, on: bool) -> bool:
        """Register (or unregister) deskpet to open at login; False when it could not."""
        return False

    def go_to_terminal_app(self, terminal: Terminal) -> JumpResult | None:
        """Bring the app around an agent's terminal forward; None when there is no way here.

        Called off the GUI thread (it may wait for a scripting answer). Here: no way; a tmux
        pane is selected on every system by bridge/terminal.py itself.
        """
        return None

    def full_screen_app_active(self) -> bool:
        """Whether a full-screen app fills the screen now (the pet then never walks). Here:
        no way to tell, so never."""
        return False

    def hot_keys(self, parent: QObject | None = None) -> HotKeys:
        """The owner's shortcuts: here app-wide, firing while a deskpet window is active."""
        return HotKeys(parent)
