"""Smoke check of a built `deskpet-hook`, run by packaging/build_linux.sh and build_macos.sh.

    python packaging/check_hook.py dist/deskpet/deskpet-hook

Runs the bundled shim as an agent does: a recorded event (tests/bridge/fixtures) on stdin, in a
throwaway home where no pet listens. Each run must exit 0, print exactly what the agent expects
(nothing for Claude Code, JSON for Cursor) and nothing on stderr, and be quick: agents wait for
it on every event. Then one run with a listener on the socket, to see the event arrive.

Standard library only: it runs with whichever Python built the bundle.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "bridge" / "fixtures"
# (agent, fixture, what it must print)
CASES = [
    ("claude", "claude_stop.json", ""),
    ("claude", "claude_pretooluse_bash.json", ""),
    ("cursor", "cursor_stop.json", "{}"),
    ("cursor", "cursor_beforeSubmitPrompt.json", '{"continue": true}'),
]
ROUNDS = 3
# The median must stay far below the agents' own hook timeouts (seconds): every event waits.
MEDIAN_LIMIT = 0.5


def run(
    hook: Path, home: str, agent: str, fixture: str
) -> tuple[subprocess.CompletedProcess, float]:
    env = dict(os.environ, HOME=home, DESKPET_HOME=home)
    start = time.perf_counter()
    proc = subprocess.run(
        [str(hook), "--agent", agent],
        input=(FIXTURES / fixture).read_bytes(),
        capture_output=True,
        env=env,
        timeout=10,
    )
    return proc, time.perf_counter() - start


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python packaging/check_hook.py PATH/TO/deskpet-hook", file=sys.stderr)
        return 2
    hook = Path(argv[0])
    if not (hook.is_file() and os.access(hook, os.X_OK)):
        print(f"check_hook: no executable at {hook}", file=sys.stderr)
        return 1
    failures: list[str] = []
    times: list[float] = []
    # A short path: macOS limits Unix socket paths to 104 bytes.
    with tempfile.TemporaryDirectory(prefix="dp-") as home:
        for _ in range(ROUNDS):
            for agent, fixture, expected in CASES:
                proc, elapsed = run(hook, home, agent, fixture)
                times.append(elapsed)
                out = proc.stdout.decode(errors="replace")
                err = proc.stderr.decode(errors="replace")
                if proc.returncode != 0 or out != expected or err:
                    failures.append(
                        f"{agent} {fixture}: exit {proc.returncode}, "
                        f"stdout {out!r} (want {expected!r}), stderr {err[-500:]!r}"
                    )

        # With a pet listening: the event must arrive as one summary line.
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(os.path.join(home, "bridge.sock"))
        listener.listen(1)
        listener.settimeout(5)
        fixture = "claude_pretooluse_bash.json"
        proc, _ = run(hook, home, "claude", fixture)
        try:
            conn, _ = listener.accept()
            with conn, conn.makefile("rb") as stream:
                line = json.loads(stream.readline())
        except (OSError, ValueError) as exc:
            line = {"error": repr(exc)}
        finally:
            listener.close()
        want = {
            "agent": "claude",
            "event": json.loads((FIXTURES / fixture).read_text())["hook_event_name"],
        }
        delivered = proc.returncode == 0 and {k: line.get(k) for k in want} == want
        if not delivered:
            failures.append(f"listener got {line!r}, want {want!r} (exit {proc.returncode})")

    median = statistics.median(times)
    print(
        f"deskpet-hook: {len(times)} runs without a pet, first {times[0]:.3f} s, "
        f"median {median:.3f} s, slowest {max(times):.3f} s; "
        f"{'one event delivered to' if delivered else 'nothing reached'} a listener"
    )
    if median > MEDIAN_LIMIT:
        failures.append(f"median run {median:.3f} s is over {MEDIAN_LIMIT} s")
    for failure in failures:
        print(f"check_hook: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
