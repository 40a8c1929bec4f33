"""`deskpet doctor` against a temp HOME: real installed hooks run as real subprocesses, a real
BridgeServer as the pet (or doctor's own short listener), real files."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from deskpet import cli
from deskpet.bridge import doctor, installers, server
from deskpet.bridge.doctor import FAIL, NOTE, OK
from deskpet.bridge.server import BridgeServer

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_payload(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def findings(result, topic, level=None):
    return [f.text for f in result.findings if f.topic == topic and level in (None, f.level)]


@pytest.fixture
def claude(home):
    """Claude Code on this computer, with deskpet's hooks installed."""
    (home / ".claude").mkdir()
    assert installers.install("claude").ok
    return home / ".claude" / "settings.json"


@pytest.fixture
def pet(home):
    """A running pet: a real BridgeServer, its events collected."""
    got: queue.Queue = queue.Queue()
    with BridgeServer(got.put) as bridge:
        bridge.about = lambda: {"model": "demo", "model_loaded": True, "device": "cpu"}
        bridge.got = got
        yield bridge


def run_hook(agent: str, payload: dict) -> None:
    command = doctor.installed_commands(agent)[0].shell
    done = subprocess.run(
        ["/bin/sh", "-c", command], input=json.dumps(payload), text=True, timeout=10
    )
    assert done.returncode == 0


def test_healthy_with_a_running_pet(claude, pet):
    # GIVEN installed hooks and a running pet WHEN the doctor runs
    result = doctor.diagnose()
    # THEN the hook's test event arrived, and nothing failed
    assert result.healthy, result.lines()
    assert any("runs and its test event arrives" in t for t in findings(result, "claude", OK))
    assert findings(result, "pet", OK)
    assert findings(result, "model", OK) == ["demo (loaded; cpu)"]
    assert findings(result, "claude", NOTE) == [
        "nothing heard from Claude Code since the pet started"
    ]


def test_the_test_event_never_reaches_the_pets_mood(claude, pet):
    doctor.diagnose()
    assert pet.probes  # it did arrive ...
    assert pet.got.empty()  # ... and was never handed on: no mood, no bell, no narration
    assert pet.heard == {}  # nor counted as the agent's real activity


def test_a_real_event_is_the_last_heard(claude, pet):
    run_hook("claude", fixture_payload("claude_pretooluse_bash.json"))
    assert pet.got.get(timeout=5).agent == "claude"
    result = doctor.diagnose()
    heard = findings(result, "claude", OK)
    assert any(t.startswith("last event") and "(1 since the pet started)" in t for t in heard)
    assert result.pet["agents"]["claude"]["channels"] == {"hook": 1}


def test_hooks_missing(home, pet):
    (home / ".claude").mkdir()
    result = doctor.diagnose()
    assert not result.healthy
    assert any("deskpet agents install claude" in t for t in findings(result, "claude", FAIL))


def test_hook_path_broken(claude, pet):
    # GIVEN the installed command names a deskpet-hook that was moved away
    program = doctor.installed_commands("claude")[0].program()
    claude.write_text(claude.read_text().replace(program, "/gone/bin/deskpet-hook"))
    # WHEN the doctor runs THEN it names the missing program and what to do
    result = doctor.diagnose()
    failed = findings(result, "claude", FAIL)
    assert failed and "/gone/bin/deskpet-hook, which no longer exists" in failed[0]
    assert "deskpet agents install claude" in failed[0]
    assert not pet.probes


def test_a_hook_that_fails_to_run(claude, pet):
    claude.write_text(claude.read_text().replace("--agent claude", "--agent claude; exit 3"))
    failed = findings(doctor.diagnose(), "claude", FAIL)
    assert failed and "exited with status 3" in failed[0]


def test_a_hook_that_prints_what_the_agent_does_not_expect(claude, pet):
    claude.write_text(claude.read_text().replace("--agent claude", "--agent claude; echo hi"))
    failed = findings(doctor.diagnose(), "claude", FAIL)
    assert failed and "prints something the agent does not expect" in failed[0]


