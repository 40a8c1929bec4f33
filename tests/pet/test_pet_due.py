"""PetMachine.next_due with a fake clock: a tick before the due time never changes what is
shown, so the UI may sleep until then; and when nothing can happen without an input, nothing
is due at all."""

from __future__ import annotations

import copy
import random

import pytest

from deskpet.pet import Display, IdleBehaviour, IdleTimings, PetMachine, State


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_machine(seed: int, clock: FakeClock) -> PetMachine:
    # Short idle timings and a short sleep so one script meets blinks, flourishes and sleep.
    timings = IdleTimings((0.5, 2.0), 0.25, (4.0, 9.0), 1.5)
    idle = IdleBehaviour(random.Random(seed), timings=timings)
    return PetMachine(clock=clock, idle=idle, sleep_after=15.0)


MOODS = ["idle", "thinking", "working", "attention", "done", "error"]
INPUTS = [
    lambda m, r: m.set_mood(r.choice(MOODS)),
    lambda m, r: m.set_mood("working", r.choice(["", "shell", "editing"]), r.randint(0, 4)),
    lambda m, r: m.chat_started(),
    lambda m, r: m.chat_token(thinking=r.random() < 0.3),
    lambda m, r: m.chat_done(),
    lambda m, r: m.chat_error(),
    lambda m, r: m.click(),
    lambda m, r: m.double_click(),
    lambda m, r: m.owner_activity(),
    lambda m, r: m.acknowledge(),
    lambda m, r: m.model_loading(),
    lambda m, r: m.model_ready(),
    lambda m, r: m.no_model(),
    lambda m, r: m.drag_start(),
    lambda m, r: m.drag_move(r.uniform(0, 1000)),
    lambda m, r: m.drag_end(),
]


def check_quiet_until_due(machine: PetMachine, clock: FakeClock, rng: random.Random) -> None:
    """A copy ticked at random moments before the due time shows what the machine shows."""
    due = machine.next_due()
    shown = machine.display
    until = clock.now + 60.0 if due is None else due
    for _ in range(3):
        twin = copy.deepcopy(machine)
        at = rng.uniform(clock.now, until)
        if at >= until:
            continue
        assert twin.tick(at) == shown, (at, due, shown)


@pytest.mark.parametrize("seed", range(12))
def test_ticking_only_when_due_misses_no_change(seed: int) -> None:
    # GIVEN a pet driven by random inputs at random moments over ten minutes
    rng = random.Random(seed)
    clock = FakeClock()
    machine = make_machine(seed, clock)
    end = clock.now + 600.0
    ticks = changes = 0
    machine.add_listener(lambda _d: None)
    while clock.now < end:
        next_input = clock.now + rng.expovariate(1 / 6.0)
        # WHEN the clock ticks only at the due times before the next input
        while (due := machine.next_due()) is not None and due < next_input:
            check_quiet_until_due(machine, clock, rng)
            before = machine.display
            clock.now = max(clock.now, due)
            machine.tick()
            ticks += 1
            changes += machine.display != before
        # THEN (checked above) nothing would have changed between the due times
        check_quiet_until_due(machine, clock, rng)
        clock.now = next_input
        rng.choice(INPUTS)(machine, rng)
    # Far fewer wakes than a 10 Hz clock (6,000 over the ten minutes), and most of them count.
    assert ticks < 1500
    assert changes > ticks / 3


def test_an_asleep_pet_with_no_model_needs_no_clock() -> None:
    clock = FakeClock()
    machine = make_machine(0, clock)
    machine.no_model()
    clock.now += 1.0  # past the sleep state's minimum time
    machine.tick()
    assert machine.state is State.SLEEP
    assert machine.next_due() is None


def test_a_pet_asleep_after_the_owner_left_needs_no_clock() -> None:
    clock = FakeClock()
    machine = make_machine(0, clock)
    for _ in range(200):
        due = machine.next_due()
        assert due is not None  # the sleep sequence is still under way
        clock.now = due
        machine.tick()
        if machine.state is State.SLEEP:
            break
    assert machine.state is State.SLEEP
    assert machine.next_due() is None


def test_an_idle_pet_is_due_at_its_next_blink_not_sooner() -> None:
    clock = FakeClock()
    idle = IdleBehaviour(random.Random(3), timings=IdleTimings((3.0, 3.0), 0.25, (50.0, 50.0), 2.5))
    machine = PetMachine(clock=clock, idle=idle, sleep_after=300.0)
    assert machine.next_due() == pytest.approx(clock.now + 3.0)
    clock.now += 3.0
    machine.tick()
    assert machine.display == Display(State.IDLE, "blinking")
    assert machine.next_due() == pytest.approx(clock.now + 0.25)


def test_the_due_listener_hears_the_seconds_left_after_each_change() -> None:
    clock = FakeClock()
    machine = make_machine(0, clock)
    heard: list[float | None] = []
    machine.set_due_listener(heard.append)
    machine.click()  # a poke: it returns to idle on its own
    due = machine.next_due()
    assert due is not None and heard[-1] == pytest.approx(due - clock.now)
    machine.no_model()
    clock.now += 5.0
    machine.tick()
    assert heard[-1] is None
