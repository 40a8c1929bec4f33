"""The Codex rollout tailer fed the real rollout file line by line."""

from __future__ import annotations

from pathlib import Path

from deskpet.bridge.codex_rollout import RolloutTailer

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "codex_rollout_sample.jsonl"
SESSION = "019c8bfe-ec25-79e0-97d7-bda6a9c575ff"
NAME = f"rollout-2026-02-23T20-34-25-{SESSION}.jsonl"


def day_folder(root: Path) -> Path:
    folder = root / "2026" / "02" / "23"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_new_file_fed_line_by_line(tmp_path):
    tailer = RolloutTailer(root=tmp_path)
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
    tailer = RolloutTailer(root=tmp_path)
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
    tailer = RolloutTailer(root=tmp_path)
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
    tailer = RolloutTailer(root=tmp_path)
    assert tailer.poll() == []
    with path.open("ab") as f:
        f.write(b"".join(lines[50:]))
    events = tailer.poll()
    assert [e.kind for e in events] == ["tool_start", "tool_end", "turn_complete"]
    # The session and folder came from the first line, read once at start.
    assert {(e.session, e.project) for e in events} == {(SESSION, "ea96e59ed9")}


def test_newer_codex_excerpt_and_a_truncated_file(tmp_path):
    tailer = RolloutTailer(root=tmp_path)
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
    tailer = RolloutTailer(root=tmp_path)
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
    tailer = RolloutTailer(on_event=got.put, root=tmp_path)
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
    tailer = RolloutTailer(root=tmp_path)
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
