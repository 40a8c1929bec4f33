"""Where the eyes look: the pointer's direction from the pet's eyes, as one of eight frames.

Pure: the window passes the eye point and the pointer in screen px. The answer is a frame index
into a theme's "look" animation (0 = right, then counter-clockwise in 45-degree steps: 2 = up,
4 = left, 6 = down), or None when the pointer is too close (right over the face) or too far
to be watched. A dead zone around each boundary keeps the eyes still while the pointer hovers
on it.
"""

from __future__ import annotations

import math

DIRECTIONS = 8
NEAR_PX = 24  # closer than this: the pointer is on the face, look ahead
FAR_PX = 420  # farther than this: not interesting, look ahead
HYSTERESIS_DEG = 8.0


def look_index(
    eye: tuple[float, float],
    pointer: tuple[float, float],
    current: int | None = None,
    near: float = NEAR_PX,
    far: float = FAR_PX,
) -> int | None:
    dx = pointer[0] - eye[0]
    dy = eye[1] - pointer[1]  # screen y grows downwards; up is positive here
    distance = math.hypot(dx, dy)
    if distance < near or distance > far:
        return None
    angle = math.degrees(math.atan2(dy, dx)) % 360.0
    step = 360.0 / DIRECTIONS
    if current is not None:
        centre = current * step
        off = (angle - centre + 180.0) % 360.0 - 180.0
        if abs(off) <= step / 2 + HYSTERESIS_DEG:
            return current
    return round(angle / step) % DIRECTIONS
