"""PetClock on a real Qt event loop and the real clock: the machine's changes arrive on time
with no periodic tick, and an asleep pet leaves the clock off."""

from __future__ import annotations

import random

from pytestqt.qtbot import QtBot

from deskpet.pet import SPECS, Display, IdleBehaviour, IdleTimings, PetMachine, State
from deskpet.ui.pet_clock import PetClock


def machine_with(blink_every: tuple[float, float] = (1e9, 1e9)) -> PetMachine:
    idle = IdleBehaviour(random.Random(1), timings=IdleTimings(blink_every, 0.2, (1e9, 1e9), 2.5))
    return PetMachine(idle=idle)


def test_an_asleep_pet_leaves_the_clock_off(qtbot: QtBot) -> None:
    machine = machine_with()
    clock = PetClock(machine)
    clock.start()
    machine.no_model()
    # Asleep at once (it outranks idle); after the sleep state's minimum time nothing is due.
    qtbot.waitUntil(lambda: not clock.timer.isActive(), timeout=3000)
    assert machine.state is State.SLEEP
    assert machine.next_due() is None
    clock.stop()


def test_a_poke_returns_to_idle_by_the_clock_alone(qtbot: QtBot) -> None:
    machine = machine_with()
    seen: list[Display] = []
    machine.add_listener(seen.append)
    clock = PetClock(machine)
    clock.start()
    machine.click()
    assert machine.state is State.POKED
    assert clock.timer.isActive()
    back_after = SPECS[State.POKED].return_after
    assert back_after is not None
    qtbot.waitUntil(lambda: machine.state is State.IDLE, timeout=int(back_after * 1000) + 2000)
    assert [d.state for d in seen] == [State.POKED, State.IDLE]
    clock.stop()


def test_an_idle_pet_blinks_on_time_and_the_clock_waits_between(qtbot: QtBot) -> None:
    machine = machine_with(blink_every=(0.4, 0.4))
    seen: list[Display] = []
    machine.add_listener(seen.append)
    clock = PetClock(machine)
    clock.start()
    # The clock sleeps until the blink: its one timer is set about 0.4 s ahead, not 0.1 s.
    assert clock.timer.isActive() and clock.timer.remainingTime() > 300
    qtbot.waitUntil(lambda: Display(State.IDLE, "blinking") in seen, timeout=3000)
    qtbot.waitUntil(lambda: seen[-1] == Display(State.IDLE, "breathing"), timeout=3000)
    clock.stop()
    assert not clock.timer.isActive()
