"""The pet's behaviour: a pure state machine driven by method calls and a clock.

Inputs arrive as plain calls (`set_mood`, `chat_started`, `click`, ...). Each source of input
holds at most one *claim* on the stage (the agent mood, the chat, the model loader, the drag,
a reaction, the sleep sequence). The claim with the highest priority is what the pet wants to
show; it reaches the screen at once if it outranks the current state, otherwise when the current
state has been shown for its minimum time (docs/pet-states.md). A claim is therefore a one-slot
queue per source: the newest request of a source replaces its older one, and nothing is lost or
shown out of turn during a burst.

The UI owns the clock: it calls `tick()` when `next_due()` says something may change (an
automatic return, a minimum time running out, a blink, the owner away long enough to yawn) and
repaints on listener calls. `set_due_listener` hears the new due time after every change, so a
sleeping pet with nothing due needs no clock at all. Nothing here is thread-safe; call it from
one thread.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from deskpet.pet.idle import IdleBehaviour
from deskpet.pet.reactions import DragDirection, PokeCount
from deskpet.pet.states import BUSY, BUSY_SESSIONS, SLEEP_STATES, SPECS, State, mood_state

# How long the owner may be away (no mouse near the pet, no click, no chat) before an idle pet
# starts yawning.
SLEEP_AFTER_SECONDS = 300.0


class Intent(StrEnum):
    """Something the UI should do on the pet's behalf."""

    OPEN_CHAT = "open_chat"  # double-click: open the chat bubble
    ACKNOWLEDGED = "acknowledged"  # a click answered the bell; the UI may show what rang


@dataclass(frozen=True)
class Display:
    """What is on screen: a state and the variant of its animation ("" = the plain one)."""

    state: State
    variant: str = ""


Listener = Callable[[Display], None]
# Called with the seconds until `next_due()` (or None: only an input can change the pet).
DueListener = Callable[[float | None], None]

# The sources that can hold a claim.
_MOOD = "mood"
_CHAT = "chat"
_MODEL = "model"
_DRAG = "drag"
_REACTION = "reaction"
_SLEEP = "sleep"


@dataclass
class _Claim:
    state: State
    variant: str
    requested_at: float
    refreshed_at: float
    shown_at: float | None = None

    def deadline(self) -> float | None:
        """When an automatic return fires; the clock starts only once the state was seen."""
        after = SPECS[self.state].return_after
        if after is None or self.shown_at is None:
            return None
        return max(self.shown_at, self.refreshed_at) + after


