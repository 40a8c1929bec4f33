"""The pet's states and the one table that rules them.

Every state has a priority (a higher one may interrupt a lower one at once), a minimum display
time (nothing of equal or lower priority replaces it sooner, so bursts of events never make the
pet flicker) and, for the passing states, an automatic return after a few seconds. The `moods`
column lists the mood names `PetMachine.set_mood` accepts for a state; the agent bridge speaks
these names.

docs/pet-states.md holds the same table for people; tests/pet/test_pet_doc_table.py keeps the two
equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """What the pet is showing; the sprite player picks an animation per state (and variant)."""

    IDLE = "idle"
    THINKING = "thinking"
    TALKING = "talking"
    WORKING = "working"
    ATTENTION = "attention"
    HAPPY = "happy"
    ERROR = "error"
    WAKING = "waking"
    DRAGGED = "dragged"
    POKED = "poked"
    YAWN = "yawn"
    DOZE = "doze"
    SLEEP = "sleep"
    WAKING_UP = "waking_up"


@dataclass(frozen=True)
class StateSpec:
    """One row of the table.

    Attributes:
        state: the state this row describes.
        priority: higher interrupts lower immediately; equal or lower waits for `min_seconds`.
        min_seconds: shortest time the state stays on screen once shown.
        return_after: seconds after it was first shown (or last refreshed) that the state
            ends by itself; None = it stays until its cause goes away.
        returns_to: where an automatic return goes (idle, or the next step of the sleep
            sequence); None when there is no automatic return.
        moods: mood names (`set_mood`) that ask for this state.
        cause: what asks for the state, in words, for docs/pet-states.md.
    """

    state: State
    priority: int
    min_seconds: float
    return_after: float | None
    returns_to: State | None
    moods: tuple[str, ...]
    cause: str


# Priorities leave gaps so a new state can slot in without renumbering. The owner's own hands
# (drag, poke) beat everything; a bell beats chat because a waiting agent blocks work; sleep is
# lowest because any real event should wake the pet.
TABLE: tuple[StateSpec, ...] = (
    StateSpec(State.DRAGGED, 100, 0.0, None, None, (), "drag_start until drag_end"),
    StateSpec(State.POKED, 90, 0.8, 1.2, State.IDLE, (), "click"),
    StateSpec(
        State.ATTENTION,
        80,
        3.0,
        None,
        None,
        ("attention", "permission", "permission_request", "waiting", "waiting_for_owner"),
        "an agent needs the owner; ends on click/acknowledge or when the mood changes",
    ),
    StateSpec(State.ERROR, 70, 2.0, 5.0, State.IDLE, ("error",), "agent error or chat_error"),
    StateSpec(State.TALKING, 60, 1.0, None, None, (), "chat_token until chat_done"),
    StateSpec(State.THINKING, 55, 1.0, None, None, ("thinking",), "chat_started or agent thinking"),
    StateSpec(State.WAKING, 50, 1.0, None, None, (), "model_loading until model_ready"),
    StateSpec(State.HAPPY, 40, 2.0, 4.0, State.IDLE, ("done", "happy"), "an agent job finished"),
    StateSpec(State.WORKING, 30, 1.5, None, None, ("working",), "an agent runs a tool"),
    StateSpec(
        State.WAKING_UP, 25, 1.0, 1.5, State.IDLE, (), "owner activity or click in doze/sleep"
    ),
    StateSpec(State.YAWN, 10, 0.5, 3.0, State.DOZE, (), "idle, owner away for sleep_after (300 s)"),
    StateSpec(State.DOZE, 10, 0.5, 30.0, State.SLEEP, (), "after yawn"),
    StateSpec(State.SLEEP, 10, 0.5, None, None, (), "after doze; or no model chosen yet"),
    StateSpec(State.IDLE, 0, 0.0, None, None, ("idle",), "nothing else to show"),
)

SPECS: dict[State, StateSpec] = {spec.state: spec for spec in TABLE}

MOODS: dict[str, State] = {mood: spec.state for spec in TABLE for mood in spec.moods}

# Known variants. Variants are free strings so the bridge can grow new ones; the sprite player
# falls back to the state's plain animation for a variant it has no frames for.
WORKING_VARIANTS = ("shell", "editing", "reading", "searching", "delegating", "busy")
# With this many agent sessions working at once the pet looks busier (the "busy" variant).
BUSY = "busy"
BUSY_SESSIONS = 2
IDLE_VARIANTS = ("breathing", "blinking")
IDLE_FLOURISHES = ("stretch", "look_around", "groom", "hop")

SLEEP_STATES = frozenset({State.YAWN, State.DOZE, State.SLEEP})


def mood_state(mood: str) -> State:
    """The state a mood name asks for; "Waiting for owner" and "waiting-for-owner" both work.

    Raises ValueError naming the known moods, so a renamed bridge mood fails loudly in tests
    instead of leaving the pet idle.
    """
    key = mood.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return MOODS[key]
    except KeyError:
        known = ", ".join(sorted(MOODS))
        raise ValueError(f"unknown pet mood {mood!r}; known moods: {known}") from None