def test_cursors_hook_prints_its_reply_and_passes(home, pet):
    (home / ".cursor").mkdir()
    assert installers.install("cursor").ok
    result = doctor.diagnose()
    assert any("test event arrives" in t for t in findings(result, "cursor", OK))
    assert findings(result, "cursor", FAIL) == []


def test_pet_silent_while_claude_was_in_use(claude, pet):
    # GIVEN a transcript Claude Code wrote after the pet started, and no hook event heard
    transcript = claude.parent / "projects" / "-work-app" / "s1.jsonl"
    transcript.parent.mkdir(parents=True)
    transcript.write_text("{}\n")
    later = pet.started + 5
    os.utime(transcript, (later, later))
    result = doctor.diagnose()
    assert not result.healthy
    assert any("restart your Claude Code sessions" in t for t in findings(result, "claude", FAIL))


def test_codex_in_use_but_hooks_never_ran_means_not_trusted(home, pet):
    (home / ".codex").mkdir()
    assert installers.install("codex").ok
    day = datetime.now().astimezone()
    folder = home / ".codex" / "sessions" / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
    folder.mkdir(parents=True)
    rollout = folder / "rollout-1.jsonl"
    rollout.write_text("{}\n")
    os.utime(rollout, (pet.started + 5, pet.started + 5))
    result = doctor.diagnose()
    failed = findings(result, "codex", FAIL)
    assert failed and "type /hooks in Codex" in failed[0]


def test_no_pet_doctor_listens_for_a_moment_and_leaves_no_socket(claude):
    result = doctor.diagnose()
    assert not result.healthy
    assert "not running" in findings(result, "pet", FAIL)[0]
    assert any("test event arrives" in t for t in findings(result, "claude", OK))
    assert not server.socket_path().exists()


def test_doctor_never_takes_a_live_pets_socket(claude, pet):
    doctor.diagnose()
    doctor.diagnose()
    run_hook("claude", fixture_payload("claude_pretooluse_bash.json"))
    assert pet.got.get(timeout=5).kind  # the pet still hears its agents


def test_a_pet_that_holds_the_lock_but_does_not_answer(claude, home):
    # A listener that accepts and never reads (a hung pet) holds the lock file too.
    path = server.socket_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    import fcntl

    fd = os.open(server.lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        result = doctor.diagnose(wait=0.1)
    finally:
        os.close(fd)
    assert "does not answer" in findings(result, "pet", FAIL)[0]


def test_owner_uninstalled_is_a_note_not_a_failure(claude, pet):
    assert installers.uninstall("claude").ok
    result = doctor.diagnose()
    assert findings(result, "claude", FAIL) == []
    assert "you removed deskpet's hooks" in findings(result, "claude", NOTE)[0]


def test_doctor_request_is_answered_with_one_line(pet):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(pet.path))
        sock.sendall(b'{"v":1,"request":"doctor"}\n')
        data = sock.recv(65536)
    answer = json.loads(data)
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert answer["pid"] == os.getpid() and answer["model"] == "demo"


def test_probes_kept_are_bounded(pet):
    for i in range(server.PROBES_KEPT + 10):
        pet._count({"agent": "claude", "event": server.PROBE_EVENT, "session": f"n{i}"})
    assert len(pet.probes) == server.PROBES_KEPT
    assert f"n{server.PROBES_KEPT + 9}" in pet.probes and "n0" not in pet.probes


def test_cli_exit_codes_and_json(claude, pet, capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "ok claude:" in out and out.rstrip().endswith("All good.")
    assert cli.main(["doctor", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["healthy"] is True
    assert {f["topic"] for f in data["findings"]} >= {"pet", "claude", "model", "log"}


def test_cli_exit_one_when_unhealthy(home, capsys):
    (home / ".claude").mkdir()
    assert cli.main(["doctor", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["healthy"] is False and data["pet"] is None
    assert cli.main(["doctor"]) == 1
    assert "!! pet: deskpet is not running" in capsys.readouterr().out
