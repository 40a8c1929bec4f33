"""The pet's behaviour as a pure state machine: no Qt, no MLX, a clock you can fake.

`PetMachine` takes input calls (agent mood, chat, model, drag, clicks, owner activity) and
`tick()`; it tells listeners which `State` and variant to show. The rules live in one table,
`states.TABLE`, mirrored for people in docs/pet-states.md.
"""

from deskpet.pet.idle import IdleBehaviour, IdleTimings
from deskpet.pet.machine import SLEEP_AFTER_SECONDS, Display, Intent, PetMachine
from deskpet.pet.states import (
    BUSY,
    BUSY_SESSIONS,
    IDLE_FLOURISHES,
    MOODS,
    SPECS,
    TABLE,
    WORKING_VARIANTS,
    State,
    StateSpec,
    mood_state,
)

__all__ = [
    "BUSY",
    "BUSY_SESSIONS",
    "IDLE_FLOURISHES",
    "MOODS",
    "SLEEP_AFTER_SECONDS",
    "SPECS",
    "TABLE",
    "WORKING_VARIANTS",
    "Display",
    "IdleBehaviour",
    "IdleTimings",
    "Intent",
    "PetMachine",
    "State",
    "StateSpec",
    "mood_state",
]
