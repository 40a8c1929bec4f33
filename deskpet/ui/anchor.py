"""BesidePet: a window that stands beside the pet window and follows it when it moves.

The bubble, the sessions list and the permission cards are each told once which window the pet
is (`anchor_to`) and, whenever the pet moves, `follow_anchor`; each says how it stands beside
the pet in its own `place_beside(pet, screen)` (placement.py's rule, with its own side and
height).
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QWidget

from deskpet.ui.placement import pet_body, screen_of


class BesidePet:
    """Mixin for a QWidget placed beside the pet window (put it before QWidget in the bases).

    Attributes:
        _anchor: the pet window, once `anchor_to` was called, else None.
    """

    _anchor: QWidget | None = None

    def anchor_to(self, pet: QWidget) -> None:
        """Stand beside this window (the pet)."""
        self._anchor = pet

    def follow_anchor(self) -> None:
        """The pet moved: stand beside it again, if this window is showing."""
        if self.isVisible():
            self.stand_beside_pet()

    def stand_beside_pet(self) -> None:
        """Stand beside the pet now (shown or about to be); nothing before `anchor_to`."""
        if self._anchor is not None:
            self.place_beside(*self._pet_rects())

    def place_beside(self, pet: QRect, screen: QRect | None = None) -> None:
        raise NotImplementedError

    def _pet_rects(self) -> tuple[QRect | None, QRect | None]:
        """(the pet's body, the available area of its screen), or (None, None) unanchored."""
        if self._anchor is None:
            return None, None
        window = self._anchor.frameGeometry()
        screen = screen_of(window, self._anchor)
        return pet_body(window, screen), screen
