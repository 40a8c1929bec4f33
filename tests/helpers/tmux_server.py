"""A private tmux server for the Go to terminal tests: its own socket, two windows, the second
split in two panes, and pane commands kept after they finish (remain-on-exit)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Found at import, before any fixture empties PATH.
TMUX = shutil.which("tmux") or ""
needs_tmux = pytest.mark.skipif(
    not TMUX, reason="tmux is not installed on this machine (apt-get install tmux)"
)


class Tmux:
    """Runs tmux commands against one server; `env` is what its panes start with."""

    def __init__(self, socket: Path) -> None:
        self.socket = str(socket)
        # Outside any tmux the tests may run in, and with this checkout's deskpet first.
        self.env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        self.env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            [TMUX, "-S", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=10,
            env=self.env,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def panes(self) -> dict[str, tuple[bool, bool]]:
        """pane id -> (its window is the active one, it is its window's active pane)."""
        form = "#{pane_id} #{window_active} #{pane_active}"
        lines = self("list-panes", "-s", "-t", "w", "-F", form).split("\n")
        return {p: (w == "1", a == "1") for p, w, a in (line.split() for line in lines)}

    def current(self) -> str:
        """The pane in front in session "w"."""
        return self("display-message", "-p", "-t", "w", "#{pane_id}")


@contextlib.contextmanager
def tmux_server():
    """A server with session "w": window 0 (pane %0), window 1 (panes %1 and %2, in front)."""
    root = Path(tempfile.mkdtemp(prefix="dpt"))  # short: socket paths stay under 104 bytes
    server = Tmux(root / "tmux.sock")
    try:
        server("-f", "/dev/null", "new-session", "-d", "-s", "w", "-x", "100", "-y", "30")
        server("set-option", "-g", "remain-on-exit", "on")
        server("new-window", "-t", "w")
        server("split-window", "-t", "w:1")
        yield server
    finally:
        subprocess.run([TMUX, "-S", server.socket, "kill-server"], capture_output=True, timeout=10)
        shutil.rmtree(root, ignore_errors=True)