class PetMachine:
    """The pet's state, advanced by input calls and `tick()`.

    Attributes:
        display: the current `Display` (also `state`, `variant`, `since`).

    Listeners (`add_listener`) are called with the new `Display` whenever the state or the
    variant changes, after the machine is consistent again.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        idle: IdleBehaviour | None = None,
        sleep_after: float = SLEEP_AFTER_SECONDS,
    ) -> None:
        self._clock = clock
        self._sleep_after = sleep_after
        self._idle = idle or IdleBehaviour(rng)
        self._pokes = PokeCount()
        self._drag_direction = DragDirection()
        self._drag_started = False
        self._listeners: list[Listener] = []
        self._due_listener: DueListener | None = None
        self._claims: dict[str, _Claim] = {}
        now = clock()
        self._last_now = now
        self._display = Display(State.IDLE, self._idle.reset(now))
        self._since = now
        self._variant_since = now
        self._idle_since = now
        self._last_activity = now

    # -- output ------------------------------------------------------------------------------

    @property
    def display(self) -> Display:
        return self._display

    @property
    def state(self) -> State:
        return self._display.state

    @property
    def variant(self) -> str:
        return self._display.variant

    @property
    def since(self) -> float:
        """Clock time at which the current state (not variant) came on screen."""
        return self._since

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def set_due_listener(self, listener: DueListener | None) -> None:
        """`listener(seconds | None)` after every update: how long until `tick()` is due."""
        self._due_listener = listener

    # -- the clock -----------------------------------------------------------------------------

    def tick(self, now: float | None = None) -> Display:
        """Advance timers to `now` (default: the clock) and return what to show."""
        self._update(self._now(now))
        return self._display

    def next_due(self) -> float | None:
        """The earliest clock time at which `tick()` may change what is shown, or None when
        nothing will until an input arrives. A tick before then changes nothing; a tick later
        than it shows the change late but still in order."""
        times = [d for claim in self._claims.values() if (d := claim.deadline()) is not None]
        top = self._top()
        current = SPECS[self._display.state]
        if top is not None:
            source, want = top
            if want.state is not self._display.state:
                # It waits for the current state's minimum time (it would be showing otherwise).
                times.append(self._since + current.min_seconds)
            elif want.variant != self._display.variant and source not in (_REACTION, _DRAG):
                times.append(self._variant_since + current.min_seconds)
        elif self._display.state is not State.IDLE:
            times.append(self._since + current.min_seconds)  # back to idle after its minimum
        if self._display.state is State.IDLE:
            times.append(self._idle.next_change())
            if not self._claims:
                times.append(max(self._last_activity, self._idle_since) + self._sleep_after)
        return min(times) if times else None

    # -- the agent bridge ----------------------------------------------------------------------

    def set_mood(self, mood: str, variant: str = "", working_sessions: int = 0) -> None:
        """The folded mood of all agent sessions: idle, thinking, working, attention, done, error.

        Aliases such as "permission_request" and "waiting_for_owner" mean attention (see the
        table). Asking again for the state already claimed refreshes it (restarts its automatic
        return) instead of restarting the animation. Working with `working_sessions` at
        BUSY_SESSIONS or more shows the "busy" variant instead of the tool's; it goes back to
        the tool's variant, like any variant change, after the minimum display time.
        """
        now = self._now()
        state = mood_state(mood)
        if state is State.WORKING and working_sessions >= BUSY_SESSIONS:
            variant = BUSY
        if state is State.IDLE:
            self._release(_MOOD)
        else:
            self._request(_MOOD, state, variant, now)
        self._update(now)

    def acknowledge(self) -> bool:
        """The owner has seen the bell. Returns whether there was one to silence."""
        now = self._now()
        acknowledged = self._acknowledge()
        self._update(now)
        return acknowledged

    # -- the chat ------------------------------------------------------------------------------

    def chat_started(self) -> None:
        """The owner sent a message; the model is thinking about it."""
        now = self._now()
        self._activity(now)
        self._request(_CHAT, State.THINKING, "", now)
        self._update(now)

    def chat_token(self, thinking: bool = False) -> None:
        """A token arrived; `thinking=True` for tokens inside the model's thinking block."""
        now = self._now()
        self._request(_CHAT, State.THINKING if thinking else State.TALKING, "", now)
        self._update(now)

    def chat_done(self) -> None:
        """The answer is complete (or was cancelled)."""
        now = self._now()
        claim = self._claims.get(_CHAT)
        # An error outlives the end of its chat until its own automatic return.
        if claim is not None and claim.state is not State.ERROR:
            self._release(_CHAT)
        self._update(now)

    def chat_error(self) -> None:
        now = self._now()
        self._request(_CHAT, State.ERROR, "chat", now)
        self._update(now)

    # -- the model -----------------------------------------------------------------------------

    def no_model(self) -> None:
        """Nothing to think with yet (first launch): asleep until a model starts loading."""
        now = self._now()
        self._request(_MODEL, State.SLEEP, "", now)
        self._update(now)

    def model_loading(self) -> None:
        now = self._now()
        self._request(_MODEL, State.WAKING, "", now)
        self._update(now)

    def model_ready(self) -> None:
        now = self._now()
        self._release(_MODEL)
        self._update(now)

    # -- the owner's hands ---------------------------------------------------------------------

    def drag_start(self) -> None:
        now = self._now()
        self._activity(now)
        # Being picked up wakes the pet fully; no drowsy waking-up after the drop.
        self._release(_SLEEP)
        self._drag_started = False
        self._request(_DRAG, State.DRAGGED, "", now)
        self._update(now)

    def drag_move(self, x: float) -> None:
        """The carried pet is at screen x: the dragged variant shows the way it goes ("left",
        "right", or "" before a clear direction), turning only after a real turn."""
        now = self._now()
        if _DRAG not in self._claims:
            return
        if not self._drag_started:
            direction = self._drag_direction.start(x, now)
            self._drag_started = True
        else:
            direction = self._drag_direction.move(x, now)
        self._request(_DRAG, State.DRAGGED, direction, now)
        self._update(now)

    def drag_end(self) -> None:
        now = self._now()
        self._activity(now)
        self._release(_DRAG)
        self._update(now)

    def click(self) -> Intent | None:
        """A single click: wakes a sleeping pet, otherwise pokes it and answers the bell.

        Quick pokes add up: the second in a row shows the "annoyed" variant, the fourth "flail"
        (deskpet.pet.reactions.PokeCount).
        """
        now = self._now()
        if _DRAG in self._claims:
            return None  # the press that ended a drag is not a poke
        woke = self._wake(now)
        self._last_activity = now
        intent = None
        if not woke:
            if self._acknowledge():
                intent = Intent.ACKNOWLEDGED
            self._request(_REACTION, State.POKED, self._pokes.poke(now), now)
        self._update(now)
        return intent

    def double_click(self) -> Intent:
        """A double click asks for the chat bubble (and wakes the pet first)."""
        now = self._now()
        self._activity(now)
        self._update(now)
        return Intent.OPEN_CHAT

    def owner_activity(self) -> None:
        """The mouse moved near the pet (or the owner otherwise showed up)."""
        now = self._now()
        self._activity(now)
        self._update(now)

    # -- internals -----------------------------------------------------------------------------

    def _now(self, now: float | None = None) -> float:
        # Never let time run backwards: a stale `now` would re-open expired minimum times.
        t = self._clock() if now is None else now
        self._last_now = max(self._last_now, t)
        return self._last_now

    def _request(self, source: str, state: State, variant: str, now: float) -> None:
        claim = self._claims.get(source)
        if claim is not None and claim.state is state:
            claim.variant = variant
            claim.refreshed_at = now
        else:
            self._claims[source] = _Claim(state, variant, now, now)

    def _release(self, source: str) -> None:
        self._claims.pop(source, None)

    def _acknowledge(self) -> bool:
        claim = self._claims.get(_MOOD)
        if claim is not None and claim.state is State.ATTENTION:
            self._release(_MOOD)
            return True
        return False

    def _activity(self, now: float) -> None:
        self._last_activity = now
        self._wake(now)

    def _wake(self, now: float) -> bool:
        """Interrupt the sleep sequence; returns True if the pet was really asleep."""
        claim = self._claims.get(_SLEEP)
        if claim is None:
            return False
        if claim.state is State.YAWN:
            self._release(_SLEEP)  # only drowsy: straight back to idle
            return False
        if claim.state in SLEEP_STATES:
            self._claims[_SLEEP] = _Claim(State.WAKING_UP, "", now, now)
            return True
        return False

    def _expire(self, now: float) -> None:
        for source, claim in list(self._claims.items()):
            deadline = claim.deadline()
            if deadline is None or now < deadline:
                continue
            after = SPECS[claim.state].returns_to
            if after is None or after is State.IDLE:
                del self._claims[source]
            else:
                self._claims[source] = _Claim(after, "", deadline, deadline)

    def _top(self) -> tuple[str, _Claim] | None:
        if not self._claims:
            return None
        return max(
            self._claims.items(),
            key=lambda item: (SPECS[item[1].state].priority, item[1].requested_at),
        )

    def _update(self, now: float) -> None:
        before = self._display
        self._expire(now)
        if (
            not self._claims
            and self._display.state is State.IDLE
            and now >= max(self._last_activity, self._idle_since) + self._sleep_after
        ):
            self._claims[_SLEEP] = _Claim(State.YAWN, "", now, now)

        top = self._top()
        source, want = top if top else ("", None)
        state = want.state if want else State.IDLE
        current = SPECS[self._display.state]
        # Written as sums, exactly as next_due() computes them: a tick at the due time acts.
        held = now < self._since + current.min_seconds

        if state is not self._display.state:
            if SPECS[state].priority > current.priority or not held:
                self._show(state, want.variant if want else "", now)
                # Any real event wakes the pet: the sleep sequence starts over after it.
                if source not in ("", _SLEEP):
                    self._release(_SLEEP)
        elif state is State.IDLE:
            self._display = Display(State.IDLE, self._idle.update(now))
        elif want is not None and want.variant != self._display.variant:
            # The owner's own hands answer at once; their sources damp their own flicker.
            hands = source in (_REACTION, _DRAG)
            if hands or now >= self._variant_since + current.min_seconds:
                self._display = Display(state, want.variant)
                self._variant_since = now

        for claim in self._claims.values():
            if claim.shown_at is None and claim.state is self._display.state:
                claim.shown_at = now

        if self._display != before:
            for listener in list(self._listeners):
                listener(self._display)
        if self._due_listener is not None:
            due = self.next_due()
            self._due_listener(None if due is None else max(0.0, due - now))

    def _show(self, state: State, variant: str, now: float) -> None:
        if state is State.IDLE:
            variant = self._idle.reset(now)
            self._idle_since = now
        self._display = Display(state, variant)
        self._since = now
        self._variant_since = now
