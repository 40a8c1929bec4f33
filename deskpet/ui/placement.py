"""Where a window stands beside the pet: the bubble, the sessions list and the permission cards
share one rule, so they pick their side and stay on screen the same way.

They stand beside the pet's window (which takes presses, so nothing may overlap it) at the
height of its body (`pet_body`): the frames have transparent margins that grow with the pet's
size, and the bubble's tail points at the face at every size.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

FALLBACK_SCREEN = QRect(0, 0, 1440, 900)  # no screen at all (never on a desktop)
# The body's band in a frame, as fractions of its height (top, bottom): the shipped art's
# ears, body and feet stay inside it in every state.
BODY = (0.27, 0.88)


def pet_body(window: QRect, screen: QRect | None = None) -> QRect:
    """The pet window's columns at the height of its body (scaled with the pet's size); with
    `screen`, only the part on it (a pet tucked into an edge in mini mode)."""
    top, bottom = BODY
    h = window.height()
    body = QRect(window.x(), window.y() + round(h * top), window.width(), round(h * (bottom - top)))
    if screen is not None and screen.intersects(body):
        body = body.intersected(screen)
    return body


def screen_of(pet: QRect, anchor: QWidget | None = None) -> QRect:
    """The available area of the screen the pet is on."""
    where = QGuiApplication.screenAt(pet.center())
    if where is None:
        where = anchor.screen() if anchor is not None else QGuiApplication.primaryScreen()
    return where.availableGeometry() if where is not None else QRect(FALLBACK_SCREEN)


def beside(
    pet: QRect, screen: QRect, width: int, height: int, *, top: int, gap: int, prefer: str
) -> tuple[QPoint, str]:
    """The top-left corner for a `width` x `height` window beside `pet` with its top at `top`
    (moved to stay on `screen`), and the side it takes: `prefer` ("left" or "right") when
    there is room for it or no less room than on the other side."""
    room = {"right": screen.right() - pet.right(), "left": pet.left() - screen.left()}
    other = "left" if prefer == "right" else "right"
    fits = room[prefer] >= width + gap or room[prefer] >= room[other]
    side = prefer if fits else other
    x = pet.right() + gap if side == "right" else pet.left() - gap - width
    x = min(max(x, screen.left()), max(screen.left(), screen.right() - width))
    y = min(max(top, screen.top()), max(screen.top(), screen.bottom() - height))
    return QPoint(x, y), side
