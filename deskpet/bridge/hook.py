"""`deskpet-hook`: the tiny program coding agents run on every hook event.

Usage (written by the installers):  deskpet-hook --agent claude|codex|cursor|gemini [--autostart]

The agent passes the event as JSON on stdin (Codex's `notify` passes it as the last argument
instead). The shim picks a few whitelisted, truncated fields out of it, sends them as ONE NDJSON
line to the running pet over its Unix socket, and exits 0. It never runs, opens or interpolates
anything from the payload, never prints anything except the reply Cursor and Gemini expect, and
drops the event when no pet is listening (with --autostart, a session's start then opens the
installed Deskpet.app in the background, without waiting for it).

A PermissionRequest from Claude Code or Codex also carries what is asked (for the owner's card)
and waits on the same connection for the owner's click, then prints exactly that agent's
decision. No pet, no card, no click in time or a signal: nothing printed, and the agent's own
prompt decides.

Standard library only, and no other deskpet module: agents wait for this program, so its import
must stay cheap and nothing in the app may break it.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import sys
import time

SOCKET_NAME = "bridge.sock"
# Any of these in a hook command marks the entry as deskpet's own (installers look for them).
MARKERS = ("deskpet-hook", "deskpet.bridge.hook")
# The agents and what each reads on stdout: (the reply to any event, {event: its own reply}).
# The same facts as bridge/agents/, copied so this shim imports nothing from deskpet; a test
# keeps the two in step.
AGENTS = ("claude", "codex", "cursor", "gemini")
REPLIES: dict[str, tuple[str, dict[str, str]]] = {
    "claude": ("", {}),
    "codex": ("", {}),
    "cursor": ("{}", {"beforeSubmitPrompt": '{"continue": true}'}),
    "gemini": ("{}", {}),
}

# In the hook's command line when the owner wants a session's start to open the pet
# (Settings: start_with_agents); the installers write it.
AUTOSTART = "--autostart"
START_EVENTS = ("SessionStart", "sessionStart")

MAX_STDIN = 1 << 20  # 1 MB: enough for the fields we keep; huge tool output is cut off
# Past MAX_STDIN only the event name is looked for (the reply depends on it), in this much more.
MAX_SCAN = 64 << 20
STDIN_DEADLINE = 0.5  # seconds; an agent that never closes stdin must not hang us
SEND_TIMEOUT = 0.1
MESSAGE_CHARS = 300  # narration needs the gist of the last reply, not all of it

# The lookbehind starts a match only where a run begins: linear, even on a huge word.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ID = re.compile(r"[^A-Za-z0-9._:-]")
_PROGRAM = re.compile(r"[\w.+-]{1,40}")
_SUBCOMMAND = re.compile(r"[a-z][a-z0-9:_-]{0,24}")
_PATCH_FILE = re.compile(r"\*\*\* (?:Update|Add|Delete) File: ([^\n]+)")
# An unescaped quote cannot occur inside a JSON string, so this finds only a real key. Bounded
# repeats after a literal start: linear on any input.
_EVENT_NAME = re.compile(
    rb'"hook_event_name"[ \t\r\n]{0,32}:[ \t\r\n]{0,32}"([A-Za-z][A-Za-z0-9_.:-]{0,63})"'
)
_EVENT_OVERLAP = 256  # longer than any match of _EVENT_NAME
# URL hosts: a name (IDN letters too) or a bracketed IPv6 literal, with an optional port.
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}://|//")
_URL_AUTHORITY = re.compile(r"[^/?#\\\s]{0,512}")
_URL_HOST = re.compile(r"(?:[\w.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}(?:%[\w.-]{1,20})?\])(?::\d{1,5})?")
# Programs whose first argument says what they do ("git log", "npm test").
_WITH_SUBCOMMAND = frozenset(
    "git npm pnpm yarn bun cargo go docker kubectl make uv pip pip3 poetry brew gh swift "
    "xcodebuild dotnet mix gradle mvn rake bundle deno npx pytest terraform".split()
)
# The hook's own environment names the terminal it runs in; only these variables are read.
# wire field: environment variable (ASCII, TERM_CHARS at most, or left out).
_TERMINAL_ENV = {
    "program": "TERM_PROGRAM",
    "version": "TERM_PROGRAM_VERSION",
    "term_session": "TERM_SESSION_ID",  # Apple Terminal
    "iterm_session": "ITERM_SESSION_ID",  # iTerm2: "w0t0p0:<unique id>"
    "tmux_pane": "TMUX_PANE",
}
TERM_CHARS = 128
# The working directory's size as sent (non-ASCII escaped): the line stays under the pet's 16 KB.
CWD_BYTES = 2048
_TTY_NAME = re.compile(r"(?:[A-Za-z0-9_]{1,16}/)?[A-Za-z0-9_]{1,40}")  # "ttys003", "pts/4"
TTY_TIMEOUT = 0.3
_ASCII_VALUE = re.compile(r"[\x21-\x7e][\x20-\x7e]*")
_SKIP_PROGRAMS = frozenset("cd pushd popd export set source . true :".split())
_PREFIX_PROGRAMS = frozenset("sudo env time nohup exec command".split())


def data_dir() -> str:
    """Same rule as deskpet.paths.data_dir(), repeated here to keep the shim stdlib-only."""
    env = os.environ.get("DESKPET_HOME")
    if env:
        return env
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Application Support", "deskpet")
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return os.path.join(base, "deskpet")


def socket_path() -> str:
    return os.path.join(data_dir(), SOCKET_NAME)


# --- small text helpers -------------------------------------------------------------------


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, without a word cut in two.

    Half a token is still a secret, and too short for the pet's redaction to recognize it. A
    text that is one long word is simply cut.
    """
    if len(text) <= limit or text[limit].isspace():
        return text[:limit]
    for end in range(limit - 1, -1, -1):
        if text[end].isspace():
            return text[:end]
    return text[:limit]


