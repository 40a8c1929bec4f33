"""The terminal an agent runs in, and going there: "Go to terminal" on a waiting session.

The hook records where it runs from its own environment (hook.terminal: TERM_PROGRAM, the
Terminal and iTerm2 session ids, tmux's socket and pane, the hosting editor, the tty and the
working directory); `Terminal.from_wire` checks each of those values again on the pet's side,
because anyone who can write to the socket controls them. `jump` then brings that terminal to
the front: tmux selects the pane here on any system; the app around it (iTerm2, Terminal,
VS Code, Cursor) is the platform's part (deskpet/platform/terminal_macos.py), passed in.

Every command is an argv list run without a shell, each bounded by a timeout: a value never
becomes code. No Qt: the GUI runs `jump` off its own thread.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

COMMAND_TIMEOUT = 3.0  # seconds per command; a scripting prompt on a Mac may take a moment
# Where tmux lives when PATH does not say: an app opened from the Finder gets a bare PATH.
# MAC-CHECK: the app opened from the Finder finds Homebrew's tmux and selects the pane
TMUX_PLACES = ("/opt/homebrew/bin/tmux", "/usr/local/bin/tmux", "/usr/bin/tmux", "/bin/tmux")

_VALUE = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,127}")
_PANE = re.compile(r"%\d{1,9}")
_TTY = re.compile(r"/dev/(?:[A-Za-z0-9_]{1,16}/)?[A-Za-z0-9_]{1,40}")
_SESSION_ID = re.compile(r"[A-Za-z0-9:._-]{1,128}")
_PROGRAM = re.compile(r"[A-Za-z0-9._+-]{1,40}")
EDITORS = ("vscode", "cursor", "windsurf")
CWD_CHARS = 2048  # hook.CWD_BYTES


@dataclass(frozen=True)
class Terminal:
    """Where an agent session runs. Every field may be "" (unknown).

    Attributes:
        program: TERM_PROGRAM ("Apple_Terminal", "iTerm.app", "vscode", "tmux", "WezTerm").
        version: TERM_PROGRAM_VERSION.
        term_session: Apple Terminal's TERM_SESSION_ID.
        iterm_session: iTerm2's ITERM_SESSION_ID ("w0t0p0:<unique id>").
        tty: the controlling terminal's device ("/dev/ttys003").
        tmux_socket: the tmux server's socket path (from TMUX).
        tmux_pane: the tmux pane id ("%3").
        editor: the editor whose integrated terminal it is: "vscode", "cursor", "windsurf".
        cwd: the working directory (a full path: used to open the folder, never shown).
    """

    program: str = ""
    version: str = ""
    term_session: str = ""
    iterm_session: str = ""
    tty: str = ""
    tmux_socket: str = ""
    tmux_pane: str = ""
    editor: str = ""
    cwd: str = field(default="", repr=False)  # a full path: kept out of logs and reprs

    @classmethod
    def from_wire(cls, wire: object) -> Terminal | None:
        """The Terminal in a hook line's "term" field, each value checked; None when empty."""
        if not isinstance(wire, dict):
            return None
        found = cls(
            program=_matching(wire.get("program"), _PROGRAM),
            version=_matching(wire.get("version"), _VALUE),
            term_session=_matching(wire.get("term_session"), _SESSION_ID),
            iterm_session=_matching(wire.get("iterm_session"), _SESSION_ID),
            tty=_matching(wire.get("tty"), _TTY),
            tmux_socket=_path(wire.get("tmux_socket"), 128),
            tmux_pane=_matching(wire.get("tmux_pane"), _PANE),
            editor=wire.get("editor") if wire.get("editor") in EDITORS else "",
            cwd=_path(wire.get("cwd"), CWD_CHARS),
        )
        return None if found == cls() else found


def _matching(value: object, pattern: re.Pattern) -> str:
    return value if isinstance(value, str) and pattern.fullmatch(value) else ""


def _path(value: object, limit: int) -> str:
    """An absolute path with no control characters, or "" (never cut: that is another path)."""
    ok = isinstance(value, str) and value.startswith("/") and len(value) <= limit
    return value if ok and value.isprintable() and "/../" not in value + "/" else ""


@dataclass(frozen=True)
class JumpResult:
    """What `jump` did ("tmux pane %3 selected") or, when `ok` is False, one line why not."""

    ok: bool
    message: str


Runner = Callable[[list[str]], subprocess.CompletedProcess]
AppJump = Callable[[Terminal], JumpResult | None]


def run(argv: list[str], timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
    """One command, no shell, bounded; a missing program or a timeout is a failed result."""
    try:
        return subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return subprocess.CompletedProcess(argv, 127, "", f"{type(exc).__name__}: {exc}")


def find_tmux() -> str:
    """The tmux program: from PATH, else its usual places; "" when there is none."""
    found = shutil.which("tmux")
    if found:
        return found
    return next((p for p in TMUX_PLACES if os.access(p, os.X_OK)), "")


def tmux_argv(terminal: Terminal, tmux: str = "tmux") -> list[list[str]]:
    """The tmux commands that bring the recorded pane forward, on the server it belongs to.

    switch-client first (an attached client shows the pane's session; it fails harmlessly
    when none is attached), then the pane's window and the pane itself.
    """
    pane = terminal.tmux_pane
    base = [tmux, "-S", terminal.tmux_socket] if terminal.tmux_socket else [tmux]
    return [
        [*base, "switch-client", "-t", pane],
        [*base, "select-window", "-t", pane],
        [*base, "select-pane", "-t", pane],
    ]


def jump_tmux(terminal: Terminal, runner: Runner = run) -> JumpResult:
    tmux = find_tmux()
    if not tmux:
        return JumpResult(False, "tmux is not installed here")
    switch, *selects = tmux_argv(terminal, tmux)
    runner(switch)  # best effort: there may be no client attached
    for argv in selects:
        done = runner(argv)
        if done.returncode != 0:
            why = _first_line(done.stderr) or f"exit status {done.returncode}"
            log.warning("tmux %s failed: %s", argv[-3], why)
            return JumpResult(False, f"tmux could not select pane {terminal.tmux_pane}: {why}")
    return JumpResult(True, f"tmux pane {terminal.tmux_pane} selected")


def jump(terminal: Terminal | None, app: AppJump | None = None, runner: Runner = run) -> JumpResult:
    """Bring the agent's terminal forward: the tmux pane, then the app around it.

    `app` is the platform's part (None where there is none): it brings the terminal or editor
    app to the front and returns None when it knows no way for this terminal.
    """
    if terminal is None:
        return JumpResult(False, "deskpet does not know this session's terminal yet")
    results = []
    if terminal.tmux_pane:
        results.append(jump_tmux(terminal, runner))
    if app is not None:
        try:
            outer = app(terminal)
        except Exception as exc:  # the platform's scripting must never take the pet down
            log.warning("could not bring the terminal app forward: %s", exc)
            outer = JumpResult(False, "could not bring the terminal app forward")
        if outer is not None:
            results.append(outer)
    if not results:
        name = terminal.editor or terminal.program or "this terminal"
        return JumpResult(False, f"deskpet cannot bring {name} forward on this system")
    done = [r.message for r in results if r.ok]
    if done:
        return JumpResult(True, "; ".join(done))
    return JumpResult(False, results[0].message)


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n", 1)[0][:200]
