"""Pokes that add up and a drag direction that does not flicker, with a fake clock."""

from __future__ import annotations

import random

from deskpet.pet import Display, IdleBehaviour, IdleTimings, PetMachine, State
from deskpet.pet.reactions import ANNOYED, FLAIL, LEFT, RIGHT, DragDirection, PokeCount

NEVER = (1e12, 1e12)


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def machine() -> tuple[PetMachine, FakeClock, list[Display]]:
    clock = FakeClock()
    idle = IdleBehaviour(random.Random(0), timings=IdleTimings(NEVER, 0.25, NEVER, 2.5))
    pet = PetMachine(clock=clock, idle=idle)
    seen: list[Display] = []
    pet.add_listener(seen.append)
    return pet, clock, seen


def test_pokes_escalate_only_when_quick():
    count = PokeCount()
    assert [count.poke(t) for t in (0.0, 0.5, 1.0, 1.4)] == ["", ANNOYED, ANNOYED, FLAIL]
    assert count.poke(1.9) == FLAIL  # still in the series
    assert count.poke(4.0) == ""  # a pause starts over
    assert count.poke(6.0) == ""  # two slow pokes are two plain pokes


def test_machine_shows_annoyed_at_once_on_the_second_quick_poke_and_flail_on_the_fourth():
    pet, clock, seen = machine()
    pet.click()
    assert pet.display == Display(State.POKED, "")
    clock.now += 0.3  # well inside the poke's minimum time: the owner's hand still answers
    pet.click()
    assert pet.display == Display(State.POKED, ANNOYED)
    for _ in range(2):
        clock.now += 0.3
        pet.click()
    assert pet.display == Display(State.POKED, FLAIL)
    clock.now += 5.0
    assert pet.tick().state is State.IDLE
    clock.now += 0.1
    pet.click()  # long after: a plain poke again
    assert pet.display == Display(State.POKED, "")


def test_drag_direction_needs_a_real_turn():
    way = DragDirection()
    way.start(100, 0.0)
    assert way.move(110, 0.1) == ""  # a nudge is no direction yet
    assert way.move(130, 0.5) == RIGHT
    # A wobble back of less than the turn distance keeps it.
    assert way.move(115, 0.55) == RIGHT
    assert way.move(160, 0.6) == RIGHT
    # A turn soon after the last change waits for the hold time, then shows.
    assert way.move(120, 0.7) == RIGHT
    assert way.move(110, 0.8) == RIGHT
    assert way.move(105, 0.9) == LEFT


def test_a_zigzag_drag_turns_a_few_times_not_on_every_event():
    way = DragDirection()
    way.start(0, 0.0)
    turns, last, t = 0, "", 0.0
    # 40 px wiggles every 50 ms for two seconds: a strobe if every event counted.
    for i in range(40):
        t += 0.05
        now = way.move(40 if i % 2 else 0, t)
        turns += now != last
        last = now
    assert 1 <= turns <= 2.0 / 0.35 + 1


def test_machine_drag_variants_follow_the_direction_and_end_with_the_drop():
    pet, clock, seen = machine()
    pet.drag_start()
    pet.drag_move(300)
    assert pet.display == Display(State.DRAGGED, "")
    clock.now += 0.5
    pet.drag_move(260)
    assert pet.display == Display(State.DRAGGED, LEFT)
    clock.now += 0.1
    pet.drag_move(290)  # a quick jerk back: still left (hold time)
    assert pet.variant == LEFT
    clock.now += 0.5
    pet.drag_move(320)
    assert pet.display == Display(State.DRAGGED, RIGHT)
    pet.drag_end()
    pet.drag_move(100)  # a stray move after the drop changes nothing
    assert pet.state is State.IDLE
    assert [d.variant for d in seen if d.state is State.DRAGGED] == ["", LEFT, RIGHT]
