"""IdleBehaviour: breathing, blinks and flourishes on a fake clock with a scripted random."""

from __future__ import annotations

import random

import pytest

from deskpet.pet import IdleBehaviour, IdleTimings


class ScriptedRandom(random.Random):
    """uniform() returns the lower bound; choice() picks the element at `pick`."""

    def __init__(self, pick: int = 0) -> None:
        super().__init__(0)
        self.pick = pick

    def uniform(self, a: float, b: float) -> float:
        return a

    def choice(self, seq):
        return seq[self.pick]


TIMINGS = IdleTimings(
    blink_every=(3.0, 6.0), blink_seconds=0.2, flourish_every=(10.0, 20.0), flourish_seconds=2.0
)


def test_breathes_then_blinks_then_breathes() -> None:
    idle = IdleBehaviour(ScriptedRandom(), timings=TIMINGS)
    assert idle.reset(0.0) == "breathing"
    assert idle.update(2.9) == "breathing"
    assert idle.update(3.0) == "blinking"
    assert idle.update(3.1) == "blinking"
    assert idle.update(3.2) == "breathing"
    assert idle.update(6.1) == "breathing"
    assert idle.update(6.2) == "blinking"  # next blink: 3.0 + 0.2 + 3.0


@pytest.mark.parametrize(("pick", "flourish"), [(0, "stretch"), (2, "groom"), (-1, "hop")])
def test_flourish_is_chosen_by_the_injected_random(pick, flourish) -> None:
    idle = IdleBehaviour(ScriptedRandom(pick), timings=TIMINGS)
    idle.reset(0.0)
    assert idle.update(10.0) == flourish
    assert idle.update(11.9) == flourish
    # After the flourish: breathing, and no blink straight away.
    assert idle.update(12.0) == "breathing"
    assert idle.update(14.9) == "breathing"
    assert idle.update(15.0) == "blinking"


def test_custom_flourishes() -> None:
    idle = IdleBehaviour(ScriptedRandom(1), flourishes=("wave", "spin"), timings=TIMINGS)
    idle.reset(0.0)
    assert idle.update(10.0) == "spin"


def test_sparse_ticks_still_show_a_blink() -> None:
    idle = IdleBehaviour(ScriptedRandom(), timings=TIMINGS)
    idle.reset(0.0)
    assert idle.update(5.0) == "blinking"  # due at 3.0, seen at the first tick after
    assert idle.update(6.0) == "breathing"


def test_seeded_randoms_repeat_and_differ() -> None:
    def run(seed: int) -> list[str]:
        idle = IdleBehaviour(random.Random(seed))
        idle.reset(0.0)
        return [idle.update(t * 0.1) for t in range(3000)]

    assert run(7) == run(7)
    assert run(7) != run(8)
    assert {"breathing", "blinking"} <= set(run(7))


def test_needs_a_flourish() -> None:
    with pytest.raises(ValueError):
        IdleBehaviour(flourishes=())
