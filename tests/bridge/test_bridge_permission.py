"""Permission requests end to end: the real hook subprocess waits on a real socket server.

A decision gives exactly the reply each agent documents; every case where the owner did not
click (no pet, no card, a silent pet, the wait running out, the pet quitting, SIGTERM) gives
exit 0 and an empty stdout, so the agent's own prompt decides.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from deskpet import paths
from deskpet.bridge import agents, events, hook, installers
from deskpet.bridge.server import MAX_LINE, MAX_WAITING, BridgeServer

FIXTURES = Path(__file__).parent / "fixtures"
CLAUDE = "claude_permissionrequest_bash.json"
CODEX = "codex_hook_permissionrequest_bash.json"


def start_hook(agent: str, fixture: str, env: dict | None = None) -> subprocess.Popen:
    return start_payload(agent, (FIXTURES / fixture).read_bytes(), env)


def start_payload(agent: str, data: bytes, env: dict | None = None) -> subprocess.Popen:
    """The hook as the agent runs it: the payload on stdin, then stdin closed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "deskpet.bridge.hook", "--agent", agent],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    proc.stdin.write(data)
    proc.stdin.close()
    proc.stdin = None  # sent and closed: communicate() only reads
    return proc


def finish(proc: subprocess.Popen, timeout: float = 10) -> tuple[int, str, bytes]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out.decode(), err


@pytest.fixture
def pet(home):
    """A real bridge server that shows a card (waits 30 s) for every permission request."""
    got: queue.Queue = queue.Queue()
    closed: queue.Queue = queue.Queue()
    server = BridgeServer(got.put, path=paths.data_dir() / hook.SOCKET_NAME)
    server.permission_wait = lambda event: 30.0
    server.on_request_closed = closed.put
    server.start()
    server.got, server.closed = got, closed
    yield server
    server.stop()


def request_of(server: BridgeServer) -> events.AgentEvent:
    event = server.got.get(timeout=5)
    assert event.kind == events.PERMISSION_REQUEST
    assert event.ask is not None and event.ask.request
    return event


def test_claude_allow_prints_the_documented_reply(pet):
    # GIVEN Claude Code's permission request waiting on the pet WHEN the owner clicks Allow
    proc = start_hook("claude", CLAUDE)
    event = request_of(pet)
    assert pet.decide(event.ask.request, "allow")
    # THEN the hook prints exactly Claude's PermissionRequest decision and exits 0
    code, out, err = finish(proc)
    assert code == 0 and err == b""
    assert json.loads(out) == {
        "hookSpecificOutput": {
            "hookEventName": "PermissionRequest",
            "decision": {"behavior": "allow"},
        }
    }


def test_claude_deny_carries_a_message(pet):
    proc = start_hook("claude", CLAUDE)
    assert pet.decide(request_of(pet).ask.request, "deny")
    code, out, _ = finish(proc)
    assert code == 0
    decision = json.loads(out)["hookSpecificOutput"]["decision"]
    assert decision == {"behavior": "deny", "message": hook.DENY_MESSAGE}


def test_claude_always_allow_echoes_the_agents_own_suggestion(pet):
    # GIVEN a request with one "always allow" suggestion, offered in plain words
    proc = start_hook("claude", CLAUDE)
    event = request_of(pet)
    index, words = event.ask.suggestions[0]
    assert words.startswith("Always allow `unzip -l") and words.endswith("in this project")
    # WHEN the owner picks it THEN Claude gets that suggestion back as updatedPermissions
    assert pet.decide(event.ask.request, index)
    code, out, _ = finish(proc)
    payload = json.loads((FIXTURES / CLAUDE).read_text())
    assert code == 0
    assert json.loads(out)["hookSpecificOutput"]["decision"] == {
        "behavior": "allow",
        "updatedPermissions": [payload["permission_suggestions"][0]],
    }


