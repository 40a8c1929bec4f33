"""How the pet answers the owner's hands: pokes that add up, and a drag that shows its direction.

Both are pure and clock-driven (times in seconds, positions in px), so tests need no Qt.
`PokeCount` turns quick clicks into an escalating reaction; `DragDirection` reads the pointer's
horizontal travel during a drag and changes its answer only after a real turn, so jitter at a
standstill or a wobble of a few pixels never flips the pet back and forth.
"""

from __future__ import annotations

from dataclasses import dataclass

POKED = ""  # the state's plain animation: one startled poke
ANNOYED = "annoyed"
FLAIL = "flail"
LEFT = "left"
RIGHT = "right"


@dataclass(frozen=True)
class PokeTimings:
    """A poke within `gap` seconds of the previous one continues the series; `annoyed_at` and
    `flail_at` are the series lengths that escalate."""

    gap: float = 1.0
    annoyed_at: int = 2
    flail_at: int = 4


class PokeCount:
    """Counts a series of quick pokes. `poke(now)` returns the reaction's variant."""

    def __init__(self, timings: PokeTimings | None = None) -> None:
        self._timings = timings or PokeTimings()
        self.count = 0
        self._last: float | None = None

    def poke(self, now: float) -> str:
        t = self._timings
        if self._last is None or now - self._last > t.gap:
            self.count = 0
        self.count += 1
        self._last = now
        if self.count >= t.flail_at:
            return FLAIL
        if self.count >= t.annoyed_at:
            return ANNOYED
        return POKED


@dataclass(frozen=True)
class DragTimings:
    """`turn_px`: travel against the shown direction that turns it; `hold`: seconds a direction
    stays at least, so a zig-zag shows as a few clear turns instead of a strobe."""

    turn_px: float = 24.0
    hold: float = 0.35


class DragDirection:
    """The direction a carried pet faces: "" (straight down), "left" or "right".

    Call `start(x, now)` on pick-up and `move(x, now)` for each pointer position. The answer
    changes when the pointer has gone `turn_px` the other way since its farthest point in the
    current direction, and the current direction has shown for `hold` seconds.
    """

    def __init__(self, timings: DragTimings | None = None) -> None:
        self._timings = timings or DragTimings()
        self.direction = ""
        self._extreme = 0.0  # farthest x reached in the shown direction (the turn's origin)
        self._since = 0.0

    def start(self, x: float, now: float) -> str:
        self.direction = ""
        self._extreme = x
        self._since = now
        return self.direction

    def move(self, x: float, now: float) -> str:
        t = self._timings
        d = self.direction
        # Keep the extreme in the shown direction; from a standstill, both ways count.
        if d == RIGHT:
            self._extreme = max(self._extreme, x)
        elif d == LEFT:
            self._extreme = min(self._extreme, x)
        travel = x - self._extreme
        want = RIGHT if travel >= t.turn_px else LEFT if travel <= -t.turn_px else d
        if want != d and now - self._since >= t.hold:
            self.direction = want
            self._extreme = x
            self._since = now
        return self.direction
