"""A walk now and then: while idle the pet sometimes strolls a short way along the bottom of its
screen and sits again.

`WalkPlanner` is pure: the UI passes the clock, the pet's x, the span it may use on its own
screen and whether anything forbids a walk (an agent at work, a card or the bubble open, a
full-screen app, mini mode, a drag); it answers with a `Step`. Walks are never started while
forbidden, and a walk in progress stops where it is the moment something forbids it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

LEFT = "left"
RIGHT = "right"


@dataclass(frozen=True)
class WalkTimings:
    """`every`: seconds of allowed idling between walks (a range picked from uniformly);
    `distance`: px walked; `speed`: px per second."""

    every: tuple[float, float] = (60.0, 180.0)
    distance: tuple[float, float] = (60.0, 220.0)
    speed: float = 36.0


@dataclass(frozen=True)
class Step:
    """Where the pet is and whether it walks (`facing` is "left" or "right" while walking)."""

    x: float
    walking: bool
    facing: str = ""


class WalkPlanner:
    """Plans walks within `[lo, hi]`, the x range the pet's left edge may take on its screen."""

    def __init__(self, rng: random.Random | None = None, timings: WalkTimings | None = None):
        self._rng = rng or random.Random()
        self._timings = timings or WalkTimings()
        self._next: float | None = None  # when the next walk may start
        self._walk: tuple[float, float, float] | None = None  # (start x, target x, start time)

    @property
    def walking(self) -> bool:
        return self._walk is not None

    def stop(self, now: float) -> None:
        """End any walk and wait a full interval before the next (the pet was disturbed)."""
        self._walk = None
        self._next = now + self._rng.uniform(*self._timings.every)

    def update(self, now: float, x: float, lo: float, hi: float, blocked: bool) -> Step:
        t = self._timings
        if blocked:
            self.stop(now)  # the wait for the next walk starts over once nothing blocks
            return Step(x, False)
        if self._next is None:
            self._next = now + self._rng.uniform(*t.every)
        if self._walk is None:
            if now < self._next or hi <= lo:
                return Step(x, False)
            self._walk = (x, self._target(x, lo, hi), now)
        start, target, began = self._walk
        facing = RIGHT if target >= start else LEFT
        travelled = (now - began) * t.speed
        if travelled >= abs(target - start):
            self.stop(now)
            return Step(target, False)
        step = start + travelled if facing == RIGHT else start - travelled
        return Step(min(max(step, lo), hi), True, facing)

    def _target(self, x: float, lo: float, hi: float) -> float:
        distance = self._rng.uniform(*self._timings.distance)
        room = {RIGHT: hi - x, LEFT: x - lo}
        way = self._rng.choice((LEFT, RIGHT))
        if room[way] < distance and room[way] < room[LEFT if way == RIGHT else RIGHT]:
            way = LEFT if way == RIGHT else RIGHT  # towards the roomier side
        go = min(distance, max(room[way], 0.0))
        return x + go if way == RIGHT else x - go