@pytest.mark.parametrize("decision", ["allow", "deny"])
def test_codex_gets_only_the_fields_it_accepts(pet, decision):
    proc = start_hook("codex", CODEX)
    event = request_of(pet)
    assert event.ask.suggestions == ()  # Codex has no "always allow" channel in its hooks
    assert event.ask.wait == 20.0  # capped: Codex waits for the hook before its own prompt
    assert pet.decide(event.ask.request, decision)
    code, out, _ = finish(proc)
    reply = json.loads(out)
    assert code == 0 and set(reply) == {"hookSpecificOutput"}
    body = reply["hookSpecificOutput"]["decision"]
    # Codex fails closed on updatedInput, updatedPermissions and interrupt: never sent
    assert set(body) == ({"behavior"} if decision == "allow" else {"behavior", "message"})
    assert body["behavior"] == decision


def test_a_suggestion_index_decides_nothing_for_codex(pet):
    proc = start_hook("codex", CODEX)
    assert pet.decide(request_of(pet).ask.request, 0)
    assert finish(proc) == (0, "", b"")


def test_the_card_text_is_the_command_redacted(pet):
    payload = json.loads((FIXTURES / CODEX).read_text())
    secret = "abcdefghijklmnop1234"
    payload["tool_input"]["command"] = f"curl -H 'Authorization: Bearer {secret}' x\x1b[2J"
    proc = start_payload("codex", json.dumps(payload).encode())
    event = request_of(pet)
    assert event.ask.kind == "shell"
    assert secret not in event.ask.text and "\x1b" not in event.ask.text
    assert event.ask.text.startswith("curl -H 'Authorization: Bearer <redacted>' x")
    assert secret not in repr(event)  # the ask stays out of any log line
    pet.decide(event.ask.request, "deny")
    finish(proc)


# --- never worse than without deskpet -------------------------------------------------------


@pytest.mark.parametrize(("agent", "fixture"), [("claude", CLAUDE), ("codex", CODEX)])
def test_no_pet_exits_at_once_with_no_output(home, agent, fixture):
    start = time.monotonic()
    assert finish(start_hook(agent, fixture)) == (0, "", b"")
    assert time.monotonic() - start < 3


def test_no_card_dnd_or_cards_off_exits_at_once(pet):
    # GIVEN a pet that shows no card (do not disturb, cards off) THEN the hook does not wait
    pet.permission_wait = lambda event: 0.0
    start = time.monotonic()
    proc = start_hook("claude", CLAUDE)
    assert finish(proc) == (0, "", b"")
    assert time.monotonic() - start < 3
    event = pet.got.get(timeout=5)  # the pet still hears the request (the bell)
    assert event.kind == events.PERMISSION_REQUEST and not event.ask.request


def test_a_headless_claude_session_never_waits(pet):
    proc = start_hook("claude", CLAUDE, env={"CLAUDE_CODE_ENTRYPOINT": "sdk-cli"})
    assert finish(proc) == (0, "", b"")
    event = pet.got.get(timeout=5)
    assert event.ask is None and pet.waiting() == []


def test_a_silent_pet_is_no_pet(home):
    # GIVEN something listening on the socket that never answers
    path = paths.data_dir() / hook.SOCKET_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(4)
    try:
        start = time.monotonic()
        assert finish(start_hook("claude", CLAUDE)) == (0, "", b"")
        assert time.monotonic() - start < 3 + hook.ACK_TIMEOUT
    finally:
        listener.close()


def test_the_wait_running_out_decides_nothing(pet):
    pet.permission_wait = lambda event: 0.5
    proc = start_hook("claude", CLAUDE)
    request = request_of(pet).ask.request
    assert finish(proc) == (0, "", b"")
    assert pet.closed.get(timeout=5) == request  # the card hears that the hook went away
    assert not pet.decide(request, "allow")


def test_the_pet_quitting_mid_wait(pet):
    proc = start_hook("claude", CLAUDE)
    request_of(pet)
    pet.stop()
    assert finish(proc) == (0, "", b"")


def test_sigterm_mid_wait_exits_zero_with_no_output(pet):
    proc = start_hook("claude", CLAUDE)
    request = request_of(pet).ask.request
    proc.send_signal(signal.SIGTERM)
    assert finish(proc) == (0, "", b"")
    assert pet.closed.get(timeout=5) == request
    assert not pet.decide(request, "allow")


