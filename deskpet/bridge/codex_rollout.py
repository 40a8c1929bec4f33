"""Zero-config Codex support: tail the session rollouts Codex writes anyway.

Codex appends one JSON object per line to ~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl, the
folder named for the local day the session began. We follow every such file from where it ended
when we started (old content is history, not news), read new files from their start, and keep a
partial-line buffer because a line may arrive in several writes. Poll-based on purpose: no
file-watching dependency, and tests call poll().

Each poll lists only the day folders a live session can be born in (today's and yesterday's,
local and UTC) and stats only the files it follows, so an idle poll costs the same with four
files of history or forty thousand. A file keeps being followed after its day has passed (a
session running past midnight) until it has been quiet for QUIET_AFTER. A months-old session
resumed in Codex appends to its old file, which is not watched: its hooks still reach the pet.

Each interesting line becomes a hook-shaped payload and goes through the same summarizer and
normalizer as real hook events, so one set of rules decides what is kept.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deskpet.bridge import hook
from deskpet.bridge.agents import codex
from deskpet.bridge.events import AgentEvent, normalize

log = logging.getLogger(__name__)

MAX_LINE = 8 << 20  # a function output line can be megabytes; beyond this we skip the line
_FIRST_LINE_LIMIT = 1 << 20
_SESSION_IN_NAME = re.compile(
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$"
)
_SHELLS = {"bash", "sh", "zsh", "fish"}
QUIET_AFTER = 60 * 60  # a followed file outside the watched days, unchanged this long, is let go


@dataclass
class _File:
    offset: int
    session: str = ""
    cwd: str = ""
    turn: str = ""
    buffer: bytes = b""
    skipping: bool = False  # inside a line longer than MAX_LINE
    tools: dict[str, str] = field(default_factory=dict)  # call_id -> tool name
    changed: float = 0.0  # when its size last moved (the tailer's clock)


def day_folders(root: Path, now: datetime) -> list[Path]:
    """The folders a live session's rollout can be in: today's and yesterday's local day
    (Codex names the folder by local time), and UTC's today in case it used UTC."""
    local = now.astimezone()
    days = [local, local - timedelta(days=1), local.astimezone(UTC)]
    folders = []
    for day in days:
        folder = root / f"{day.year:04d}" / f"{day.month:02d}" / f"{day.day:02d}"
        if folder not in folders:
            folders.append(folder)
    return folders


