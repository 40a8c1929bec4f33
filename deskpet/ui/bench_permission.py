"""`deskpet bench --bridge`, the permission half: one request's full round trip.

Each round runs the real hook as an agent does (a new process, Claude Code's PermissionRequest
payload on stdin) against a real bridge in a throwaway data folder, waits for its card beside a
stand-in pet (offscreen), clicks Allow, and waits for the hook to print the decision and exit.
Measured: spawn -> card shown, click -> hook exit, and the whole round.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deskpet.ui.smoothness import percentile

ROUNDS = 20
ROUND_TIMEOUT = 10.0
PAYLOAD = {
    "session_id": "bench-permission",
    "transcript_path": "/tmp/bench.jsonl",
    "cwd": "/tmp/bench/project",
    "permission_mode": "default",
    "hook_event_name": "PermissionRequest",
    "tool_name": "Bash",
    "tool_input": {"command": "npm test", "description": "Run the tests"},
    "permission_suggestions": [
        {
            "type": "addRules",
            "rules": [{"toolName": "Bash", "ruleContent": "npm test"}],
            "behavior": "allow",
            "destination": "localSettings",
        }
    ],
}


def _wait(qapp, done, timeout: float) -> bool:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        qapp.processEvents()
        if done():
            return True
        time.sleep(0.001)
    return False


def bench_permission(rounds: int = ROUNDS) -> dict:
    """The permission round trip, `rounds` times; times in milliseconds."""
    from PySide6.QtWidgets import QApplication

    from deskpet.bridge.server import BridgeServer
    from deskpet.ui.agents_controller import speaker
    from deskpet.ui.permission_cards import PermissionCards, Request

    qapp = QApplication.instance() or QApplication([])
    root = Path(tempfile.mkdtemp(prefix="dpb"))  # short: Unix socket paths stay < 104 bytes
    events: queue.Queue = queue.Queue()
    server = BridgeServer(events.put, path=root / "bridge.sock")
    server.permission_wait = lambda _event: 30.0
    cards = PermissionCards()
    cards.on_decided.connect(server.decide)  # the clicks here are only Allow
    env = {**os.environ, "DESKPET_HOME": str(root)}
    env.pop("CLAUDE_CODE_ENTRYPOINT", None)
    data = json.dumps(PAYLOAD).encode()
    to_card: list[float] = []
    to_exit: list[float] = []
    total: list[float] = []
    failures = 0
    server.start()
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "deskpet.bridge.hook", "--agent", "claude"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            proc.stdin.write(data)
            proc.stdin.close()
            proc.stdin = None  # sent and closed: communicate() only reads
            try:
                event = events.get(timeout=ROUND_TIMEOUT)
            except queue.Empty:
                proc.kill()
                proc.wait()
                failures += 1
                continue
            # As the app does: the event reaches the GUI thread, then the card shows.
            card = cards.show_request(Request.from_event(event, speaker(event.agent, "bench")))
            if not _wait(qapp, card.isVisible, ROUND_TIMEOUT):
                failures += 1
            shown = time.perf_counter()
            card.buttons["allow"].click()  # the simulated click
            try:
                out, _ = proc.communicate(timeout=ROUND_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                failures += 1
                continue
            end = time.perf_counter()
            if proc.returncode != 0 or b'"behavior":"allow"' not in out:
                failures += 1
                continue
            to_card.append((shown - start) * 1000)
            to_exit.append((end - shown) * 1000)
            total.append((end - start) * 1000)
            _wait(qapp, lambda: not cards.isVisible(), 1.0)
    finally:
        cards.clear()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)

    def stats(values: list[float]) -> dict:
        return {"p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95)}

    return {
        "rounds": rounds,
        "failures": failures,
        "spawn_to_card": stats(to_card),
        "click_to_hook_exit": stats(to_exit),
        "round_trip": stats(total),
    }


def format_permission(result: dict) -> str:
    lines = [f"permission round trip, {result['rounds']} rounds ({result['failures']} failed)"]
    for key, name in (
        ("spawn_to_card", "hook spawned -> card shown"),
        ("click_to_hook_exit", "click -> hook exit"),
        ("round_trip", "whole round"),
    ):
        part = result[key]
        lines.append(f"  {name:28s} p50 {part['p50_ms']:7.1f} ms   p95 {part['p95_ms']:7.1f} ms")
    return "\n".join(lines)
