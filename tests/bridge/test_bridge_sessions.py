"""Folding many sessions into one mood, with a fake clock."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path

import pytest

from deskpet.bridge import events, sessions
from deskpet.bridge.codex_rollout import RolloutTailer
from deskpet.bridge.events import AgentEvent, Tool
from deskpet.bridge.sessions import SessionTracker

FIXTURES = Path(__file__).parent / "fixtures"


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tracker(clock) -> SessionTracker:
    return SessionTracker(clock=clock)


def ev(kind, session="s1", agent="claude", tool=None, tool_id="", turn="", message="", **kw):
    t = Tool(tool, events.tool_category(tool), "", tool_id) if tool else None
    return AgentEvent(
        agent=agent,
        source="hook",
        kind=kind,
        session=session,
        turn=turn,
        tool=t,
        message=message,
        **kw,
    )


def fixture_event(name: str, channel: str = "hook") -> AgentEvent:
    payload = json.loads((FIXTURES / name).read_text())
    return events.from_payload(name.split("_")[0], payload, channel)


def test_priority_ladder_across_sessions(tracker, clock):
    # GIVEN one session per mood, added from least to most urgent, THEN each new one wins
    steps = [
        ("idle", [ev("session_start", "a")]),
        ("done", [ev("prompt", "b"), ev("turn_complete", "b", message="All green")]),
        ("thinking", [ev("prompt", "c")]),
        ("working", [ev("tool_start", "d", tool="Edit", tool_id="t1")]),
        ("error", [ev("turn_failed", "e")]),
        ("waiting", [ev("waiting_for_owner", "f")]),
        ("permission", [ev("permission_request", "g", tool="Bash")]),
    ]
    assert sessions.PRIORITY == (
        "permission",
        "waiting",
        "error",
        "working",
        "thinking",
        "done",
        "idle",
    )
    for state, feed in steps:
        for e in feed:
            clock.advance(1)
            tracker.feed(e)
        mood = tracker.mood()
        assert mood.state == state
        if state != "idle":
            assert mood.session == feed[-1].session
    assert tracker.mood().sessions == 7
    assert tracker.mood().variant == "shell"


def test_mood_names_agent_project_and_working_variant(tracker):
    tracker.feed(fixture_event("claude_pretooluse_edit_legacy.json"))
    mood = tracker.mood()
    assert (mood.state, mood.agent, mood.project, mood.variant) == (
        "working",
        "claude",
        "vk-2b7f-please-fix",
        "editing",
    )


@pytest.mark.parametrize(
    "tool,variant",
    [
        ("Bash", "shell"),
        ("Edit", "editing"),
        ("Read", "reading"),
        ("Grep", "searching"),
        ("Task", "delegating"),
        ("WebFetch", "searching"),
        ("mcp__x__y", ""),
    ],
)
def test_working_variants(tracker, tool, variant):
    tracker.feed(ev("tool_start", tool=tool, tool_id="x"))
    assert (tracker.mood().state, tracker.mood().variant) == ("working", variant)


def test_a_claude_turn_from_the_fixtures(tracker):
    for name, state in [
        ("claude_userpromptsubmit.json", "thinking"),
        ("claude_subagentstart.json", "working"),
        ("claude_posttoolusefailure_bash.json", "working"),  # the subagent still runs
    ]:
        tracker.feed(fixture_event(name))
        assert tracker.mood().state == state, name
    assert tracker.mood().variant == "delegating"


def test_tool_end_returns_to_thinking_and_parallel_tools_keep_working(tracker):
    tracker.feed(ev("prompt"))
    tracker.feed(ev("tool_start", tool="Bash", tool_id="a"))
    tracker.feed(ev("tool_start", tool="Read", tool_id="b"))
    tracker.feed(ev("tool_end", tool="Bash", tool_id="a"))
    assert (tracker.mood().state, tracker.mood().variant) == ("working", "reading")
    tracker.feed(ev("tool_end", tool="Read", tool_id="b"))
    assert tracker.mood().state == "thinking"


def test_out_of_order_tool_events(tracker):
    tracker.feed(ev("prompt"))
    tracker.feed(ev("tool_end", tool="Bash", tool_id="late"))  # end overtook its start
    tracker.feed(ev("tool_start", tool="Bash", tool_id="late"))
    assert tracker.mood().state == "thinking"


def test_cursor_post_tool_use_without_id_closes_the_open_tool(tracker):
    for name in ("cursor_sessionStart.json", "cursor_preToolUse_shell.json"):
        tracker.feed(fixture_event(name))
    assert tracker.mood().state == "working"
    tracker.feed(fixture_event("cursor_postToolUse_shell.json"))
    assert tracker.mood().state == "thinking"
    tracker.feed(fixture_event("cursor_sessionEnd.json"))
    assert tracker.mood() == sessions.Mood()


def test_codex_turn_complete_from_three_channels_counts_once(tracker, clock):
    hook_stop = fixture_event("codex_hook_stop.json")
    notify = fixture_event("codex_notify_agent_turn_complete.json", "notify")
    rollout = AgentEvent(
        "codex", "rollout", "turn_complete", session=hook_stop.session, turn=hook_stop.turn
    )
    assert tracker.feed(hook_stop) is not None
    clock.advance(2)
    assert tracker.feed(notify) is None
    clock.advance(30)
    assert tracker.feed(rollout) is None
    assert tracker.mood().state == "done"
    assert tracker.mood().message == "hello-from-tma"


def test_cursor_replaying_claude_hooks_counts_once(tracker):
    native = fixture_event("cursor_preToolUse_shell.json")
    payload = json.loads((FIXTURES / "cursor_preToolUse_shell.json").read_text())
    payload["hook_event_name"] = "PreToolUse"
    replayed = events.from_payload("claude", payload)
    assert tracker.feed(native) is not None
    assert tracker.feed(replayed) is None


def test_same_id_less_event_later_is_not_a_duplicate(tracker, clock):
    assert tracker.feed(ev("turn_complete", message="one")) is not None
    clock.advance(1)
    assert tracker.feed(ev("turn_complete", message="one")) is None
    clock.advance(10)
    assert tracker.feed(ev("turn_complete", message="one")) is not None


def test_permission_notification_after_permission_request_is_one_ring(tracker, clock):
    notification = fixture_event("claude_notification_permission.json")
    assert tracker.feed(ev("permission_request", notification.session, tool="Bash")) is not None
    clock.advance(6)
    assert tracker.feed(notification) is None
    assert tracker.mood().state == "permission"


def test_permission_holds_until_the_tool_moves_on(tracker, clock):
    tracker.feed(ev("permission_request", tool="Bash"))
    clock.advance(sessions.WORKING_TIMEOUT + 1)
    assert tracker.mood().state == "permission"  # the owner may be at lunch
    tracker.feed(ev("tool_start", tool="Bash", tool_id="z"))
    assert tracker.mood().state == "working"


def test_working_watchdog_drops_to_idle(tracker, clock):
    tracker.feed(ev("tool_start", tool="Bash", tool_id="hung"))
    clock.advance(sessions.WORKING_TIMEOUT - 1)
    assert tracker.mood().state == "working"
    clock.advance(2)
    assert tracker.mood().state == "idle"
    assert tracker.mood().sessions == 1


def test_silent_session_is_forgotten(tracker, clock):
    tracker.feed(ev("waiting_for_owner"))
    clock.advance(sessions.FORGET_AFTER - 1)
    assert tracker.mood().state == "waiting"
    clock.advance(2)
    assert tracker.mood() == sessions.Mood()
    assert tracker.sessions() == []


def test_done_relaxes_to_idle(tracker, clock):
    tracker.feed(ev("turn_complete"))
    clock.advance(sessions.DONE_FOR + 1)
    assert tracker.mood().state == "idle"


def test_cursor_reply_is_attached_to_its_stop(tracker):
    tracker.feed(ev("agent_message", agent="cursor", message="Fixed the flaky test."))
    done = tracker.feed(ev("turn_complete", agent="cursor"))
    assert done.message == "Fixed the flaky test."
    assert tracker.mood().message == "Fixed the flaky test."


def test_session_end_forgets_only_that_session(tracker):
    tracker.feed(ev("prompt", "a"))
    tracker.feed(ev("prompt", "b", agent="codex"))
    tracker.feed(ev("session_end", "a"))
    assert [s[:2] for s in tracker.sessions()] == [("codex", "b")]


class CountingClock(FakeClock):
    """A fake clock whose readings count how often they are subtracted: every stamp the
    tracker looks at costs one subtraction, so the count is the work done."""

    def __init__(self) -> None:
        super().__init__()
        self.subtractions = 0

    def __call__(self) -> float:
        return Reading(self.t, self)


class Reading(float):
    def __new__(cls, value: float, clock: CountingClock) -> Reading:
        reading = super().__new__(cls, value)
        reading.clock = clock
        return reading

    def __sub__(self, other: float) -> float:
        self.clock.subtractions += 1
        return float(self) - float(other)

    def __rsub__(self, other: float) -> float:
        self.clock.subtractions += 1
        return float(other) - float(self)


def test_the_work_per_event_stays_flat_as_the_de_dup_table_grows():
    # GIVEN a long busy session: every tool id is new, all within the de-dup window
    clock = CountingClock()
    tracker = SessionTracker(clock=clock)
    tracker.feed(ev("prompt"))
    ids = itertools.count()

    def work_for(events_: int) -> int:
        before = clock.subtractions
        for _ in range(events_):
            clock.advance(0.01)
            tracker.feed(ev("tool_start", tool="Bash", tool_id=f"t{next(ids)}"))
        return clock.subtractions - before

    # WHEN the table already holds thousands of stamps
    first = work_for(200)
    work_for(3000)
    later = work_for(200)
    # THEN the next events cost what the first ones did (not one visit per held stamp)
    assert later <= first * 1.5
    assert later < 200 * 20


def test_the_de_dup_table_is_capped_and_forgets_its_oldest_first(clock):
    tracker = SessionTracker(clock=clock, max_seen=100)
    tracker.feed(ev("prompt", turn="first"))
    for i in range(1000):
        clock.advance(0.001)
        tracker.feed(ev("tool_start", tool="Read", tool_id=f"r{i}"))
        assert len(tracker._seen) <= 100
    assert tracker.feed(ev("tool_start", tool="Read", tool_id="r999")) is None  # still held
    assert tracker.feed(ev("prompt", turn="first")) is not None  # pushed out by the flood


def test_stamps_expire_in_time_order_and_a_fresh_stamp_moves_to_the_back():
    stamps = sessions.Stamps(max_age=10)
    stamps.stamp("a", 0)
    stamps.stamp("b", 5)
    stamps.stamp("a", 8)  # a again: now newer than b
    stamps.expire(16)
    assert (stamps.get("a"), stamps.get("b")) == (8, None)
    stamps.expire(19)
    assert len(stamps) == 0


def test_a_flood_of_new_sessions_keeps_the_work_per_event_flat():
    # GIVEN events from thousands of different sessions (each one new)
    clock = CountingClock()
    tracker = SessionTracker(clock=clock)
    names = itertools.count()

    def work_for(events_: int) -> int:
        before = clock.subtractions
        for _ in range(events_):
            clock.advance(0.01)
            tracker.feed(ev("prompt", session=f"s{next(names)}"))
        return clock.subtractions - before

    first = work_for(100)
    work_for(2000)
    # THEN the watchdogs visit a bounded number of sessions: later events cost no more
    assert work_for(100) <= first * 1.5
    assert len(tracker.sessions()) == sessions.MAX_SESSIONS


def test_past_the_cap_the_longest_silent_session_is_forgotten(clock):
    tracker = SessionTracker(clock=clock, max_sessions=3)
    for name in ("a", "b", "c"):
        tracker.feed(ev("prompt", session=name))
        clock.advance(1)
    tracker.feed(ev("tool_start", session="a", tool="Bash", tool_id="t1"))  # a speaks again
    clock.advance(1)
    tracker.feed(ev("prompt", session="d"))
    assert sorted(s for _, s, _ in tracker.sessions()) == ["a", "c", "d"]


# -- the owner's list of live sessions -----------------------------------------------------------


def test_live_lists_each_session_with_its_state_tool_and_time_in_state(tracker, clock):
    # GIVEN three agents, each doing something else, from their real payloads
    tracker.feed(fixture_event("claude_pretooluse_bash.json"))
    clock.advance(30)
    tracker.feed(fixture_event("codex_hook_userpromptsubmit.json"))
    clock.advance(5)
    tracker.feed(fixture_event("gemini_notification_toolpermission.json"))
    clock.advance(2)
    # THEN the most urgent comes first, each with the time it has spent in its state
    live = tracker.live()
    assert [(v.agent, v.state, v.tool, v.seconds) for v in live] == [
        ("gemini", sessions.PERMISSION, "Shell", 2.0),
        ("claude", sessions.WORKING, "Bash", 37.0),
        ("codex", sessions.THINKING, "", 7.0),
    ]
    assert live[1].variant == "shell"
    assert live[1].session == "65ced290-2a08-43de-aa80-d0b049d7ce30"
    # AND the time counts from the change of state, not from the last event
    tracker.feed(ev(events.TOOL_START, session=live[1].session, tool="Bash", tool_id="t2"))
    clock.advance(3)
    assert tracker.live()[1].seconds == 40.0


def test_live_sessions_end_and_relax_like_the_mood(tracker, clock):
    tracker.feed(ev(events.PROMPT, session="a", project="shop"))
    tracker.feed(ev(events.TURN_COMPLETE, session="a"))
    assert [(v.project, v.state) for v in tracker.live()] == [("shop", sessions.DONE)]
    clock.advance(sessions.DONE_FOR)
    assert [v.state for v in tracker.live()] == [sessions.IDLE]
    tracker.feed(ev(events.SESSION_END, session="a"))
    assert tracker.live() == []


def test_a_codex_exec_session_is_left_out_of_the_list_but_not_out_of_the_mood(tracker, tmp_path):
    # GIVEN `codex exec`: the real rollout sample, its session source set to "exec" as
    # Codex writes it for that command, read by the real tailer
    sample = (FIXTURES / "codex_rollout_sample.jsonl").read_text().splitlines(keepends=True)
    meta = json.loads(sample[0])
    assert meta["type"] == "session_meta" and meta["payload"]["source"] == "vscode"
    meta["payload"]["source"] = "exec"
    day = tmp_path / "2026" / "02" / "23"
    day.mkdir(parents=True)
    name = f"rollout-2026-02-23T20-34-25-{meta['payload']['id']}.jsonl"
    tailer = RolloutTailer(root=tmp_path, now=lambda: datetime(2026, 2, 23, 20, 34).astimezone())
    tailer.poll()
    (day / name).write_text(json.dumps(meta) + "\n" + "".join(sample[1:20]))
    rollout = tailer.poll()
    assert rollout[0].kind == events.SESSION_START and rollout[0].detail == "exec"
    for event in rollout:
        tracker.feed(event)
    # AND an interactive Codex session
    tracker.feed(fixture_event("codex_hook_userpromptsubmit.json"))
    # THEN only the interactive one is listed, while the pet still shows the exec's work
    assert [v.session for v in tracker.live()] == ["019f8aac-ff01-75d0-9bb1-7f0eab253ce7"]
    assert tracker.mood().session == meta["payload"]["id"]
    assert tracker.mood().working == 0  # and nobody's desk is busy


def test_the_rollout_start_marks_a_session_the_hook_already_started(tracker):
    # The hook's SessionStart and the rollout's arrive within the de-dup window.
    tracker.feed(ev(events.SESSION_START, session="x2", agent="codex", detail="startup"))
    tracker.feed(ev(events.SESSION_START, session="x2", agent="codex", detail="exec"))
    assert tracker.live() == []


def test_mood_counts_the_sessions_working(tracker):
    tracker.feed(ev(events.TOOL_START, session="a", tool="Bash", tool_id="1"))
    assert tracker.mood().working == 1
    tracker.feed(ev(events.TOOL_START, session="b", agent="codex", tool="Read", tool_id="2"))
    tracker.feed(ev(events.PROMPT, session="c", agent="cursor"))
    assert tracker.mood().working == 2
    tracker.feed(ev(events.TOOL_END, session="a", tool="Bash", tool_id="1"))
    assert tracker.mood().working == 1


def test_live_lists_at_most_the_capped_sessions(clock):
    tracker = SessionTracker(clock=clock, max_sessions=8)
    for i in range(50):
        tracker.feed(ev(events.PROMPT, session=f"s{i}"))
    assert len(tracker.live()) == 8