def _timestamp(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _command_text(arguments: object) -> str:
    """The shell command inside a function call's JSON arguments (string or argv list)."""
    try:
        args = json.loads(arguments) if isinstance(arguments, str) else arguments
    except ValueError:
        return ""
    if not isinstance(args, dict):
        return ""
    command = args.get("command", args.get("cmd"))
    if isinstance(command, list) and command and all(isinstance(c, str) for c in command):
        # ["bash", "-lc", "git status"] -> "git status"
        if os.path.basename(command[0]) in _SHELLS and len(command) >= 3:
            return command[-1]
        return " ".join(command)
    return command if isinstance(command, str) else ""


def line_payload(record: dict, state: _File) -> dict | None:
    """A hook-shaped payload for one rollout line, updating per-file state; None to skip."""
    kind, body = record.get("type"), record.get("payload")
    if not isinstance(body, dict):
        return None
    if kind == "session_meta":
        state.session = str(body.get("id") or state.session)
        state.cwd = str(body.get("cwd") or state.cwd)
        # "exec" marks a `codex exec` run: headless, left out of the owner's sessions list.
        source = "exec" if body.get("source") == "exec" else "rollout"
        return {"hook_event_name": "SessionStart", "source": source}
    if kind == "turn_context":
        state.turn = str(body.get("turn_id") or state.turn)
        state.cwd = str(body.get("cwd") or state.cwd)
        return None
    sub = body.get("type")
    if kind == "event_msg":
        if sub == "task_started":
            state.turn = str(body.get("turn_id") or state.turn)
            return {"hook_event_name": "UserPromptSubmit"}
        if sub == "task_complete":
            return {
                "hook_event_name": "Stop",
                "last_assistant_message": body.get("last_agent_message"),
            }
        if sub == "turn_aborted":
            # The owner pressed Esc: the turn is over, not broken.
            return {"hook_event_name": "Stop", "reason": str(body.get("reason") or "aborted")}
        if sub in ("exec_approval_request", "apply_patch_approval_request"):
            tool = "Bash" if sub == "exec_approval_request" else "apply_patch"
            return {
                "hook_event_name": "PermissionRequest",
                "tool_name": tool,
                "tool_input": {"command": _command_text({"command": body.get("command")})},
            }
        return None
    if kind == "response_item":
        call_id = body.get("call_id")
        call_id = call_id if isinstance(call_id, str) else ""
        if sub in ("function_call", "custom_tool_call", "local_shell_call"):
            name = body.get("name") if isinstance(body.get("name"), str) else "shell"
            if sub == "custom_tool_call":
                command = body.get("input") if isinstance(body.get("input"), str) else ""
            else:
                command = _command_text(body.get("arguments") or body.get("action"))
            if call_id:
                if len(state.tools) > 256:
                    state.tools.clear()
                state.tools[call_id] = name
            return {
                "hook_event_name": "PreToolUse",
                "tool_name": name,
                "tool_use_id": call_id,
                "tool_input": {"command": command} if command else {},
            }
        if sub in ("function_call_output", "custom_tool_call_output"):
            return {
                "hook_event_name": "PostToolUse",
                "tool_name": state.tools.pop(call_id, ""),
                "tool_use_id": call_id,
            }
    return None


class RolloutTailer:
    """Follows Codex rollout files and turns new lines into AgentEvents.

    Call poll() yourself (tests, a QTimer) or start() a background thread that polls every
    `interval` seconds. Events go to `on_event` (if given) and are returned by poll().
    `now` gives the wall-clock time that picks the day folders, `clock` the seconds that time
    a file's quiet; tests pass fixed ones.

    Attributes:
        primed: set once the first poll has noted the files already there (their old lines
            are skipped; files that appear later are read from their start).
    """

    def __init__(
        self,
        on_event: Callable[[AgentEvent], None] | None = None,
        root: Path | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = Path(root) if root is not None else codex.config_dir() / "sessions"
        self.on_event = on_event
        self._now = now
        self._clock = clock
        self._files: dict[Path, _File] = {}
        self._primed = False
        self.primed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- polling -------------------------------------------------------------------

    def poll(self) -> list[AgentEvent]:
        events: list[AgentEvent] = []
        watched = self._discover()
        for path in sorted(set(watched) | set(self._files)):
            state = self._files.get(path)
            if state is None:
                state = self._files[path] = self._new_file(path, at_end=not self._primed)
            events.extend(self._read(path, state))
        self._let_go(set(watched))
        self._primed = True
        self.primed.set()
        if self.on_event is not None:
            for event in events:
                self.on_event(event)
        return events

    def following(self) -> list[Path]:
        """The rollout files being tailed."""
        return sorted(self._files)

    def _discover(self) -> list[Path]:
        """The rollout files in the watched day folders (one listing each, no stat)."""
        found = []
        for folder in day_folders(self.root, self._now()):
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        name = entry.name
                        if name.startswith("rollout-") and name.endswith(".jsonl"):
                            found.append(folder / name)
            except OSError:  # not there yet (no session today), or unreadable
                continue
        return found

    def _let_go(self, watched: set[Path]) -> None:
        """Stop following files that are gone, or outside the watched days and quiet."""
        now = self._clock()
        for path, state in list(self._files.items()):
            if state.changed < 0 or (path not in watched and now - state.changed >= QUIET_AFTER):
                del self._files[path]

    def _new_file(self, path: Path, at_end: bool) -> _File:
        match = _SESSION_IN_NAME.search(path.name)
        state = _File(offset=0, session=match.group(1) if match else "", changed=self._clock())
        if at_end:
            # Skip the history, but learn the session and folder from its first line.
            try:
                state.offset = path.stat().st_size
                with path.open("rb") as f:
                    first = f.readline(_FIRST_LINE_LIMIT)
                record = json.loads(first)
                if isinstance(record, dict) and record.get("type") == "session_meta":
                    line_payload(record, state)
            except (OSError, ValueError):
                pass
        return state

    def _read(self, path: Path, state: _File) -> list[AgentEvent]:
        try:
            size = path.stat().st_size
        except OSError:
            state.changed = -1.0  # gone: let go of it
            return []
        try:
            if size < state.offset:  # truncated or replaced: start over
                state.offset, state.buffer, state.skipping = 0, b"", False
            if size == state.offset:
                return []
            with path.open("rb") as f:
                f.seek(state.offset)
                chunk = f.read(size - state.offset)
        except OSError:
            return []
        state.offset += len(chunk)
        state.changed = self._clock()
        lines = (state.buffer + chunk).split(b"\n")
        state.buffer = lines.pop()  # the part after the last newline is not a line yet
        events = []
        for raw in lines:
            if state.skipping:  # this newline ends the oversized line
                state.skipping = False
                continue
            event = self._event(raw, state)
            if event is not None:
                events.append(event)
        # Only after the complete lines: set earlier, it would drop the first of them instead.
        # Still skipping means no newline came: the buffer is more of the oversized line.
        if state.skipping or len(state.buffer) > MAX_LINE:
            state.buffer, state.skipping = b"", True
        return events

    def _event(self, raw: bytes, state: _File) -> AgentEvent | None:
        try:
            record = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        payload = line_payload(record, state)
        if payload is None:
            return None
        payload.update(session_id=state.session, turn_id=state.turn, cwd=state.cwd)
        wire = hook.summarize("codex", payload, "rollout")
        ts = _timestamp(record.get("timestamp"))
        if ts is not None:
            wire["ts"] = ts
        return normalize(wire)

    # --- background thread -----------------------------------------------------------

    def start(self, interval: float = 1.0) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="deskpet-codex-rollout", daemon=True
        )
        self._thread.start()

    def _loop(self, interval: float) -> None:
        last_error = ""
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception as exc:  # a bad file must not end the tailer; the next poll retries
                error = f"{type(exc).__name__}: {exc}"
                if error != last_error:  # once, not every second
                    log.warning("reading Codex's session files failed: %s", error)
                last_error = error
            else:
                last_error = ""
            self._stop.wait(interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
