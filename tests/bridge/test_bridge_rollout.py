"""The Codex rollout tailer fed the real rollout file line by line."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from deskpet.bridge import codex_rollout
from deskpet.bridge.codex_rollout import RolloutTailer

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "codex_rollout_sample.jsonl"
SESSION = "019c8bfe-ec25-79e0-97d7-bda6a9c575ff"
NAME = f"rollout-2026-02-23T20-34-25-{SESSION}.jsonl"
# The sample's own day, in local time: Codex names the day folder by local time.
DAY = datetime(2026, 2, 23, 20, 34, 25).astimezone()


def day_folder(root: Path, day: datetime = DAY) -> Path:
    folder = root / f"{day.year:04d}" / f"{day.month:02d}" / f"{day.day:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def tailer_on(root: Path, **kw) -> RolloutTailer:
    """A tailer whose today is the sample's day."""
    return RolloutTailer(root=root, now=lambda: DAY, **kw)


def test_new_file_fed_line_by_line(tmp_path):
    tailer = tailer_on(tmp_path)
    assert tailer.poll() == []
    path = day_folder(tmp_path) / NAME
    kinds = []
    with path.open("ab") as f:
        for raw in SAMPLE.read_bytes().splitlines(keepends=True):
            f.write(raw)
            f.flush()
            kinds += [e.kind for e in tailer.poll()]
    assert kinds == ["session_start", "prompt"] + ["tool_start", "tool_end"] * 5 + ["turn_complete"]


def test_events_carry_session_turn_project_and_tools(tmp_path):
    tailer = tailer_on(tmp_path)
    tailer.poll()
    (day_folder(tmp_path) / NAME).write_bytes(SAMPLE.read_bytes())
    events = tailer.poll()
    assert {e.session for e in events} == {SESSION}
    assert {e.agent for e in events} == {"codex"}
    assert {e.source for e in events} == {"rollout"}
    assert {e.project for e in events} == {"ea96e59ed9"}
    assert {e.turn for e in events[1:]} == {"019c8bfe-ed40-7a21-b57f-6447436c5881"}
    start = events[2]
    assert (start.tool.name, start.tool.id) == (
        "mcp__cloud-associates__search_workflows",
        "call_OIMY41RetdVChp5U51mMLGOD",
    )
    end = events[3]
    assert (end.tool.name, end.tool.id) == (start.tool.name, start.tool.id)
    assert events[-1].message.startswith("[REDACTED_LAST_AGENT_MESSAGE")
    # The line's own time (2026-02-23T19:34:26.098Z), not the time we read it.
    assert events[0].ts == 1771875266.098


def test_a_line_split_across_two_writes(tmp_path):
    tailer = tailer_on(tmp_path)
    tailer.poll()
    path = day_folder(tmp_path) / NAME
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0])
    assert [e.kind for e in tailer.poll()] == ["session_start"]
    task_started = lines[7]
    with path.open("ab") as f:
        f.write(task_started[:25])
        f.flush()
        assert tailer.poll() == []  # half a line is not an event yet
        f.write(task_started[25:])
        f.flush()
    assert [e.kind for e in tailer.poll()] == ["prompt"]


def test_existing_content_is_not_replayed_but_appends_are_seen(tmp_path):
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    path = day_folder(tmp_path) / NAME
    path.write_bytes(b"".join(lines[:50]))
    tailer = tailer_on(tmp_path)
    assert tailer.poll() == []
    with path.open("ab") as f:
        f.write(b"".join(lines[50:]))
    events = tailer.poll()
    assert [e.kind for e in events] == ["tool_start", "tool_end", "turn_complete"]
    # The session and folder came from the first line, read once at start.
    assert {(e.session, e.project) for e in events} == {(SESSION, "ea96e59ed9")}


def test_newer_codex_excerpt_and_a_truncated_file(tmp_path):
    tailer = tailer_on(tmp_path)
    tailer.poll()
    path = (
        day_folder(tmp_path)
        / "rollout-2026-07-25T18-02-41-019f99c3-7c57-7963-98e9-f496a7978257.jsonl"
    )
    path.write_bytes((FIXTURES / "codex_rollout_v0145_excerpt.jsonl").read_bytes())
    events = tailer.poll()
    assert [(e.kind, e.session) for e in events] == [
        ("session_start", "019f99c3-7c57-7963-98e9-f496a7978257")
    ]
    # Replaced by something shorter: read again from the start.
    path.write_bytes(SAMPLE.read_bytes().splitlines(keepends=True)[0])
    assert [e.kind for e in tailer.poll()] == ["session_start"]


def test_garbage_lines_are_skipped(tmp_path):
    tailer = tailer_on(tmp_path)
    tailer.poll()
    path = day_folder(tmp_path) / NAME
    path.write_bytes(
        b'not json\n[1]\n{"type": "event_msg", "payload": 3}\n\xff\xfe\n'
        + SAMPLE.read_bytes().splitlines(keepends=True)[62]
    )
    assert [e.kind for e in tailer.poll()] == ["turn_complete"]