def _text(value: object, limit: int) -> str:
    """A one-line, e-mail-free, truncated string, or "" for anything that is not text."""
    if not isinstance(value, str):
        return ""
    value = " ".join(clip(value, limit * 4).split())  # bounded work for huge fields
    value = _EMAIL.sub("<email>", value)
    return clip(value, limit - 1) + "…" if len(value) > limit else value


def _ident(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return _ID.sub("", value)[:80] if isinstance(value, str) else ""


def _basename(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return _text(os.path.basename(value.strip().rstrip("/\\")), 80)


def command_head(command: object) -> str:
    """The program a shell command runs ("git log", "mkdir"), never its arguments."""
    if not isinstance(command, str):
        return ""
    for segment in re.split(r"&&|\|\||[;|\n]", command[:4000]):
        words = segment.split()
        while words and "=" in words[0] and not words[0].startswith(("=", "-")):
            words.pop(0)  # FOO=bar prefix
        while len(words) > 1 and words[0] in _PREFIX_PROGRAMS:
            words.pop(0)
        if not words:
            continue
        program = os.path.basename(words[0].strip("\"'()"))
        if program in _SKIP_PROGRAMS:
            continue
        if not _PROGRAM.fullmatch(program):
            return ""
        if program in _WITH_SUBCOMMAND and len(words) > 1 and _SUBCOMMAND.fullmatch(words[1]):
            return f"{program} {words[1]}"
        return program
    return ""


def url_host(url: object) -> str:
    """The host (and port) of a URL, never its userinfo ("https://token@host/x" -> "host").

    "" for anything that is not a plain URL or host name.
    """
    if not isinstance(url, str):
        return ""
    text = url.strip()[:2048]
    scheme = _URL_SCHEME.match(text)
    if scheme:
        text = text[scheme.end() :]
    elif any(c.isspace() for c in text):
        return ""  # prose, not a URL
    authority = _URL_AUTHORITY.match(text).group(0)
    host = authority.rpartition("@")[2]  # userinfo is often a token: it never leaves
    return host if _URL_HOST.fullmatch(host) else ""


def _env_value(value: object, limit: int = TERM_CHARS) -> str:
    """Printable ASCII within `limit`, else "": a cut or cleaned id would name another one."""
    if not isinstance(value, str) or len(value) > limit or not _ASCII_VALUE.fullmatch(value):
        return ""
    return value


def _editor(env: dict) -> str:
    """The editor whose integrated terminal runs us: "cursor", "windsurf", "vscode" or "".

    Cursor and Windsurf say TERM_PROGRAM=vscode too; Cursor sets CURSOR_TRACE_ID, and both put
    their own app's path in VS Code's git helper variables.
    """
    if env.get("CURSOR_TRACE_ID"):
        return "cursor"
    vscode = env.get("TERM_PROGRAM") == "vscode" or any(
        env.get(name) for name in ("VSCODE_GIT_IPC_HANDLE", "VSCODE_PID", "VSCODE_INJECTION")
    )
    if not vscode:
        return ""
    helpers = " ".join(
        str(env.get(name, ""))[:4096].lower()
        for name in ("VSCODE_GIT_ASKPASS_MAIN", "VSCODE_GIT_ASKPASS_NODE", "GIT_ASKPASS")
    )
    for editor in ("cursor", "windsurf"):
        if editor in helpers:
            return editor
    return "vscode"


def _tty() -> str:
    """The controlling terminal's device ("/dev/ttys003"): Apple Terminal knows tabs by it.

    Agents give hooks pipes, never the terminal, and /dev/tty names no device; `ps` tells which
    terminal this process belongs to. Asked only when there is one, and bounded.
    """
    try:
        os.close(os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK))
    except OSError:  # no controlling terminal (a GUI agent, a detached session)
        return ""
    import subprocess  # here only: most events never need it

    ps = next((p for p in ("/bin/ps", "/usr/bin/ps") if os.access(p, os.X_OK)), "")
    try:
        # MAC-CHECK: an agent in Terminal.app reports its tab's tty ("ps -o tty=" says ttys003)
        done = subprocess.run(
            [ps, "-o", "tty=", "-p", str(os.getpid())],
            capture_output=True,
            text=True,
            timeout=TTY_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    name = done.stdout.strip()
    return _env_value("/dev/" + name) if _TTY_NAME.fullmatch(name) else ""


def terminal(env: dict | None = None) -> dict:
    """Where the agent runs, from this process's own environment: never the payload.

    Only the variables in _TERMINAL_ENV, the tmux socket, the editor's name, the controlling
    tty and the working directory; a value too long or with a control character is left out.
    """
    env = os.environ if env is None else env
    found = {key: _env_value(env.get(name)) for key, name in _TERMINAL_ENV.items()}
    # TMUX is "<socket path>,<server pid>,<session index>": only the socket is needed.
    tmux = env.get("TMUX")
    found["tmux_socket"] = _env_value(tmux.rsplit(",", 2)[0]) if isinstance(tmux, str) else ""
    found["editor"] = _editor(env)
    # Only Apple Terminal needs it, and asking costs a process.
    found["tty"] = _tty() if found["program"] == "Apple_Terminal" else ""
    try:
        cwd = os.getcwd()
    except OSError:  # the folder was deleted under us
        cwd = ""
    fits = len(cwd) <= CWD_BYTES and len(json.dumps(cwd)) <= CWD_BYTES + 2  # + its quotes
    found["cwd"] = cwd if fits and cwd.isprintable() else ""
    return {key: value for key, value in found.items() if value}


def _tool_detail(tool: str, tool_input: object, payload: dict) -> str:
    """A short, safe hint of what the tool touched: program, file basename, host, agent type."""
    src = tool_input if isinstance(tool_input, dict) else {}
    command = src.get("command")
    if isinstance(command, str) and "*** Begin Patch" in command:
        found = _PATCH_FILE.search(command)  # Codex apply_patch carries the patch as "command"
        return _basename(found.group(1)) if found else ""
    if isinstance(command, str):
        return command_head(command)
    for key in ("file_path", "filePath", "notebook_path", "path"):
        if isinstance(src.get(key), str):
            return _basename(src[key])
    if isinstance(src.get("subagent_type"), str):
        return _text(src["subagent_type"], 40)
    url = src.get("url")
    if isinstance(url, str):
        return _text(url_host(url), 60)
    # Cursor's older events carry these at the top level.
    if isinstance(payload.get("command"), str):
        return command_head(payload["command"])
    if isinstance(payload.get("file_path"), str):
        return _basename(payload["file_path"])
    details = payload.get("details")  # Gemini's permission notification
    if isinstance(details, dict) and isinstance(details.get("rootCommand"), str):
        return command_head(details["rootCommand"])
    return ""


def _first_line(value: object) -> object:
    return value.strip().split("\n", 1)[0] if isinstance(value, str) else value


def _first(payload: dict, *keys: str) -> object:
    for key in keys:
        value = payload.get(key)
        if value not in (None, ""):
            return value
    return None


def _last_message(payload: dict) -> object:
    """The agent's own last reply (for narration); never the owner's prompt."""
    if payload.get("hook_event_name") == "afterAgentResponse":  # Cursor
        return payload.get("text")
    return _first(payload, "last_assistant_message", "last-assistant-message", "prompt_response")


def summarize(agent: str, payload: dict, channel: str = "hook") -> dict:
    """The whitelisted summary of one agent event: the only thing that leaves this process.

    Never the prompt, file contents, command output, transcript paths or e-mail addresses.
    """
    if "cursor_version" in payload and agent != "cursor":
        # Cursor replays the hooks in ~/.claude/settings.json; it is still Cursor talking.
        via, agent = agent, "cursor"
    else:
        via = ""
    roots = payload.get("workspace_roots")
    cwd = payload.get("cwd") or (roots[0] if isinstance(roots, list) and roots else "")
    tool = _text(payload.get("tool_name"), 64)
    details = payload.get("details")
    if not tool and isinstance(details, dict) and details.get("type") == "exec":
        tool = "Shell"  # Gemini's permission notification for a shell command
    summary = {
        "v": 1,
        "agent": agent,
        "channel": channel,
        "event": _text(_first(payload, "hook_event_name", "type"), 64),
        "session": _ident(_first(payload, "session_id", "conversation_id", "thread-id")),
        "turn": _ident(_first(payload, "turn_id", "turn-id", "generation_id", "prompt_id")),
        "cwd": _basename(cwd),
        "tool": tool,
        "tool_id": _ident(payload.get("tool_use_id")),
        "detail": _tool_detail(tool, payload.get("tool_input"), payload),
        "ntype": _text(payload.get("notification_type"), 40),
        "message": _text(_last_message(payload), MESSAGE_CHARS),
        "note": _text(payload.get("message"), 120),  # notifications: "Claude needs your permission"
        # The first line only ("Exit code 128", "rate_limit"): the rest is command output.
        "error": _text(_first_line(_first(payload, "failure_type", "error", "error_message")), 60),
        "reason": _text(_first(payload, "reason", "source", "trigger"), 40),
        "status": _text(payload.get("status"), 40),
        "subagent": _text(payload.get("agent_type"), 40),
        "subagent_id": _ident(payload.get("agent_id")),
        "interrupt": payload.get("is_interrupt") is True,
        "via": via,
        "ts": time.time(),
    }
    return {k: v for k, v in summary.items() if v not in ("", False)}


def with_terminal(summary: dict) -> dict:
    """The summary with where this hook runs (its "term" field), for the line the hook sends.

    Only the hook adds it: the pet also summarizes Codex's rollout files, and its own
    environment says nothing about the agent's terminal.
    """
    found = terminal()
    return {**summary, "term": found} if found else summary


def salvage(data: bytes) -> dict:
    """Top-level string fields from a payload cut off at MAX_STDIN (a huge tool response).

    Unescaped `"key"` can only be a real key: inside JSON strings quotes are backslashed.
    """
    text = data.decode("utf-8", "replace")
    found = {}
    for key in (
        "hook_event_name",
        "session_id",
        "conversation_id",
        "cwd",
        "tool_name",
        "tool_use_id",
        "turn_id",
        "generation_id",
        "cursor_version",
    ):
        match = re.search(rf'"{key}"\s*:\s*"((?:[^"\\]|\\.){{0,300}})"', text)
        if match:
            try:
                found[key] = json.loads(f'"{match.group(1)}"')
            except ValueError:
                pass
    return found


# --- input and output -----------------------------------------------------------------


def _stdin_fd() -> int | None:
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return None if os.isatty(fd) else fd


def _chunks(fd: int, limit: int, end: float):
    """Reads of `fd` until EOF, `limit` bytes in all or the monotonic time `end`."""
    total = 0
    while total < limit:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return
        chunk = os.read(fd, min(1 << 16, limit - total))
        if not chunk:
            return
        total += len(chunk)
        yield chunk


def read_stdin(limit: int = MAX_STDIN, deadline: float = STDIN_DEADLINE) -> bytes:
    """At most `limit` bytes, giving up after `deadline` seconds; b"" on a terminal."""
    fd = _stdin_fd()
    if fd is None:
        return b""
    return b"".join(_chunks(fd, limit, time.monotonic() + deadline))


def scan_stdin_for_event(
    before: bytes, limit: int = MAX_SCAN, deadline: float = STDIN_DEADLINE
) -> str:
    """The event name further on in an oversized payload, or "".

    The rest of stdin is searched, never parsed, a chunk at a time: Cursor needs the reply for
    its event even when a huge prompt comes before `hook_event_name`. `before` is what was
    read so far (a key split across the two reads is still found).
    """
    fd = _stdin_fd()
    if fd is None:
        return ""
    window = before[-_EVENT_OVERLAP:]
    for chunk in _chunks(fd, limit, time.monotonic() + deadline):
        window = window[-_EVENT_OVERLAP:] + chunk
        found = _EVENT_NAME.search(window)
        if found:
            return found.group(1).decode("ascii")
    return ""


def parse(data: bytes | str, truncated: bool = False) -> dict | None:
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError):
        return salvage(data.encode() if isinstance(data, str) else data) if truncated else None
    return payload if isinstance(payload, dict) else None


def send_line(sock: socket.socket, summary: dict, path: str | None = None) -> None:
    """Connect `sock` to the pet and write `summary` as one NDJSON line; OSError when no pet
    is listening."""
    # ASCII escapes: a lone surrogate (\ud800 in the JSON, non-UTF-8 argv) cannot be encoded
    # as UTF-8 but can be escaped; the pet's sanitizer blanks it.
    line = json.dumps(summary, ensure_ascii=True, separators=(",", ":")) + "\n"
    sock.settimeout(SEND_TIMEOUT)
    sock.connect(path or socket_path())
    sock.sendall(line.encode("ascii"))


def send(summary: dict, path: str | None = None) -> bool:
    """One NDJSON line to the pet; False (event dropped) when no pet is listening."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        send_line(sock, summary, path)
        return True
    except OSError:
        return False
    finally:
        sock.close()


# --- permission requests --------------------------------------------------------------------
# The agents whose PermissionRequest hook may answer for the owner, and the longest the hook
# waits for a click (the pet says how long it wants; this caps it). Claude Code shows its own
# prompt while the hook runs; Codex waits for the hook first, so its wait is short. The
# installers write each agent's hook timeout above these (bridge/agents/).
# MAC-CHECK: Claude Code shows its own permission prompt while a deskpet card waits
APPROVAL_WAIT = {"claude": 120.0, "codex": 20.0}
ACK_TIMEOUT = 1.0  # a pet that does not say this fast whether it shows a card is not answering
MAX_REPLY = 4096
ASK_CHARS = 600
DENY_MESSAGE = "The user denied this from deskpet."
QUESTION_TOOLS = ("AskUserQuestion",)
# CLAUDE_CODE_ENTRYPOINT, which Claude Code sets for its hooks: "cli" in a terminal, "sdk-*"
# for `claude -p` and the SDKs, where nobody sits at a prompt.
_HEADLESS = ("sdk", "mcp", "claude-code-github-action")


def _ask_text(value: object, limit: int = ASK_CHARS) -> str:
    """Text for the owner's card: one line, cut; the pet strips controls and secrets."""
    if not isinstance(value, str):
        return ""
    value = " ".join(clip(value, limit * 4).split())
    return clip(value, limit - 1) + "…" if len(value) > limit else value


def _change_size(src: dict) -> str:
    """How big an edit is, in lines: "+3 -1 lines" (never the text itself)."""
    if isinstance(src.get("edits"), list):
        return f"{len(src['edits'])} edits"
    new = src.get("new_string", src.get("content", src.get("new_source")))
    old = src.get("old_string")
    parts = []
    if isinstance(new, str):
        parts.append(f"+{new.count(chr(10)) + 1}")
    if isinstance(old, str) and old:
        parts.append(f"-{old.count(chr(10)) + 1}")
    return " ".join(parts) + " lines" if parts else ""


def describe(tool: str, tool_input: object) -> dict:
    """What a tool call asks for, in the few fields a card shows."""
    src = tool_input if isinstance(tool_input, dict) else {}
    if tool.startswith("mcp__"):
        server, _, name = tool[5:].partition("__")
        return {"kind": "mcp", "server": _ask_text(server, 80), "name": _ask_text(name, 80)}
    if tool in QUESTION_TOOLS:
        questions = src.get("questions")
        first = questions[0] if isinstance(questions, list) and questions else {}
        first = first if isinstance(first, dict) else {}
        options = first.get("options") if isinstance(first.get("options"), list) else []
        labels = [o.get("label") if isinstance(o, dict) else o for o in options[:6]]
        return {
            "kind": "question",
            "text": _ask_text(first.get("question"), 300),
            "options": [_ask_text(label, 80) for label in labels if isinstance(label, str)],
        }
    command = src.get("command")
    if isinstance(command, str) and "*** Begin Patch" in command:
        files = _PATCH_FILE.findall(command[: 1 << 16])[:5]
        return {"kind": "edit", "files": [_basename(f) for f in files]}
    if isinstance(command, str):
        return {
            "kind": "shell",
            "text": _ask_text(command),
            "note": _ask_text(src.get("description"), 200),
        }
    for key in ("file_path", "filePath", "notebook_path", "path"):
        if isinstance(src.get(key), str):
            return {"kind": "edit", "files": [_basename(src[key])], "size": _change_size(src)}
    if isinstance(src.get("url"), str):
        return {"kind": "web", "host": _text(url_host(src["url"]), 80)}
    if isinstance(src.get("query"), str):
        return {"kind": "web", "text": _ask_text(src["query"], 200)}
    return {"kind": "other", "note": _ask_text(src.get("description"), 200)}


def _suggestions(payload: dict) -> list[dict]:
    """Claude Code's "always allow" choices, by their index, reduced to what a card says."""
    found = payload.get("permission_suggestions")
    kept = []
    for index, item in enumerate(found[:4] if isinstance(found, list) else []):
        if not isinstance(item, dict):
            continue
        rules = item.get("rules") if isinstance(item.get("rules"), list) else []
        dirs = item.get("directories") if isinstance(item.get("directories"), list) else []
        kept.append(
            {
                "i": index,
                "type": _text(item.get("type"), 40),
                "behavior": _text(item.get("behavior"), 20),
                "destination": _text(item.get("destination"), 40),
                "mode": _text(item.get("mode"), 40),
                # Kept short: the whole line must stay under the bridge's 16 KB.
                "rules": [
                    [_text(r.get("toolName"), 64), _ask_text(r.get("ruleContent"), 160)]
                    for r in rules[:2]
                    if isinstance(r, dict)
                ],
                "dirs": [_basename(d) for d in dirs[:3]],
            }
        )
    return kept


def headless(agent: str) -> bool:
    """Whether nobody sits at this agent's prompt (`claude -p`, the SDKs)."""
    return agent == "claude" and os.environ.get("CLAUDE_CODE_ENTRYPOINT", "").startswith(_HEADLESS)


def _read_reply(sock: socket.socket, buffer: bytearray, deadline: float) -> dict | None:
    """The pet's next line, or None at EOF, on a bad line or at the monotonic `deadline`."""
    while b"\n" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0 or len(buffer) > MAX_REPLY:
            return None
        sock.settimeout(left)
        chunk = sock.recv(MAX_REPLY)
        if not chunk:
            return None
        buffer += chunk
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    try:
        reply = json.loads(line)
    except ValueError:
        return None
    return reply if isinstance(reply, dict) else None


def decision_reply(agent: str, answer: object, payload: dict) -> str:
    """Exactly what the agent reads as the owner's decision, or "" for none.

    Codex refuses updatedInput, updatedPermissions and interrupt, so it gets behavior (and a
    message) only; an "always allow" choice exists for Claude Code alone.
    """
    decision = answer.get("decision") if isinstance(answer, dict) else None
    if decision == "allow":
        body: dict = {"behavior": "allow"}
    elif decision == "deny":
        body = {"behavior": "deny", "message": DENY_MESSAGE}
    elif agent == "claude" and isinstance(decision, int) and not isinstance(decision, bool):
        offered = payload.get("permission_suggestions")
        if not isinstance(offered, list) or not 0 <= decision < min(len(offered), 4):
            return ""
        if not isinstance(offered[decision], dict):
            return ""
        body = {"behavior": "allow", "updatedPermissions": [offered[decision]]}
    else:
        return ""
    output = {"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": body}}
    return json.dumps(output, separators=(",", ":"))


