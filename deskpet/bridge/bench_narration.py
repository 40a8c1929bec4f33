"""`deskpet bench --narration`: how long after an agent's finished turn the pet says what it did.

Each run is the real path: the installed hook program started as a new process with a Claude
Code Stop payload, a real BridgeServer on a socket in a throwaway data folder, the app's
SessionTracker and Narrator, then the worker narrating on the chosen model, to the line the
bubble would show. Timed from the hook's start to that line, in three modes over the same
turns in one run:

    before      the old behaviour: decode until the model's end token or the 60-token cap
                (the system prompt already came from the prefix cache)
    no cache    the same, and the narrator's system prompt read afresh every time
    after       stop at the end of the first sentence, the system prompt from the cache

Each turn is sampled with its own seed, the same in every mode, so the modes write the same
first sentence; and the modes take turns on each agent turn, so a machine busy with other work
slows them alike. The worker and the model are the caller's; one untimed narration first warms
the kernels and the prefix cache (in the app the prefix is read once per persona and model).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from deskpet.bridge import events as ev
from deskpet.bridge import installers
from deskpet.bridge.narrator import Narrator
from deskpet.bridge.server import BridgeServer
from deskpet.bridge.sessions import SessionTracker

CAP = 60  # the agents controller's narration cap (NARRATION_TOKENS)
# The worker's narration sampling; one seed per turn, the same in every mode, so every mode
# samples the same tokens up to where the new one stops.
SAMPLING = {"temperature": 0.6, "top_p": 0.95, "repetition_penalty": 1.05}
WAIT = 600.0  # seconds for one narration on a slow CPU

# (mode, first_sentence, reuse_prefix)
MODES = (("before", False, True), ("no cache", False, False), ("after", True, True))

TURNS = (
    ("Bash", {"command": "npm test"}, "I fixed the failing login test. All 42 tests pass now."),
    ("Edit", {"file_path": "/src/app/README.md"}, "I rewrote the install section of the README."),
    ("Grep", {"pattern": "TODO"}, "I found three TODO notes and listed them for you."),
)


@dataclass
class ModeResult:
    """One mode over the turns: seconds from the hook's start to the line, tokens decoded,
    system-prompt tokens read, and the lines shown."""

    mode: str
    seconds: list[float] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    prefix_read: list[int] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


def _payload(event: str, session: str, **extra) -> bytes:
    body = {"hook_event_name": event, "session_id": session, "cwd": "/tmp/bench/shop", **extra}
    return json.dumps(body).encode()


class _Hook:
    """The installed hook against a BridgeServer in a throwaway folder."""

    def __init__(self, folder: Path) -> None:
        self.command = [*installers.hook_argv(), "--agent", "claude"]
        self.env = {**os.environ, "DESKPET_HOME": str(folder)}
        self.events: queue.Queue = queue.Queue()
        self.server = BridgeServer(self.events.put, path=folder / "bridge.sock")

    def send(self, payload: bytes) -> ev.AgentEvent:
        done = subprocess.run(
            self.command, input=payload, env=self.env, capture_output=True, timeout=30
        )
        if done.returncode != 0:
            raise RuntimeError(f"the hook exited with {done.returncode}")
        return self.events.get(timeout=10)


def narration_bench(
    worker,
    progress: Callable[[str], None] = lambda _msg: None,
    turns: tuple = TURNS,
    cap: int = CAP,
) -> list[ModeResult]:
    """Time every mode over `turns` with `worker` (started, its model loaded)."""
    from deskpet.inference.generate import Sampling
    from deskpet.inference.protocol import Finished

    folder = Path(tempfile.mkdtemp(prefix="dpn"))  # short: a Unix socket path lives in it
    results: list[ModeResult] = []
    tracker = SessionTracker()
    narrator = Narrator(min_interval=0.0, max_age=WAIT)
    hook = _Hook(folder)

    def narrate(request, first_sentence: bool, reuse_prefix: bool, seed: int) -> Finished:
        rid = worker.narrate(
            request.prompt,
            system_prompt=request.system_prompt,
            max_tokens=cap,
            sampling=Sampling(**SAMPLING, seed=seed),
            first_sentence=first_sentence,
            reuse_prefix=reuse_prefix,
            stream=True,
        )
        events = list(worker.events_for(rid, timeout=WAIT))
        if not isinstance(events[-2], Finished):
            raise RuntimeError(f"the narration failed: {getattr(events[-2], 'message', '')}")
        return events[-2]

    def turn(session: str, tool: str, tool_input: dict, message: str) -> ev.AgentEvent:
        # The tool use is sent before the clock starts; the Stop is the finished turn.
        for payload in (
            _payload("UserPromptSubmit", session),
            _payload("PreToolUse", session, tool_name=tool, tool_input=tool_input),
        ):
            offer(hook.send(payload))
        return _payload("Stop", session, last_assistant_message=message)

    def offer(event: ev.AgentEvent):
        # As the app does: only what the tracker passes on reaches the narrator.
        fed = tracker.feed(event)
        if fed is not None:
            narrator.offer(fed)
        return narrator.next_request() if fed is not None and fed.kind == ev.TURN_COMPLETE else None

    def told(event: ev.AgentEvent):
        request = offer(event)
        if request is None:
            raise RuntimeError("the finished turn was not turned into a narration")
        return request

    try:
        with hook.server:
            progress("warming up: one untimed narration")
            narrate(told(hook.send(turn("warm", *turns[0]))), True, True, 0)
            results = [ModeResult(mode) for mode, _first, _reuse in MODES]
            for i, (tool, tool_input, message) in enumerate(turns):
                for result, (mode, first_sentence, reuse_prefix) in zip(
                    results, MODES, strict=True
                ):
                    stop = turn(f"{mode}-{i}", tool, tool_input, message)
                    started = time.perf_counter()
                    request = told(hook.send(stop))
                    done = narrate(request, first_sentence, reuse_prefix, seed=i)
                    line = request.line(done.text)
                    result.seconds.append(time.perf_counter() - started)
                    result.tokens.append(done.stats.get("generation_tokens", 0))
                    result.prefix_read.append(done.stats.get("prefix_prefill_tokens", 0))
                    result.lines.append(line)
                    progress(f"{mode}: {result.seconds[-1]:.1f} s, {line}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def format_narration(results: list[ModeResult], label: str) -> str:
    rows = [f"narration, Stop hook -> line shown ({label}, seeded sampling, cap {CAP} tokens)"]
    rows.append(
        f"  {'mode':<9} {'total':>7} {'median':>7}  {'each (s)':<20} {'decoded':<14} prefix read"
    )
    for r in results:
        each = ", ".join(f"{s:.1f}" for s in r.seconds)
        rows.append(
            f"  {r.mode:<9} {sum(r.seconds):6.1f}s {r.median:6.1f}s  {each:<20} "
            f"{str(r.tokens):<14} {r.prefix_read}"
        )
    before = next((r for r in results if r.mode == "before"), None)
    after = next((r for r in results if r.mode == "after"), None)
    if before and after and sum(after.seconds) > 0:
        rows.append(
            f"  after took {sum(after.seconds) / sum(before.seconds):.0%} of before's time "
            f"over the same turns"
        )
    if after:
        rows += [f"  line: {line}" for line in after.lines]
    return "\n".join(rows)


def to_json(results: list[ModeResult]) -> list[dict]:
    return [{**asdict(r), "median": r.median} for r in results]
