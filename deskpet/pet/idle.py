"""What the pet does while idle: breathe, blink now and then, and once in a while a flourish.

The machine asks `IdleBehaviour.update(now)` on every tick while the pet is idle and shows the
returned variant. Randomness comes from an injected `random.Random`, so tests can seed it and
two pets on one desk do not blink in step.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from deskpet.pet.states import IDLE_FLOURISHES

BREATHING = "breathing"
BLINKING = "blinking"


@dataclass(frozen=True)
class IdleTimings:
    """Seconds. Intervals are (shortest, longest) ranges picked from uniformly."""

    blink_every: tuple[float, float] = (2.5, 6.0)
    blink_seconds: float = 0.25
    flourish_every: tuple[float, float] = (25.0, 70.0)
    flourish_seconds: float = 2.5


class IdleBehaviour:
    """Chooses the idle variant: "breathing", "blinking" or one of the flourishes.

    A blink or flourish that was due while the ticks were sparse still shows for at least one
    tick, so a slow UI timer never swallows them.
    """

    def __init__(
        self,
        rng: random.Random | None = None,
        flourishes: Sequence[str] = IDLE_FLOURISHES,
        timings: IdleTimings | None = None,
    ) -> None:
        if not flourishes:
            raise ValueError("an idle pet needs at least one flourish")
        self._rng = rng or random.Random()
        self._flourishes = tuple(flourishes)
        self._timings = timings or IdleTimings()
        self.variant = BREATHING
        self._variant_ends = 0.0
        self._next_blink = 0.0
        self._next_flourish = 0.0

    def reset(self, now: float) -> str:
        """Start a fresh idle stretch at `now` (the pet just became idle)."""
        self.variant = BREATHING
        self._next_blink = now + self._rng.uniform(*self._timings.blink_every)
        self._next_flourish = now + self._rng.uniform(*self._timings.flourish_every)
        return self.variant

    def next_change(self) -> float:
        """The clock time of the next variant change: the end of a blink or flourish, or the
        next one due. `update` before then returns the same variant."""
        if self.variant != BREATHING:
            return self._variant_ends
        return min(self._next_blink, self._next_flourish)

    def update(self, now: float) -> str:
        """Advance to `now` and return the variant to show."""
        t = self._timings
        if self.variant != BREATHING:
            if now < self._variant_ends:
                return self.variant
            self.variant = BREATHING
            # Blinking straight after a flourish looks twitchy; wait a full interval.
            self._next_blink = max(self._next_blink, now + self._rng.uniform(*t.blink_every))
        if now >= self._next_flourish:
            self.variant = self._rng.choice(self._flourishes)
            self._variant_ends = now + t.flourish_seconds
            self._next_flourish = now + t.flourish_seconds + self._rng.uniform(*t.flourish_every)
        elif now >= self._next_blink:
            self.variant = BLINKING
            self._variant_ends = now + t.blink_seconds
            self._next_blink = now + t.blink_seconds + self._rng.uniform(*t.blink_every)
        return self.variant
