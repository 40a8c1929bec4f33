"""Go to terminal: the terminal a hook reports, checked on the pet's side, kept per session, and
the jump itself: a real tmux server here, the Mac's commands as argv lists (not run)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.tmux_server import needs_tmux, tmux_server

from deskpet.bridge import events, terminal
from deskpet.bridge.server import BridgeServer
from deskpet.bridge.sessions import SessionTracker
from deskpet.bridge.terminal import JumpResult, Terminal
from deskpet.platform import terminal_macos

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def tmux():
    with tmux_server() as server:
        yield server


# --- what the pet accepts ---------------------------------------------------------------------


def test_from_wire_keeps_checked_values_and_drops_hostile_ones():
    wire = {
        "program": "iTerm.app",
        "version": "3.5.10",
        "iterm_session": "w0t1p0:5B2F3C7E-0C1D-4F2A-9D3B-2A1C7B8E9F00",
        "term_session": 'x" & do shell script "rm -rf ~',  # would be AppleScript text
        "tty": "/dev/ttys003",
        "tmux_socket": "/private/tmp/tmux-501/default",
        "tmux_pane": "%7; kill-server",
        "editor": "emacs",
        "cwd": "/Users/me/src/app\x1b]0;owned\x07",
        "extra": "never kept",
    }
    found = Terminal.from_wire(wire)
    assert found == Terminal(
        program="iTerm.app",
        version="3.5.10",
        iterm_session="w0t1p0:5B2F3C7E-0C1D-4F2A-9D3B-2A1C7B8E9F00",
        tty="/dev/ttys003",
        tmux_socket="/private/tmp/tmux-501/default",
    )
    assert Terminal.from_wire({"cwd": "relative/path", "tmux_pane": "%x"}) is None
    assert Terminal.from_wire({"cwd": "/a/../etc", "tty": "/dev/../etc/passwd"}) is None
    assert Terminal.from_wire({"cwd": "/" + "a" * 3000}) is None  # too long: never cut short
    assert Terminal.from_wire("iTerm.app") is None


def test_the_normalizer_carries_the_terminal_into_the_event():
    wire = {
        "agent": "claude",
        "event": "PermissionRequest",
        "session": "s1",
        "tool": "Bash",
        "term": {"program": "tmux", "tmux_socket": "/tmp/t.sock", "tmux_pane": "%3"},
    }
    event = events.normalize(wire)
    assert event.terminal == Terminal(program="tmux", tmux_socket="/tmp/t.sock", tmux_pane="%3")
    assert events.normalize({**wire, "term": None}).terminal is None


def test_only_the_hook_adds_a_terminal_never_the_pets_own_summaries(monkeypatch):
    # The pet summarizes Codex's rollout lines itself: its environment is not the agent's.
    from deskpet.bridge import hook

    monkeypatch.setenv("TMUX", "/tmp/pets-own-tmux,1,0")
    monkeypatch.setenv("TMUX_PANE", "%5")
    payload = {"hook_event_name": "Stop", "session_id": "s1"}
    assert "term" not in hook.summarize("codex", payload, "rollout")
    assert events.from_payload("claude", payload).terminal is None
    assert hook.with_terminal(hook.summarize("claude", payload))["term"]["tmux_pane"] == "%5"


def test_sessions_keep_the_latest_terminal_of_each_session():
    tracker = SessionTracker(clock=iter(range(1, 100)).__next__)
    first = Terminal(program="tmux", tmux_pane="%1")
    moved = Terminal(program="tmux", tmux_pane="%4")
    other = Terminal(program="iTerm.app", iterm_session="w0t0p0:ABC")
    tracker.feed(events.AgentEvent("claude", "hook", events.PROMPT, "s1", terminal=first))
    tracker.feed(events.AgentEvent("codex", "hook", events.PROMPT, "s2", terminal=other))
    assert tracker.terminal("s1") == first
    # a rollout line knows no terminal: the one the hook reported stays
    tracker.feed(events.AgentEvent("claude", "rollout", events.TOOL_START, "s1"))
    assert tracker.terminal("s1") == first
    tracker.feed(events.AgentEvent("claude", "hook", events.TURN_COMPLETE, "s1", terminal=moved))
    assert (tracker.terminal("s1"), tracker.terminal("s2")) == (moved, other)
    tracker.feed(events.AgentEvent("claude", "hook", events.SESSION_END, "s1"))
    assert tracker.terminal("s1") is None and tracker.terminal("nobody") is None


# --- tmux, for real ---------------------------------------------------------------------------


@needs_tmux
def test_go_to_terminal_selects_the_recorded_tmux_pane(tmux):
    # GIVEN a pane in a window that is not in front
    assert tmux.current() != "%0"
    recorded = Terminal(program="tmux", tmux_socket=tmux.socket, tmux_pane="%0")
    # WHEN deskpet jumps there THEN its window comes forward and the pane is the active one
    result = terminal.jump(recorded)
    assert result == JumpResult(True, "tmux pane %0 selected")
    assert tmux.current() == "%0"
    assert tmux.panes()["%0"] == (True, True)
    # AND a pane in a split window is chosen inside its window, too
    first, second = sorted(p for p in tmux.panes() if p != "%0")
    tmux("select-pane", "-t", second)
    assert terminal.jump(Terminal(tmux_socket=tmux.socket, tmux_pane=first)).ok
    assert tmux.current() == first and tmux.panes()[second] == (True, False)


@needs_tmux
def test_a_pane_that_is_gone_is_said_in_one_line(tmux):
    result = terminal.jump(Terminal(tmux_socket=tmux.socket, tmux_pane="%99"))
    assert not result.ok
    assert result.message.startswith("tmux could not select pane %99: ")
    assert "\n" not in result.message
    gone = terminal.jump(Terminal(tmux_socket=tmux.socket + ".gone", tmux_pane="%0"))
    assert not gone.ok and "\n" not in gone.message


@needs_tmux
def test_the_hook_run_in_a_tmux_pane_records_it_and_go_to_terminal_comes_back(home, tmux):
    # GIVEN a pet listening, and Claude Code's hook run inside pane %0 by tmux itself
    payload = FIXTURES / "claude_permissionrequest_bash.json"
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put):
        tmux.env.update(HOME=os.environ["HOME"], DESKPET_HOME=os.environ["DESKPET_HOME"])
        tmux(
            "respawn-pane",
            "-k",
            "-t",
            "%0",
            f"{sys.executable} -m deskpet.bridge.hook --agent claude < {payload}",
        )
        event = got.get(timeout=10)
    # THEN the event knows its terminal: the server's socket and the pane, from tmux's variables
    assert event.terminal.tmux_pane == "%0"
    assert os.path.samefile(event.terminal.tmux_socket, tmux.socket)
    assert event.terminal.program == "tmux"  # tmux 3.2+ names itself
    # WHEN the owner looks elsewhere and then asks for the agent's terminal
    tmux("select-window", "-t", "w:1")
    assert tmux.current() != "%0"
    assert terminal.jump(event.terminal).ok
    # THEN the hook's pane is in front again
    assert tmux.current() == "%0"


def test_without_tmux_the_jump_says_so(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(terminal, "TMUX_PLACES", ())
    result = terminal.jump(Terminal(tmux_pane="%1"))
    assert result == JumpResult(False, "tmux is not installed here")


def test_nothing_known_or_nothing_to_do_is_one_line():
    assert terminal.jump(None) == JumpResult(
        False, "deskpet does not know this session's terminal yet"
    )
    # no tmux and no platform way to the app (Linux): nothing to do, said plainly
    result = terminal.jump(Terminal(program="WezTerm"), app=None)
    assert result == JumpResult(False, "deskpet cannot bring WezTerm forward on this system")


# --- the Mac's commands, as data --------------------------------------------------------------


def test_iterm2_is_reached_by_its_session_id_passed_as_an_argument():
    found = Terminal(program="iTerm.app", iterm_session="w0t1p2:5B2F3C7E-0C1D-4F2A-9D3B-2A1C")
    argv = terminal_macos.app_argv(found)
    assert argv == ["osascript", "-e", terminal_macos.ITERM_SCRIPT, "5B2F3C7E-0C1D-4F2A-9D3B-2A1C"]
    # the id is data for the script's run handler, never part of its text
    assert "5B2F3C7E" not in argv[2] and "item 1 of argv" in argv[2]


def test_apple_terminal_is_reached_by_its_tty():
    found = Terminal(program="Apple_Terminal", term_session="ABC-123", tty="/dev/ttys004")
    argv = terminal_macos.app_argv(found)
    assert argv == ["osascript", "-e", terminal_macos.TERMINAL_SCRIPT, "/dev/ttys004"]
    assert "tty of t is wanted" in argv[2]
    # without a tty Terminal is only activated
    assert terminal_macos.app_argv(Terminal(program="Apple_Terminal", term_session="ABC")) == [
        "open",
        "-a",
        "Terminal",
    ]


@pytest.mark.parametrize(
    ("editor", "app"),
    [("vscode", "Visual Studio Code"), ("cursor", "Cursor"), ("windsurf", "Windsurf")],
)
def test_editors_open_the_sessions_folder(tmp_path, editor, app):
    found = Terminal(program="vscode", editor=editor, cwd=str(tmp_path))
    assert terminal_macos.app_argv(found) == ["open", "-a", app, str(tmp_path)]
    # a folder that is gone is not opened (the app would make a new window): activate only
    gone = Terminal(program="vscode", editor=editor, cwd=str(tmp_path / "gone"))
    assert terminal_macos.app_argv(gone) == ["open", "-a", app]


def test_other_terminals_are_activated_by_name_and_unknown_ones_are_left_alone():
    assert terminal_macos.app_argv(Terminal(program="WezTerm")) == ["open", "-a", "WezTerm"]
    assert terminal_macos.app_argv(Terminal(program="ghostty")) == ["open", "-a", "Ghostty"]
    assert terminal_macos.app_argv(Terminal(program="tmux", tmux_pane="%1")) is None
    assert terminal_macos.app_argv(Terminal(program="SomethingElse")) is None


def test_the_mac_jump_reads_what_the_script_answered():
    # osascript does not exist here: a runner answers as it would, and records the command.
    ran: list[list[str]] = []

    def answering(stdout: str, code: int = 0, stderr: str = ""):
        def runner(argv):
            ran.append(argv)
            return subprocess.CompletedProcess(argv, code, stdout, stderr)

        return runner

    iterm = Terminal(program="iTerm.app", iterm_session="w0t0p0:ABC")
    assert terminal_macos.jump_app(iterm, answering("found\n")) == JumpResult(
        True, "iTerm2 brought forward"
    )
    assert terminal_macos.jump_app(iterm, answering("missing\n")) == JumpResult(
        False, "iTerm2 no longer has the agent's window open"
    )
    refused = terminal_macos.jump_app(
        iterm, answering("", 1, "execution error: Not authorized to send Apple events (-1743)\n")
    )
    assert refused == JumpResult(
        False,
        "could not bring iTerm2 forward: execution error: Not authorized to send Apple "
        "events (-1743)",
    )
    assert terminal_macos.jump_app(Terminal(program="Unknown"), answering("")) is None
    assert [argv[0] for argv in ran] == ["osascript"] * 3
    # open's complaint names the project folder, which is never shown or logged
    editor = Terminal(program="vscode", editor="vscode", cwd="/Users/me/secret-project")
    failed = terminal_macos.jump_app(
        editor, answering("", 1, "The file /Users/me/secret-project does not exist.\n")
    )
    assert failed is not None and not failed.ok and "secret-project" not in failed.message


def test_without_a_pane_the_platforms_answer_is_the_jump(tmp_path):
    found = Terminal(program="vscode", editor="cursor", cwd=str(tmp_path))
    answers = iter([JumpResult(True, "Cursor brought forward"), None])
    assert terminal.jump(found, app=lambda t: next(answers)).message == "Cursor brought forward"
    assert terminal.jump(found, app=lambda t: next(answers)) == JumpResult(
        False, "deskpet cannot bring cursor forward on this system"
    )


def test_the_widest_summary_with_its_terminal_fits_the_pets_line_limit(monkeypatch):
    from deskpet.bridge import hook
    from deskpet.bridge.server import MAX_LINE

    # GIVEN every text field at its bound in characters that escape to 12 bytes each
    wide = "\U0001f600" * 2000
    payload = {key: wide for key in ("hook_event_name", "session_id", "cwd", "tool_name")}
    payload.update(last_assistant_message=wide, message=wide, error=wide, reason=wide)
    payload.update(status=wide, agent_type=wide, tool_input={"file_path": wide})
    env = {name: "x" * hook.TERM_CHARS for name in hook._TERMINAL_ENV.values()}
    env.update(TMUX="/" + "x" * (hook.TERM_CHARS - 1) + ",1,0", TERM_PROGRAM="vscode")
    monkeypatch.setattr(hook.os, "environ", env)
    monkeypatch.setattr(hook.os, "getcwd", lambda: "/" + "\U0001f600" * 169)  # 2030 bytes sent
    summary = hook.with_terminal(hook.summarize("claude", payload))
    assert len(summary["term"]) == 8  # all but the tty (none here)
    # WHEN it is sent as the hook sends it THEN the pet takes the line
    line = json.dumps(summary, ensure_ascii=True, separators=(",", ":"))
    assert len(line) < MAX_LINE
