"""`deskpet bench --bridge`: how long an agent waits for deskpet's hook, and how soon the pet
hears the event.

Each run is what an agent does: start the installed hook program as a new process, write one
ordinary event (a PreToolUse for a shell command) on its stdin and wait for it to exit; a real
BridgeServer on a socket in a throwaway data folder (never the owner's pet) receives it. Two
times per run, from the process start: the event handed to the pet, and the hook's exit (what
the agent waits for).
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
from dataclasses import asdict, dataclass
from pathlib import Path

from deskpet.bridge import installers
from deskpet.bridge.server import BridgeServer

ARRIVAL_TIMEOUT = 10.0


@dataclass
class Timing:
    """Seconds over the runs: median, 95th percentile, fastest and slowest."""

    median: float
    p95: float
    min: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Timing:
        ordered = sorted(values)
        rank = max(0, min(len(ordered) - 1, round(0.95 * len(ordered)) - 1))
        return cls(statistics.median(ordered), ordered[rank], ordered[0], ordered[-1])


@dataclass
class HookRoundTrip:
    """The ordinary-event bench.

    Attributes:
        runs: hook processes started; arrived: events the pet received (equal when healthy).
        arrival: process start -> the event handed to the pet.
        exit: process start -> the hook exited (the agent's wait).
        command: the hook program measured.
    """

    runs: int
    arrived: int
    arrival: Timing
    exit: Timing
    command: list[str]

    def to_json(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        rows = [f"hook round trip, ordinary event ({self.runs} runs, {self.arrived} arrived)"]
        for name, timing in (("event at the pet", self.arrival), ("hook exited", self.exit)):
            rows.append(
                f"  {name:<17} median {timing.median * 1000:6.1f} ms   p95 "
                f"{timing.p95 * 1000:6.1f} ms   (min {timing.min * 1000:.1f}, "
                f"max {timing.max * 1000:.1f})"
            )
        rows.append(f"  hook: {' '.join(self.command)}")
        return "\n".join(rows)


def _event(run: int) -> bytes:
    return json.dumps(
        {
            "hook_event_name": "PreToolUse",
            "session_id": f"bench-{run}",
            "cwd": "/tmp/bench/project",
            "tool_name": "Bash",
            "tool_input": {"command": "npm test"},
        }
    ).encode()


def hook_round_trip(
    runs: int = 50, argv: list[str] | None = None, arrival_timeout: float = ARRIVAL_TIMEOUT
) -> HookRoundTrip:
    """Run the hook `runs` times against a real server; at least one run."""
    runs = max(1, runs)
    command = [*(argv or installers.hook_argv()), "--agent", "claude"]
    folder = Path(tempfile.mkdtemp(prefix="dpb"))  # short: a Unix socket path lives in it
    env = {**os.environ, "DESKPET_HOME": str(folder)}
    received: queue.Queue = queue.Queue()
    arrivals, exits = [], []
    try:
        with BridgeServer(
            lambda event: received.put(time.perf_counter()), path=folder / "bridge.sock"
        ):
            for run in range(runs):
                started = time.perf_counter()
                done = subprocess.run(
                    command, input=_event(run), env=env, capture_output=True, timeout=30
                )
                exits.append(time.perf_counter() - started)
                if done.returncode != 0:
                    continue
                try:
                    arrivals.append(received.get(timeout=arrival_timeout) - started)
                except queue.Empty:
                    continue
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return HookRoundTrip(
        runs=runs,
        arrived=len(arrivals),
        arrival=Timing.of(arrivals or [float("nan")]),
        exit=Timing.of(exits),
        command=command,
    )
