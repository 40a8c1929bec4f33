"""PetMachine with a fake clock: priorities, minimum times, automatic returns, sleep, reactions."""

from __future__ import annotations

import random

import pytest

from deskpet.pet import (
    SLEEP_AFTER_SECONDS,
    SPECS,
    Display,
    IdleBehaviour,
    IdleTimings,
    Intent,
    PetMachine,
    State,
)

S = State
NEVER = (1e12, 1e12)  # idle blink/flourish intervals that never come, to keep idle quiet


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Pet:
    """A machine, its clock and a log of what the listeners saw."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        idle = IdleBehaviour(random.Random(0), timings=IdleTimings(NEVER, 0.25, NEVER, 2.5))
        self.machine = PetMachine(clock=self.clock, idle=idle)
        self.changes: list[tuple[float, Display]] = []
        self.machine.add_listener(lambda d: self.changes.append((self.clock.now, d)))

    def at(self, t: float) -> State:
        """Move the clock to t seconds after the start, tick, and return the state."""
        self.clock.now = 1000.0 + t
        return self.machine.tick().state

    @property
    def state(self) -> State:
        return self.machine.state


@pytest.fixture
def pet() -> Pet:
    return Pet()


def min_of(state: State) -> float:
    return SPECS[state].min_seconds


# -- priorities and minimum display times ----------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "second_state"),
    [
        ("working", "attention", S.ATTENTION),
        ("working", "done", S.HAPPY),
        ("working", "error", S.ERROR),
        ("thinking", "attention", S.ATTENTION),
        ("done", "error", S.ERROR),
    ],
)
def test_higher_priority_mood_shows_at_once(pet: Pet, first, second, second_state) -> None:
    pet.machine.set_mood(first)
    pet.at(0.1)
    pet.machine.set_mood(second)
    assert pet.state is second_state


@pytest.mark.parametrize(
    ("first", "first_state", "second", "second_state"),
    [
        ("attention", S.ATTENTION, "working", S.WORKING),
        ("done", S.HAPPY, "working", S.WORKING),
        ("error", S.ERROR, "thinking", S.THINKING),
        ("working", S.WORKING, "idle", S.IDLE),
        ("thinking", S.THINKING, "idle", S.IDLE),
        ("attention", S.ATTENTION, "idle", S.IDLE),
    ],
)
def test_lower_priority_mood_waits_for_minimum_time(
    pet: Pet, first, first_state, second, second_state
) -> None:
    pet.machine.set_mood(first)
    pet.at(0.2)
    pet.machine.set_mood(second)
    assert pet.state is first_state
    assert pet.at(min_of(first_state) - 0.01) is first_state
    assert pet.at(min_of(first_state)) is second_state


@pytest.mark.parametrize(
    ("start_low", "start_high", "low", "high"),
    [
        (lambda m: m.set_mood("working"), lambda m: m.chat_started(), S.WORKING, S.THINKING),
        (lambda m: m.chat_started(), lambda m: m.set_mood("attention"), S.THINKING, S.ATTENTION),
        (lambda m: m.model_loading(), lambda m: m.chat_started(), S.WAKING, S.THINKING),
        (lambda m: m.set_mood("working"), lambda m: m.model_loading(), S.WORKING, S.WAKING),
        (lambda m: m.set_mood("attention"), lambda m: m.drag_start(), S.ATTENTION, S.DRAGGED),
        (lambda m: m.set_mood("done"), lambda m: m.chat_error(), S.HAPPY, S.ERROR),
    ],
)
def test_sources_compete_by_priority(pet: Pet, start_low, start_high, low, high) -> None:
    assert SPECS[high].priority > SPECS[low].priority
    start_low(pet.machine)
    assert pet.state is low
    pet.at(0.05)  # well inside the low state's minimum time
    start_high(pet.machine)
    assert pet.state is high


def test_lower_source_shows_again_when_higher_one_ends(pet: Pet) -> None:
    pet.machine.set_mood("working", "shell")
    pet.machine.model_loading()
    assert pet.state is S.WAKING
    pet.at(0.3)
    pet.machine.model_ready()
    assert pet.state is S.WAKING  # its minimum time is not over yet
    assert pet.at(min_of(S.WAKING)) is S.WORKING
    assert pet.machine.variant == "shell"


def test_same_state_request_refreshes_instead_of_restarting(pet: Pet) -> None:
    happy = SPECS[S.HAPPY].return_after
    pet.machine.set_mood("done")
    pet.at(happy - 1)
    pet.machine.set_mood("done")
    assert pet.at(happy + 0.5) is S.HAPPY  # the refresh moved the return
    assert pet.at(2 * happy - 1) is S.IDLE
    # One change in and one out: the refresh did not restart the animation.
    assert [d.state for _, d in pet.changes] == [S.HAPPY, S.IDLE]


def test_variant_changes_respect_minimum_time(pet: Pet) -> None:
    pet.machine.set_mood("working", "shell")
    pet.at(0.5)
    pet.machine.set_mood("working", "editing")
    assert pet.machine.variant == "shell"
    assert pet.at(min_of(S.WORKING)) is S.WORKING
    assert pet.machine.variant == "editing"


# -- automatic returns -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "state"),
    [
        (lambda m: m.click(), S.POKED),
        (lambda m: m.set_mood("done"), S.HAPPY),
        (lambda m: m.set_mood("error"), S.ERROR),
        (lambda m: m.chat_error(), S.ERROR),
    ],
)
def test_passing_states_return_to_idle(pet: Pet, trigger, state) -> None:
    after = SPECS[state].return_after
    assert after is not None and SPECS[state].returns_to is S.IDLE
    trigger(pet.machine)
    assert pet.state is state
    assert pet.at(after - 0.01) is state
    assert pet.at(after) is S.IDLE


def test_happy_lasts_a_few_seconds() -> None:
    assert 2.0 <= SPECS[S.HAPPY].return_after <= 10.0


def test_attention_stays_until_acknowledged(pet: Pet) -> None:
    pet.machine.set_mood("permission_request")
    assert pet.at(3600) is S.ATTENTION
    assert pet.machine.acknowledge() is True
    assert pet.state is S.IDLE
    assert pet.machine.acknowledge() is False


def test_attention_clears_with_the_mood(pet: Pet) -> None:
    pet.machine.set_mood("waiting for owner")
    pet.at(10)
    pet.machine.set_mood("working", "reading")
    assert pet.state is S.WORKING


def test_click_answers_the_bell(pet: Pet) -> None:
    pet.machine.set_mood("attention")
    assert pet.machine.click() is Intent.ACKNOWLEDGED
    assert pet.state is S.POKED  # the poke outranks the bell, so the answer is instant
    assert pet.at(SPECS[S.POKED].return_after) is S.IDLE


def test_unknown_mood_is_refused(pet: Pet) -> None:
    with pytest.raises(ValueError, match="known moods"):
        pet.machine.set_mood("dancing")


# -- bursts ----------------------------------------------------------------------------------


def assert_no_flicker(changes: list[tuple[float, Display]], start: Display, t0: float) -> None:
    """Every change either outranks what it replaced or waited out its minimum time."""
    prev_t, prev = t0, start
    state_since = t0
    for t, new in changes:
        if new.state is not prev.state:
            outranks = SPECS[new.state].priority > SPECS[prev.state].priority
            assert outranks or t - state_since >= min_of(prev.state), (prev, new, t - state_since)
            state_since = t
        else:
            assert t - prev_t >= min_of(prev.state), ("variant flicker", prev, new, t - prev_t)
        prev_t, prev = t, new


def test_burst_of_events_never_flickers(pet: Pet) -> None:
    rng = random.Random(42)
    moods = ["idle", "thinking", "working", "attention", "done", "error"]
    variants = ["shell", "editing", "reading", "searching", "delegating"]
    t = 0.0
    for _ in range(2000):
        t += rng.choice([0.01, 0.05, 0.1, 0.3])
        pet.at(t)
        roll = rng.random()
        if roll < 0.6:
            pet.machine.set_mood(rng.choice(moods), rng.choice(variants))
        elif roll < 0.7:
            pet.machine.chat_started()
        elif roll < 0.8:
            pet.machine.chat_token()
        elif roll < 0.9:
            pet.machine.chat_done()
        else:
            pet.machine.owner_activity()
    assert len(pet.changes) > 50  # the burst really moved the pet
    assert_no_flicker(pet.changes, Display(S.IDLE, "breathing"), 1000.0)


def test_alternating_moods_are_rate_limited(pet: Pet) -> None:
    for i in range(100):  # ten seconds of working/idle at 10 Hz
        pet.at(i * 0.1)
        pet.machine.set_mood("working" if i % 2 == 0 else "idle")
    # Working holds 1.5 s each time it shows; idle then yields to it at once.
    assert len(pet.changes) <= 2 * (10 / min_of(S.WORKING)) + 2


# -- sleep -----------------------------------------------------------------------------------


def fall_asleep(pet: Pet) -> float:
    """Run the sleep sequence to the end; returns the time the pet is asleep."""
    t = SLEEP_AFTER_SECONDS
    assert pet.at(t - 0.01) is S.IDLE
    assert pet.at(t) is S.YAWN
    t += SPECS[S.YAWN].return_after
    assert pet.at(t - 0.01) is S.YAWN
    assert pet.at(t) is S.DOZE
    t += SPECS[S.DOZE].return_after
    assert pet.at(t - 0.01) is S.DOZE
    assert pet.at(t) is S.SLEEP
    return t


def test_sleep_sequence_after_owner_is_away(pet: Pet) -> None:
    t = fall_asleep(pet)
    assert pet.at(t + 3600) is S.SLEEP
    assert [d.state for _, d in pet.changes] == [S.YAWN, S.DOZE, S.SLEEP]


@pytest.mark.parametrize("wake", [lambda m: m.owner_activity(), lambda m: m.click()])
def test_wakes_through_waking_up(pet: Pet, wake) -> None:
    t = fall_asleep(pet) + 100
    pet.at(t)
    assert wake(pet.machine) is None
    assert pet.state is S.WAKING_UP
    assert pet.at(t + SPECS[S.WAKING_UP].return_after - 0.01) is S.WAKING_UP
    assert pet.at(t + SPECS[S.WAKING_UP].return_after) is S.IDLE
    assert S.POKED not in [d.state for _, d in pet.changes]


def test_activity_during_yawn_goes_straight_back_to_idle(pet: Pet) -> None:
    assert pet.at(SLEEP_AFTER_SECONDS) is S.YAWN
    pet.at(SLEEP_AFTER_SECONDS + 1)
    pet.machine.owner_activity()
    assert pet.state is S.IDLE


def test_owner_activity_postpones_sleep(pet: Pet) -> None:
    pet.at(200)
    pet.machine.owner_activity()
    assert pet.at(SLEEP_AFTER_SECONDS + 1) is S.IDLE
    assert pet.at(200 + SLEEP_AFTER_SECONDS) is S.YAWN


def test_no_sleep_while_an_agent_works(pet: Pet) -> None:
    pet.machine.set_mood("working", "shell")
    assert pet.at(10 * SLEEP_AFTER_SECONDS) is S.WORKING


def test_an_event_wakes_the_pet_and_sleep_starts_over(pet: Pet) -> None:
    t = fall_asleep(pet) + 50
    pet.at(t)
    pet.machine.set_mood("attention")
    assert pet.state is S.ATTENTION
    pet.at(t + 10)
    pet.machine.acknowledge()
    assert pet.state is S.IDLE
    assert pet.at(t + 10 + SLEEP_AFTER_SECONDS - 1) is S.IDLE
    assert pet.at(t + 10 + SLEEP_AFTER_SECONDS) is S.YAWN


def test_double_click_wakes_and_asks_for_the_chat(pet: Pet) -> None:
    pet.at(fall_asleep(pet) + 1)
    assert pet.machine.double_click() is Intent.OPEN_CHAT
    assert pet.state is S.WAKING_UP


# -- the owner's hands -----------------------------------------------------------------------


def test_drag_beats_everything_and_lets_go_at_once(pet: Pet) -> None:
    pet.machine.set_mood("attention")
    pet.at(0.1)
    pet.machine.drag_start()
    assert pet.state is S.DRAGGED
    pet.at(0.15)
    assert pet.machine.click() is None  # the press that ends a drag is not a poke
    pet.machine.drag_end()
    assert pet.state is S.ATTENTION


def test_drag_wakes_without_waking_up(pet: Pet) -> None:
    t = fall_asleep(pet) + 1
    pet.at(t)
    pet.machine.drag_start()
    assert pet.state is S.DRAGGED
    assert pet.at(t + 5) is S.DRAGGED
    pet.machine.drag_end()
    assert pet.state is S.IDLE


def test_poke(pet: Pet) -> None:
    assert pet.machine.click() is None
    assert pet.state is S.POKED
    pet.at(0.5)
    pet.machine.click()  # poking again refreshes the poke
    assert pet.at(SPECS[S.POKED].return_after + 0.4) is S.POKED
    assert pet.at(SPECS[S.POKED].return_after + 0.5) is S.IDLE


def test_double_click_asks_for_the_chat(pet: Pet) -> None:
    assert pet.machine.double_click() is Intent.OPEN_CHAT
    assert pet.state is S.IDLE


# -- chat and model --------------------------------------------------------------------------


def test_chat_flow(pet: Pet) -> None:
    pet.machine.chat_started()
    assert pet.state is S.THINKING
    pet.at(0.2)
    pet.machine.chat_token(thinking=True)
    assert pet.state is S.THINKING
    pet.at(0.3)
    pet.machine.chat_token()
    assert pet.state is S.TALKING  # talking outranks thinking: no wait
    pet.at(0.5)
    pet.machine.chat_done()
    assert pet.state is S.TALKING
    assert pet.at(0.3 + min_of(S.TALKING)) is S.IDLE
    assert [d.state for _, d in pet.changes] == [S.THINKING, S.TALKING, S.IDLE]


def test_chat_error_outlives_chat_done(pet: Pet) -> None:
    pet.machine.chat_started()
    pet.at(0.5)
    pet.machine.chat_error()
    assert pet.state is S.ERROR
    pet.machine.chat_done()
    assert pet.at(0.5 + SPECS[S.ERROR].return_after - 0.01) is S.ERROR
    assert pet.at(0.5 + SPECS[S.ERROR].return_after) is S.IDLE


def test_model_loading_is_waking(pet: Pet) -> None:
    pet.machine.model_loading()
    assert pet.at(60) is S.WAKING
    pet.machine.model_ready()
    assert pet.state is S.IDLE


def test_without_a_model_the_pet_sleeps_until_one_loads(pet: Pet) -> None:
    pet.machine.no_model()
    assert pet.state is S.SLEEP
    pet.machine.owner_activity()  # a hovering owner does not wake a pet with nothing to say
    assert pet.at(60) is S.SLEEP
    pet.machine.click()
    assert pet.state is S.POKED
    assert pet.at(70) is S.SLEEP
    pet.machine.model_loading()
    assert pet.at(71) is S.WAKING
    pet.machine.model_ready()
    assert pet.at(80) is S.IDLE


# -- plumbing --------------------------------------------------------------------------------


def test_listeners_hear_changes_only(pet: Pet) -> None:
    seen: list[Display] = []
    pet.machine.add_listener(seen.append)
    pet.machine.set_mood("working", "searching")
    pet.at(0.1)
    pet.at(0.2)
    assert seen == [Display(S.WORKING, "searching")]
    pet.machine.remove_listener(seen.append)
    pet.machine.set_mood("attention")
    assert len(seen) == 1


def test_time_never_runs_backwards(pet: Pet) -> None:
    # tick() was given a later time than the clock now reads: inputs must not go back in time,
    # or the happy state would count its seconds from the past and vanish early.
    pet.machine.tick(1010.0)
    pet.machine.set_mood("done")
    assert pet.machine.tick(1010.0 + SPECS[S.HAPPY].return_after - 0.01).state is S.HAPPY
    assert pet.machine.tick(1000.0).state is S.HAPPY  # a stale tick changes nothing
    assert pet.machine.tick(1010.0 + SPECS[S.HAPPY].return_after).state is S.IDLE


def test_idle_variants_reach_the_display() -> None:
    clock = FakeClock()
    idle = IdleBehaviour(random.Random(1), timings=IdleTimings((1.0, 1.0), 0.25, (5.0, 5.0), 2.0))
    machine = PetMachine(clock=clock, idle=idle)
    seen = []
    for step in range(1, 80):
        clock.now = 1000.0 + step * 0.1
        seen.append(machine.tick().variant)
    assert "blinking" in seen
    assert set(seen) & {"stretch", "look_around", "groom", "hop"}
    assert machine.state is S.IDLE
