"""The busier working look: two or more agent sessions working at once, with a fake clock."""

from __future__ import annotations

import random

from deskpet.pet import (
    BUSY,
    BUSY_SESSIONS,
    SPECS,
    Display,
    IdleBehaviour,
    IdleTimings,
    PetMachine,
    State,
)

NEVER = (1e12, 1e12)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def machine() -> tuple[PetMachine, FakeClock, list[Display]]:
    clock = FakeClock()
    idle = IdleBehaviour(random.Random(0), timings=IdleTimings(NEVER, 0.25, NEVER, 2.5))
    pet = PetMachine(clock=clock, idle=idle)
    seen: list[Display] = []
    pet.add_listener(seen.append)
    return pet, clock, seen


def test_two_sessions_working_show_the_busy_variant():
    pet, clock, _ = machine()
    pet.set_mood("working", "editing", working_sessions=1)
    assert pet.display == Display(State.WORKING, "editing")
    clock.now += SPECS[State.WORKING].min_seconds
    pet.set_mood("working", "editing", working_sessions=BUSY_SESSIONS)
    assert pet.display == Display(State.WORKING, BUSY)


def test_busy_falls_back_to_the_tool_look_when_one_session_is_left():
    # GIVEN a busy pet
    pet, clock, seen = machine()
    pet.set_mood("working", "shell", working_sessions=3)
    assert pet.display == Display(State.WORKING, BUSY)
    # WHEN all but one session stop working, THEN the tool's look comes back, but never
    # sooner than the working minimum display time (no flicker between the two looks)
    pet.set_mood("working", "reading", working_sessions=1)
    assert pet.variant == BUSY
    clock.now += SPECS[State.WORKING].min_seconds
    pet.tick()
    assert pet.display == Display(State.WORKING, "reading")
    assert [d.variant for d in seen] == [BUSY, "reading"]


def test_busy_is_only_a_working_look():
    # Other sessions working do not change what a more urgent mood shows.
    pet, _, _ = machine()
    pet.set_mood("permission", "shell", working_sessions=4)
    assert pet.display == Display(State.ATTENTION, "shell")
    pet2, _, _ = machine()
    pet2.set_mood("thinking", working_sessions=2)
    assert pet2.display == Display(State.THINKING, "")


def test_one_session_working_keeps_todays_look():
    pet, _, _ = machine()
    pet.set_mood("working", "searching")
    assert pet.display == Display(State.WORKING, "searching")
