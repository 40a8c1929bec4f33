"""Bringing an agent's terminal app to the front on macOS: iTerm2 and Terminal through their
AppleScript, VS Code, Cursor and Windsurf by opening the session's folder in the app, any other
terminal by activating the app its TERM_PROGRAM names.

The commands are built as argv lists (`app_argv`), so they are tested on Linux without running;
`jump_app` runs them, on the Mac only. Recorded values reach AppleScript as arguments of its
`run` handler, never as script text. No pyobjc and no Qt here: `osascript` and `open` are
enough, and the GUI calls this off its own thread.
"""

from __future__ import annotations

import os

from deskpet.bridge.terminal import JumpResult, Runner, Terminal, run

# Finds the iTerm2 session whose id is argv 1 and brings it, its tab and its window forward.
# MAC-CHECK: Go to terminal selects the agent's iTerm2 session (tab and window) and raises it
ITERM_SCRIPT = """on run argv
    set wanted to item 1 of argv
    tell application "iTerm2"
        repeat with w in windows
            repeat with t in tabs of w
                repeat with s in sessions of t
                    if id of s is wanted then
                        select w
                        select t
                        select s
                        activate
                        return "found"
                    end if
                end repeat
            end repeat
        end repeat
    end tell
    return "missing"
end run"""

# Terminal's tabs are scriptable by their tty, not by TERM_SESSION_ID.
# MAC-CHECK: Go to terminal selects the agent's Terminal tab by its tty and raises its window
TERMINAL_SCRIPT = """on run argv
    set wanted to item 1 of argv
    tell application "Terminal"
        repeat with w in windows
            repeat with t in tabs of w
                if tty of t is wanted then
                    set selected tab of w to t
                    set index of w to 1
                    activate
                    return "found"
                end if
            end repeat
        end repeat
    end tell
    return "missing"
end run"""

EDITOR_APPS = {"vscode": "Visual Studio Code", "cursor": "Cursor", "windsurf": "Windsurf"}
# TERM_PROGRAM -> the app `open -a` knows it by.
TERMINAL_APPS = {
    "Apple_Terminal": "Terminal",
    "iTerm.app": "iTerm",
    "vscode": "Visual Studio Code",
    "WezTerm": "WezTerm",
    "ghostty": "Ghostty",
    "WarpTerminal": "Warp",
    "Hyper": "Hyper",
    "Tabby": "Tabby",
}


def iterm_unique_id(session: str) -> str:
    """The part of ITERM_SESSION_ID ("w0t0p0:<unique id>") iTerm2's scripting knows."""
    return session.rpartition(":")[2]


def app_argv(terminal: Terminal, is_dir=os.path.isdir) -> list[str] | None:
    """The one command that brings `terminal`'s app forward, or None when none is known."""
    if terminal.editor in EDITOR_APPS:
        app = EDITOR_APPS[terminal.editor]
        # The folder brings the window of that project forward (or opens it).
        # MAC-CHECK: Go to terminal brings the VS Code or Cursor window of the project forward
        if terminal.cwd and is_dir(terminal.cwd):
            return ["open", "-a", app, terminal.cwd]
        return ["open", "-a", app]
    if terminal.iterm_session and iterm_unique_id(terminal.iterm_session):
        return ["osascript", "-e", ITERM_SCRIPT, iterm_unique_id(terminal.iterm_session)]
    if terminal.program == "Apple_Terminal" and terminal.tty:
        return ["osascript", "-e", TERMINAL_SCRIPT, terminal.tty]
    app = TERMINAL_APPS.get(terminal.program)
    # MAC-CHECK: open -a activates WezTerm, Ghostty and Warp by the names in TERMINAL_APPS
    return ["open", "-a", app] if app else None


def jump_app(terminal: Terminal, runner: Runner = run) -> JumpResult | None:
    """Run app_argv's command; None when there is nothing to run for this terminal."""
    argv = app_argv(terminal)
    if argv is None:
        return None
    what = argv[2] if argv[0] == "open" else "iTerm2" if argv[2] == ITERM_SCRIPT else "Terminal"
    done = runner(argv)
    if done.returncode != 0:
        # open's own words may name the project folder, which is never shown or logged.
        why = "" if argv[0] == "open" else (done.stderr or "").strip().split("\n", 1)[0][:200]
        return JumpResult(False, f"could not bring {what} forward: {why or 'it refused'}")
    if argv[0] == "osascript" and done.stdout.strip() != "found":
        return JumpResult(False, f"{what} no longer has the agent's window open")
    return JumpResult(True, f"{what} brought forward")