def test_the_oldest_request_is_let_go_past_the_bound(pet):
    # GIVEN more waiting hooks than the bridge keeps
    procs = [start_hook("claude", CLAUDE) for _ in range(MAX_WAITING + 1)]
    requests = [request_of(pet).ask.request for _ in procs]
    # THEN the oldest is closed (its hook exits with no answer) and the rest still wait
    assert pet.closed.get(timeout=5) == requests[0]
    assert pet.waiting() == requests[1:]
    outputs = {}
    for request in requests[1:]:
        assert pet.decide(request, "deny")
    for proc in procs:
        outputs[proc.pid] = finish(proc)
    assert sorted(code for code, _, _ in outputs.values()) == [0] * len(procs)
    assert sum(out == "" for _, out, _ in outputs.values()) == 1


def test_decide_refuses_what_is_not_a_decision(pet):
    with pytest.raises(ValueError):
        pet.decide("r1", "yes")
    assert not pet.decide("r-unknown", "allow")


def test_a_question_is_a_read_only_ask(pet):
    payload = {
        "session_id": "s1",
        "cwd": "/w/proj",
        "hook_event_name": "PreToolUse",
        "tool_name": "AskUserQuestion",
        "tool_input": {
            "questions": [
                {
                    "question": "Which database?",
                    "options": [{"label": "Postgres"}, {"label": "SQLite"}],
                }
            ]
        },
    }
    proc = subprocess.run(
        [sys.executable, "-m", "deskpet.bridge.hook", "--agent", "claude"],
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=10,
    )
    assert (proc.returncode, proc.stdout) == (0, b"")
    event = pet.got.get(timeout=5)
    assert event.ask.kind == "question" and event.ask.text == "Which database?"
    assert event.ask.options == ("Postgres", "SQLite") and not event.ask.request


# --- the facts kept in step -----------------------------------------------------------------


def test_the_hook_and_the_agents_agree_on_the_waits():
    waits = {a.id: a.approval_wait for a in agents.AGENTS if a.approval_wait}
    assert waits == hook.APPROVAL_WAIT


@pytest.mark.parametrize("agent", ["claude", "codex"])
def test_the_installer_gives_the_permission_hook_time_to_wait(home, agent):
    installers.install(agent)
    spec = agents.get(agent).files[0]
    data = json.loads(spec.path().read_text())
    timeouts = {
        event: entry["hooks"][0]["timeout"]
        for event, entries in data["hooks"].items()
        for entry in entries
    }
    assert timeouts["PermissionRequest"] >= hook.APPROVAL_WAIT[agent] + 20
    assert {t for e, t in timeouts.items() if e != "PermissionRequest"} == {10}
    assert installers.status(agent).installed


def test_waiting_many_hooks_does_not_stall_ordinary_events(pet):
    # GIVEN a hook waiting for a click WHEN another agent event arrives THEN it is heard at once
    proc = start_hook("claude", CLAUDE)
    request = request_of(pet).ask.request
    done = threading.Event()

    def ordinary() -> None:
        hook.send({"v": 1, "agent": "claude", "event": "Stop", "session": "s2"}, str(pet.path))
        done.set()

    threading.Thread(target=ordinary).start()
    assert done.wait(5)
    assert pet.got.get(timeout=5).kind == events.TURN_COMPLETE
    pet.decide(request, "allow")
    assert finish(proc)[0] == 0


def test_the_longest_request_line_fits_the_bridge():
    # GIVEN the largest command and suggestions (wide characters, escaped six bytes each)
    payload = json.loads((FIXTURES / CLAUDE).read_text())
    payload["tool_input"]["command"] = "界" * 100_000
    rule = {"toolName": "Bash", "ruleContent": "界" * 10_000}
    payload["permission_suggestions"] = [
        {"type": "addRules", "rules": [rule] * 9, "behavior": "allow", "destination": "session"}
    ] * 9
    # THEN the line the hook sends stays under the bridge's limit (or it would be dropped)
    summary = hook.summarize("claude", payload)
    summary.update(ask=hook.describe("Bash", payload["tool_input"]), **{"await": 120.0})
    summary["suggestions"] = hook._suggestions(payload)
    line = json.dumps(summary, ensure_ascii=True, separators=(",", ":"))
    assert len(line) < MAX_LINE