def ask_owner(agent: str, payload: dict, summary: dict, path: str | None = None) -> str:
    """Send a permission request and wait on the same connection for the owner's click.

    The pet first says how long to wait ({"wait": s}, or closes: no card), then sends
    {"decision": "allow" | "deny" | suggestion index}. Anything else, no pet, a silent pet or
    the wait running out is "": the agent's own prompt decides.
    """
    summary = dict(summary, ask=describe(str(summary.get("tool", "")), payload.get("tool_input")))
    if agent == "claude":
        summary["suggestions"] = _suggestions(payload)
    summary["await"] = APPROVAL_WAIT[agent]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        send_line(sock, summary, path)
        buffer = bytearray()
        ack = _read_reply(sock, buffer, time.monotonic() + ACK_TIMEOUT)
        wait = ack.get("wait") if ack else None
        if not isinstance(wait, int | float) or isinstance(wait, bool) or not wait > 0:
            return ""
        wait = min(float(wait), APPROVAL_WAIT[agent])
        return decision_reply(agent, _read_reply(sock, buffer, time.monotonic() + wait), payload)
    except (OSError, ValueError):
        return ""
    finally:
        sock.close()


def start_command(argv: list[str], event: object, executable: str, system: str) -> list[str]:
    """The command that opens the installed pet when a session starts and none answered, or []
    when this hook should not: the owner did not ask (the installers write AUTOSTART only then),
    not a session's start, not a Mac, or not the hook inside Deskpet.app."""
    if AUTOSTART not in argv or event not in START_EVENTS or system != "darwin":
        return []
    inside = executable.find(".app/Contents/MacOS/")
    if inside < 0 or not os.path.isdir(executable[: inside + 4]):
        return []
    # -g: in the background, the agent's terminal keeps the keyboard.
    return ["/usr/bin/open", "-g", "-a", executable[: inside + 4]]


