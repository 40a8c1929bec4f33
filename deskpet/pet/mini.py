"""Mini mode's geometry: the pet tucked half behind a side edge of its screen, peeking out.

Pure arithmetic on `Box`es (x, y, width, height in px, like Qt's QRect without the off-by-one
right edge), so every edge is tested without a display. The window decides *when* (a drop near
an edge, the menu, a click to leave); this module decides *where*.
"""

from __future__ import annotations

from dataclasses import dataclass

LEFT = "left"
RIGHT = "right"
EDGES = (LEFT, RIGHT)
# A drop this close (px) to a side edge, or past it, tucks the pet in.
SNAP_PX = 12
# How much of the pet's width shows: tucked, and peeking when the pointer comes near.
TUCKED = 0.5
PEEK = 0.72
# The pointer within this many px of the tucked pet makes it peek.
NEAR_PX = 48


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        """One past the last column (x + width)."""
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height


def edge_at(pet: Box, area: Box, snap: int = SNAP_PX) -> str | None:
    """The side edge a pet dropped at `pet` touches ("left"/"right"), or None."""
    if pet.x <= area.x + snap:
        return LEFT
    if pet.right >= area.right - snap:
        return RIGHT
    return None


def tucked(pet: Box, area: Box, edge: str, showing: float = TUCKED) -> tuple[int, int]:
    """Top-left for the pet at `edge` with `showing` of its width on screen; y stays in `area`."""
    visible = round(pet.width * showing)
    x = area.x - (pet.width - visible) if edge == LEFT else area.right - visible
    y = min(max(pet.y, area.y), max(area.y, area.bottom - pet.height))
    return x, y


def left_mini(pet: Box, area: Box, edge: str) -> tuple[int, int]:
    """Top-left for the pet fully back on screen beside the edge it was tucked at."""
    x = area.x if edge == LEFT else area.right - pet.width
    y = min(max(pet.y, area.y), max(area.y, area.bottom - pet.height))
    return x, y


def near(pet: Box, x: int, y: int, reach: int = NEAR_PX) -> bool:
    """Whether the point (x, y) is within `reach` px of the pet's box."""
    dx = max(pet.x - x, 0, x - pet.right)
    dy = max(pet.y - y, 0, y - pet.bottom)
    return max(dx, dy) <= reach