def test_background_thread_delivers_to_callback(tmp_path):
    import queue

    got: queue.Queue = queue.Queue()
    tailer = tailer_on(tmp_path, on_event=got.put)
    tailer.start(interval=0.02)
    try:
        assert tailer.primed.wait(5)  # a file written before the first poll counts as old
        (day_folder(tmp_path) / NAME).write_bytes(SAMPLE.read_bytes().splitlines(keepends=True)[0])
        assert got.get(timeout=2).kind == "session_start"
    finally:
        tailer.stop()


def test_the_line_before_an_oversized_one_is_kept(tmp_path, monkeypatch):
    # GIVEN one write holding a complete line and the start of a line longer than MAX_LINE
    # WHEN polled THEN the complete line is an event, the long one is skipped, and the next is seen
    monkeypatch.setattr("deskpet.bridge.codex_rollout.MAX_LINE", 1000)
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    tailer = tailer_on(tmp_path)
    tailer.poll()
    path = day_folder(tmp_path) / NAME
    with path.open("ab") as f:
        f.write(lines[0] + b'{"type": "response_item", "payload": "' + b"x" * 2000)
        f.flush()
        assert [e.kind for e in tailer.poll()] == ["session_start"]
        f.write(b"y" * 2000)  # still the oversized line: nothing to show, nothing kept
        f.flush()
        assert tailer.poll() == []
        f.write(b'"}\n' + lines[7])
        f.flush()
    assert [e.kind for e in tailer.poll()] == ["prompt"]


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def old_history(root: Path, files: int, days: int) -> None:
    """Years-old rollouts, spread over `days` day folders: what a long-time Codex user has."""
    start = datetime(2021, 1, 1).astimezone()
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    for i in range(files):
        folder = day_folder(root, start + timedelta(days=i % days))
        (
            folder / f"rollout-2021-01-01T00-00-00-{i:08d}-0000-0000-0000-000000000000.jsonl"
        ).write_bytes(lines[0])


def file_calls(poll) -> int:
    """How many directory listings and stats one call makes."""
    watched = (os.stat, os.lstat, os.scandir, os.listdir)
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "c_call" and any(arg is f for f in watched):
            count += 1

    sys.setprofile(profile)
    try:
        poll()
    finally:
        sys.setprofile(None)
    return count


def test_an_idle_poll_costs_the_same_however_much_history_there_is(tmp_path):
    # GIVEN a sessions folder holding one live rollout today and thousands of old ones
    small, big = tmp_path / "small", tmp_path / "big"
    for root in (small, big):
        today = day_folder(root, datetime.now().astimezone())
        (today / NAME).write_bytes(SAMPLE.read_bytes().splitlines(keepends=True)[0])
    old_history(small, files=10, days=5)
    old_history(big, files=3000, days=150)
    cost = {}
    for root in (small, big):
        tailer = RolloutTailer(root=root)
        tailer.poll()  # notes what is there
        # WHEN nothing happens THEN a poll lists the watched days and stats the live file only
        cost[root] = file_calls(tailer.poll)
    assert cost[big] == cost[small]
    assert cost[big] <= 6


def test_a_new_rollout_today_is_picked_up_among_thousands_of_old_ones(tmp_path):
    old_history(tmp_path, files=2000, days=100)
    tailer = RolloutTailer(root=tmp_path)
    assert tailer.poll() == []
    (day_folder(tmp_path, datetime.now().astimezone()) / NAME).write_bytes(SAMPLE.read_bytes())
    events = tailer.poll()
    assert [e.kind for e in events][:2] == ["session_start", "prompt"]
    assert events[-1].kind == "turn_complete"


def test_a_session_running_past_midnight_is_followed_until_it_goes_quiet(tmp_path):
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    now, clock = [DAY.replace(hour=23, minute=58)], FakeClock()
    tailer = RolloutTailer(root=tmp_path, now=lambda: now[0], clock=clock)
    tailer.poll()
    path = day_folder(tmp_path, now[0]) / NAME
    path.write_bytes(lines[0])
    assert [e.kind for e in tailer.poll()] == ["session_start"]
    # Past midnight the folder is yesterday's: still watched.
    now[0] += timedelta(minutes=5)
    with path.open("ab") as f:
        f.write(lines[7])
    assert [e.kind for e in tailer.poll()] == ["prompt"]
    # Two days on, no longer a watched day, but a file being followed stays followed...
    now[0] += timedelta(days=2)
    clock.t += 600
    with path.open("ab") as f:
        f.write(lines[62])
    assert [e.kind for e in tailer.poll()] == ["turn_complete"]
    # ...until it has been quiet for an hour.
    clock.t += codex_rollout.QUIET_AFTER - 1
    tailer.poll()
    assert tailer.following() == [path]
    clock.t += 1
    tailer.poll()
    assert tailer.following() == []


def test_a_session_begun_yesterday_is_noticed_by_a_pet_started_today(tmp_path):
    # Codex started before midnight; the pet starts after it.
    path = day_folder(tmp_path, DAY) / NAME
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0])
    tailer = RolloutTailer(root=tmp_path, now=lambda: DAY + timedelta(days=1))
    assert tailer.poll() == []  # history
    with path.open("ab") as f:
        f.write(lines[7])
    assert [(e.kind, e.session) for e in tailer.poll()] == [("prompt", SESSION)]
