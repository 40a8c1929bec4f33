"""Many live agent sessions folded into one mood for the pet.

Pure logic with an injectable clock: feed() AgentEvents in, read mood() out. It handles what
real agents do: the same event arriving on two channels (Codex hook + notify + rollout, Cursor
replaying Claude's hooks), tool events out of order, and sessions that die without a goodbye.
Each event costs the same however many came before: de-dup stamps expire oldest first, and
both they and the live sessions are capped in number. live() lists the sessions for the owner
(the pet's sessions list, the tray), without the headless ones.
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from deskpet.bridge import events as ev
from deskpet.bridge.events import AgentEvent
from deskpet.bridge.terminal import Terminal

# Moods, from most to least urgent. The pet shows the most urgent mood of any session.
PERMISSION = "permission"  # an agent asks the owner to approve something
WAITING = "waiting"  # an agent waits for the owner's input
ERROR = "error"  # a turn failed (rate limit, API error)
WORKING = "working"  # a tool runs
THINKING = "thinking"  # between prompt and tools, or between tools
DONE = "done"  # a turn just finished
IDLE = "idle"
PRIORITY = (PERMISSION, WAITING, ERROR, WORKING, THINKING, DONE, IDLE)

# Working variants, from the tool category.
VARIANTS = {
    ev.SHELL: "shell",
    ev.EDIT: "editing",
    ev.READ: "reading",
    ev.SEARCH: "searching",
    ev.DELEGATE: "delegating",
    ev.WEB: "searching",
    ev.OTHER: "",
}

WORKING_TIMEOUT = 5 * 60  # working/thinking with no event for this long: the agent hung or died
FORGET_AFTER = 60 * 60  # a session silent this long is forgotten
DONE_FOR = 60  # done/error relax to idle after this long
_ID_DEDUP_WINDOW = 10 * 60  # events carrying a turn or tool id: same id, same event
_PLAIN_DEDUP_WINDOW = 3.0  # events without ids: identical within seconds = one event
MAX_SEEN = 10_000  # de-dup stamps kept; a flood past this forgets its oldest first
MAX_SESSIONS = 64  # live sessions kept; a new one past this forgets the longest silent
# How an agent says a session has no owner at a terminal: the session source Codex writes in
# its rollout for `codex exec`. Claude Code's hooks look the same with and without `-p`.
HEADLESS_SOURCES = frozenset({"exec"})


class Stamps:
    """Keys with the time each was last stamped, oldest stamp first.

    Expiry pops from the front and stops at the first fresh stamp, and the count is capped,
    so stamping and expiring cost O(1) amortised however many keys are held. Stamps are
    assumed to come from a clock that never goes back (a stamp out of order only delays its
    own expiry).
    """

    def __init__(self, max_age: float, cap: int = MAX_SEEN) -> None:
        self.max_age = max_age
        self.cap = cap
        self._items: OrderedDict[Hashable, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> float | None:
        return self._items.get(key)

    def stamp(self, key: Hashable, now: float) -> None:
        self._items[key] = now
        self._items.move_to_end(key)
        while len(self._items) > self.cap:
            self._items.popitem(last=False)

    def pop(self, key: Hashable) -> float | None:
        return self._items.pop(key, None)

    def expire(self, now: float) -> None:
        """Forget the stamps older than max_age."""
        items = self._items
        while items:
            oldest = next(iter(items.values()))
            if now - oldest <= self.max_age:
                break
            items.popitem(last=False)


@dataclass(frozen=True)
class Mood:
    """What the pet should show, and who caused it.

    Attributes:
        state: one of PRIORITY.
        agent, project, session: the session that decided the mood ("" when idle).
        variant: for WORKING, what kind of work ("shell", "editing", "reading", "searching",
            "delegating", or "" when unknown).
        message: the latest message of that session (a notification, the last reply).
        sessions: how many sessions are live.
        working: how many of them (headless ones left out) run a tool.
    """

    state: str = IDLE
    agent: str = ""
    project: str = ""
    session: str = ""
    variant: str = ""
    message: str = ""
    sessions: int = 0
    working: int = 0


@dataclass(frozen=True)
class SessionView:
    """One live session as the owner sees it in a list.

    Attributes:
        agent: the agent id ("claude", "codex", ...).
        session: the agent's session id.
        project: basename of its working directory ("" when unknown).
        state: one of PRIORITY.
        tool: for WORKING and PERMISSION, the tool's name when known ("Bash").
        variant: for WORKING, the kind of work (VARIANTS).
        seconds: how long the session has been in this state, by the tracker's clock.
    """

    agent: str
    session: str
    project: str
    state: str
    tool: str = ""
    variant: str = ""
    seconds: float = 0.0


@dataclass
class _Session:
    agent: str
    session: str
    project: str = ""
    state: str = IDLE
    variant: str = ""
    message: str = ""
    last_reply: str = ""
    last_event: float = 0.0
    since: float = 0.0
    tool: str = ""  # the tool's name while working or asking permission
    headless: bool = False
    open_tools: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> category, name
    # tool ids whose end came before their start
    finished_tools: Stamps = field(default_factory=lambda: Stamps(_ID_DEDUP_WINDOW))
    subagents: int = 0
    terminal: Terminal | None = None  # the latest one its hook reported


class SessionTracker:
    """Folds AgentEvents from every agent into one Mood.

    `clock` returns seconds (time.monotonic by default); tests pass a fake one. `max_seen`
    caps the de-dup stamps kept, `max_sessions` the live sessions.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        working_timeout: float = WORKING_TIMEOUT,
        forget_after: float = FORGET_AFTER,
        done_for: float = DONE_FOR,
        max_seen: int = MAX_SEEN,
        max_sessions: int = MAX_SESSIONS,
    ) -> None:
        self.now = clock
        self.working_timeout = working_timeout
        self.forget_after = forget_after
        self.done_for = done_for
        self._sessions: dict[tuple[str, str], _Session] = {}
        # Plain stamps are only kept as long as id stamps; each is judged by its own window.
        self._seen = Stamps(_ID_DEDUP_WINDOW, max_seen)
        self.max_sessions = max_sessions

    # --- input -----------------------------------------------------------------------

    def feed(self, event: AgentEvent) -> AgentEvent | None:
        """Apply one event. Returns it (a turn_complete gains the last reply it lacked), or
        None when it was a duplicate or changed nothing worth telling the pet about."""
        now = self.now()
        self.tick()
        key = (event.agent, event.session)
        headless = event.kind == ev.SESSION_START and event.detail in HEADLESS_SOURCES
        if self._duplicate(event, now):
            if headless and key in self._sessions:  # the hook's start came first
                self._sessions[key].headless = True
            return None
        s = self._sessions.get(key)
        if s is None:
            if event.kind == ev.SESSION_END:
                return None
            if len(self._sessions) >= self.max_sessions:
                # The watchdogs and mood() visit every session on every event: keep them few.
                silent = min(self._sessions, key=lambda k: self._sessions[k].last_event)
                del self._sessions[silent]
            s = self._sessions[key] = _Session(event.agent, event.session, since=now)
        s.last_event = now
        if event.project and event.project != "<CWD>":
            s.project = event.project
        if event.terminal is not None:
            s.terminal = event.terminal
        if event.kind == ev.SESSION_END:
            del self._sessions[key]
            return event
        if event.kind in (ev.PERMISSION_REQUEST, ev.WAITING_FOR_OWNER):
            wanted = PERMISSION if event.kind == ev.PERMISSION_REQUEST else WAITING
            if s.state == wanted:
                return None  # Claude's Notification repeating its PermissionRequest
        s.headless = s.headless or headless
        event = self._apply(s, event, now)
        return event

    def headless(self, event: AgentEvent) -> bool:
        """The event's session runs without an owner at it (`codex exec`), as far as known."""
        s = self._sessions.get((event.agent, event.session))
        return s is not None and s.headless

    def _duplicate(self, event: AgentEvent, now: float) -> bool:
        tool = event.tool
        tool_id = tool.id if tool else ""
        if tool_id or (event.turn and event.kind in (ev.PROMPT, ev.TURN_COMPLETE, ev.TURN_FAILED)):
            # Same turn or tool id: the same event, whichever channel brought it.
            key: tuple = (event.agent, event.session, event.kind, event.turn, tool_id)
            window = _ID_DEDUP_WINDOW
        else:
            summary = (tool.name, tool.summary) if tool else ()
            key = (event.agent, event.session, event.kind, event.turn, summary, event.message)
            window = _PLAIN_DEDUP_WINDOW
        seen = self._seen.get(key)
        if seen is None or now - seen >= window:
            self._seen.stamp(key, now)
            return False
        return True

    def _apply(self, s: _Session, event: AgentEvent, now: float) -> AgentEvent:
        kind, tool = event.kind, event.tool
        if kind == ev.SESSION_START:
            self._set(s, IDLE, now)
        elif kind == ev.PROMPT:
            s.open_tools.clear()
            s.subagents = 0
            self._set(s, THINKING, now)
        elif kind == ev.TOOL_START:
            tool_id = tool.id if tool else ""
            if tool_id and s.finished_tools.pop(tool_id) is not None:
                return event  # its end already came: nothing runs any more
            category = tool.category if tool else ev.OTHER
            name = tool.name if tool else ""
            if tool_id:
                s.open_tools[tool_id] = (category, name)
            self._set(s, WORKING, now, VARIANTS.get(category, ""), name)
        elif kind in (ev.TOOL_END, ev.TOOL_FAILED):
            tool_id = tool.id if tool else ""
            if not tool_id and s.open_tools:
                # Cursor's postToolUse may lack the id its preToolUse had: close the newest.
                s.open_tools.popitem()
            elif tool_id and s.open_tools.pop(tool_id, None) is None:
                s.finished_tools.expire(now)
                s.finished_tools.stamp(tool_id, now)  # end before start (out of order)
            self._after_work(s, now)
        elif kind == ev.PERMISSION_REQUEST:
            s.message = event.message
            self._set(s, PERMISSION, now, tool.category if tool else "", tool.name if tool else "")
        elif kind == ev.WAITING_FOR_OWNER:
            s.message = event.message
            self._set(s, WAITING, now)
        elif kind == ev.SUBAGENT_START:
            s.subagents += 1
            self._set(s, WORKING, now, VARIANTS[ev.DELEGATE], tool.summary if tool else "")
        elif kind == ev.SUBAGENT_STOP:
            s.subagents = max(0, s.subagents - 1)
            self._after_work(s, now)
        elif kind == ev.COMPACTING:
            self._set(s, THINKING, now)
        elif kind == ev.AGENT_MESSAGE:
            s.last_reply = event.message  # Cursor sends the reply before its stop event
        elif kind in (ev.TURN_COMPLETE, ev.TURN_FAILED):
            s.open_tools.clear()
            s.subagents = 0
            if not event.message and s.last_reply:
                event = dataclasses.replace(event, message=s.last_reply)
            s.last_reply = ""
            s.message = event.message
            self._set(s, DONE if kind == ev.TURN_COMPLETE else ERROR, now)
        return event

    def _after_work(self, s: _Session, now: float) -> None:
        """A tool or subagent finished: still working if others run, else thinking again."""
        if s.open_tools:
            category, name = next(reversed(s.open_tools.values()))
            self._set(s, WORKING, now, VARIANTS.get(category, ""), name)
        elif s.subagents:
            self._set(s, WORKING, now, VARIANTS[ev.DELEGATE])
        elif s.state in (WORKING, THINKING, PERMISSION, WAITING, IDLE):
            self._set(s, THINKING, now)

    @staticmethod
    def _set(s: _Session, state: str, now: float, variant: str = "", tool: str = "") -> None:
        if state != s.state:
            s.since = now
        s.state = state
        s.variant = variant if state in (WORKING, PERMISSION) else ""
        if state != WORKING or tool:
            s.tool = tool if state in (WORKING, PERMISSION) else ""
        if state not in (PERMISSION, WAITING, DONE, ERROR):
            s.message = ""

    # --- watchdogs and output ------------------------------------------------------------

    def tick(self) -> None:
        """Apply the watchdogs; mood() and feed() call this, a timer may too."""
        now = self.now()
        for key, s in list(self._sessions.items()):
            silent = now - s.last_event
            if silent >= self.forget_after:
                del self._sessions[key]
            elif s.state in (WORKING, THINKING) and silent >= self.working_timeout:
                s.open_tools.clear()
                s.subagents = 0
                self._set(s, IDLE, now)
            elif s.state in (DONE, ERROR) and now - s.since >= self.done_for:
                self._set(s, IDLE, now)
        self._seen.expire(now)

    def mood(self) -> Mood:
        self.tick()
        if not self._sessions:
            return Mood()
        rank = {state: i for i, state in enumerate(PRIORITY)}
        # Most urgent first; among equals, the most recent event.
        s = min(self._sessions.values(), key=lambda s: (rank[s.state], -s.last_event))
        working = sum(1 for s in self._sessions.values() if s.state == WORKING and not s.headless)
        if s.state == IDLE:
            return Mood(sessions=len(self._sessions))
        return Mood(
            state=s.state,
            agent=s.agent,
            project=s.project,
            session=s.session,
            variant=s.variant,
            message=s.message,
            sessions=len(self._sessions),
            working=working,
        )

    def sessions(self) -> list[tuple[str, str, str]]:
        """(agent, session, state) for every live session, for the tray's status list."""
        self.tick()
        return [(s.agent, s.session, s.state) for s in self._sessions.values()]

    def terminal(self, session: str) -> Terminal | None:
        """The latest terminal a live session's hook reported (None if unknown or gone)."""
        found = [s for s in self._sessions.values() if s.session == session and s.terminal]
        return max(found, key=lambda s: s.last_event).terminal if found else None

    def live(self) -> list[SessionView]:
        """The live sessions an owner sits at (headless ones left out), most urgent first and,
        among equals, the most recently heard first. At most `max_sessions` of them."""
        self.tick()
        now = self.now()
        rank = {state: i for i, state in enumerate(PRIORITY)}
        shown = sorted(
            (s for s in self._sessions.values() if not s.headless),
            key=lambda s: (rank[s.state], -s.last_event),
        )
        return [
            SessionView(
                agent=s.agent,
                session=s.session,
                project=s.project,
                state=s.state,
                tool=s.tool,
                variant=s.variant,
                seconds=max(0.0, now - s.since),
            )
            for s in shown
        ]