def start_pet(command: list[str]) -> int | None:
    """Run `command` (an absolute program path first) detached: never waited for, its output
    to /dev/null, any failure ignored. Returns its process id, None when nothing ran."""
    if not command:
        return None
    # The agent reads our stdout: the child must never write to it.
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    try:
        # MAC-CHECK: a session started with no pet running opens Deskpet.app in the background
        return os.posix_spawn(command[0], command, dict(os.environ), file_actions=quiet)
    except (OSError, AttributeError, NotImplementedError):  # no such program, no posix_spawn
        return None


def reply_for(agent: str, event: str) -> str:
    """What the agent expects on stdout: Cursor and Gemini want JSON, the others nothing."""
    reply, by_event = REPLIES.get(agent, ("", {}))
    return by_event.get(event, reply)


def _agent_from(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--agent" and i + 1 < len(argv):
            return argv[i + 1] if argv[i + 1] in AGENTS else "unknown"
        if arg.startswith("--agent="):
            value = arg.split("=", 1)[1]
            return value if value in AGENTS else "unknown"
    return "unknown"


def run(argv: list[str]) -> str:
    """Handle one event; returns the reply to print."""
    agent = _agent_from(argv)
    reply = reply_for(agent, "")
    if argv and argv[-1].lstrip().startswith("{"):
        # Codex `notify` hands the JSON over as the last argument and leaves stdin alone.
        payload, channel = parse(argv[-1][:MAX_STDIN]), "notify"
    else:
        start = time.monotonic()
        data = read_stdin()
        truncated = len(data) >= MAX_STDIN
        payload, channel = parse(data, truncated), "hook"
        if truncated and payload is not None and "hook_event_name" not in payload:
            left = STDIN_DEADLINE - (time.monotonic() - start)
            event = scan_stdin_for_event(data, deadline=left)
            if event:
                payload["hook_event_name"] = event
    if payload is None:
        return reply
    event = payload.get("hook_event_name")
    reply = reply_for(agent, event if isinstance(event, str) else "")
    if agent != "unknown":
        try:
            summary = with_terminal(summarize(agent, payload, channel))
            tool = summary.get("tool", "")
            if (
                event == "PermissionRequest"
                and agent in APPROVAL_WAIT
                and summary.get("agent") == agent  # not Cursor replaying Claude's hooks
                and tool not in QUESTION_TOOLS
            ):
                if not headless(agent):
                    return ask_owner(agent, payload, summary) or reply
            elif tool in QUESTION_TOOLS and event in ("PreToolUse", "PermissionRequest"):
                summary["ask"] = describe(tool, payload.get("tool_input"))
            if not send(summary):  # no pet answered
                start_pet(start_command(argv, event, sys.executable, sys.platform))
        except Exception:  # a lost event must not cost the agent its reply ("continue": true)
            pass
    return reply


def main(argv: list[str] | None = None) -> int:
    """Always 0: a broken pet must never break the agent."""
    for name in ("SIGTERM", "SIGHUP"):
        # An agent that gives up on us (timeout, closed terminal) must still see exit 0.
        try:
            signal.signal(getattr(signal, name), lambda *_: os._exit(0))
        except (AttributeError, OSError, ValueError):  # no such signal, or not the main thread
            pass
    reply = ""
    try:
        args = sys.argv[1:] if argv is None else argv
        reply = reply_for(_agent_from(args), "")
        reply = run(args)
    except BaseException:  # noqa: B036 - the contract is "never fail", even on Ctrl-C
        pass
    try:
        if reply:
            sys.stdout.write(reply)
            sys.stdout.flush()
    except BaseException:  # noqa: B036
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
