"""Agents on the pet, end to end: the real hook shim (a subprocess) -> the app's socket -> the
pet's state, the bell, and a narration written by the real demo model.

Every test starts its own pet (`agents_pet`: awake on the demo model; `ringing_pet`: and
Claude in myproject waiting for a permission) in a throwaway HOME and DESKPET_HOME (a short
/tmp path: Unix socket paths must stay under 104 bytes). Its platform records sounds instead of
playing them: the platform layer is the true boundary to the speakers, and the only thing
replaced here.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from helpers.unchangeable import unchangeable
from PySide6.QtGui import QAction

from deskpet.app import DeskpetApp
from deskpet.app_entry import run_app
from deskpet.inference.generate import Sampling
from deskpet.pet import State
from deskpet.platform import DefaultPlatform
from deskpet.ui.agents_controller import TICK_MS
from deskpet.ui.bubble import ChatBubble
from deskpet.ui.sounds import bell_sound

FIXTURES = Path(__file__).parents[1] / "bridge" / "fixtures"
SESSION = "0b7e6c1a-6a51-4d5e-9a43-e2e000000001"
OTHER_SESSION = "0b7e6c1a-6a51-4d5e-9a43-e2e000000002"
PROJECT = "/tmp/work/myproject"
MODEL_TIMEOUT = 90_000
NARRATION_TIMEOUT = 90_000


class RecordingPlatform(DefaultPlatform):
    """The do-nothing platform, except that it remembers every sound it was asked to play."""

    def __init__(self) -> None:
        self.sounds: list[Path] = []

    def play_sound(self, path: Path, volume: float = 1.0) -> None:
        self.sounds.append(Path(path))


@pytest.fixture
def agents_home(monkeypatch):
    root = Path(tempfile.mkdtemp(prefix="dpa"))
    (root / "h").mkdir()
    (root / "d").mkdir()
    # No permission cards: run_hook waits for the shim, which would wait for a click.
    (root / "d" / "settings.yaml").write_text("bubble_fade_seconds: 0\npermission_cards: false\n")
    monkeypatch.setenv("HOME", str(root / "h"))
    monkeypatch.setenv("DESKPET_HOME", str(root / "d"))
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def agents_pet(qtbot, qapp, agents_home, demo_gguf):
    """A fresh pet, awake on the demo model and listening on its socket."""
    app = DeskpetApp("demo", sampling=Sampling.greedy(), platform=RecordingPlatform())
    try:
        app.start()
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=MODEL_TIMEOUT)
        yield app
    finally:
        app.shutdown()


@pytest.fixture
def ringing_pet(qtbot, agents_pet):
    """A fresh pet whose bell rings: Claude in myproject asks to run a command."""
    run_hook("claude_permissionrequest_bash.json")
    qtbot.waitUntil(lambda: agents_pet.machine.state is State.ATTENTION, timeout=5000)
    assert agents_pet.agents.attention == "Claude · myproject needs you"
    return agents_pet


def run_hook(name: str, session: str = SESSION, cwd: str = PROJECT, **fields: str) -> None:
    """Run the shim as Claude Code does: the fixture's JSON (with `fields` changed) on stdin,
    `--agent claude`."""
    payload = json.loads((FIXTURES / name).read_text())
    payload.update(session_id=session, cwd=cwd, **fields)
    proc = subprocess.run(
        [sys.executable, "-m", "deskpet.bridge.hook", "--agent", "claude"],
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=10,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")


def action(app, name) -> QAction:
    found = app.tray.findChild(QAction, name)
    assert found is not None, name
    return found


def shown(notices: list[tuple[str, str]]) -> list[str]:
    return [f"{title}: {text}" for title, text in notices]


def test_a_tool_makes_the_pet_work(qtbot, agents_pet):
    app = agents_pet
    # GIVEN the pet awake and listening on its socket
    assert app.model.info is not None
    assert app.agents.bridge is not None and app.agents.bridge.path.is_socket()
    # WHEN Claude starts a Bash command
    run_hook("claude_pretooluse_bash.json")
    # THEN the pet works, the shell way
    qtbot.waitUntil(lambda: app.machine.state is State.WORKING, timeout=5000)
    assert app.machine.variant == "shell"
    assert (app.agents.mood.agent, app.agents.mood.project) == ("claude", "myproject")


def test_a_permission_request_rings_the_bell(qtbot, agents_pet, caplog, ui_notices):
    app = agents_pet
    caplog.set_level(logging.DEBUG)
    sounds = app._platform.sounds
    sounds.clear()
    app.set_pet_shown(False)  # hidden: the owner also gets a system notification
    try:
        # WHEN Claude asks to run a command
        run_hook("claude_permissionrequest_bash.json")
        # THEN the bell rings: the animation, the sound, and who needs the owner
        qtbot.waitUntil(lambda: app.machine.state is State.ATTENTION, timeout=5000)
        assert sounds == [bell_sound()] and bell_sound().is_file()
        assert app.agents.attention == "Claude · myproject needs you"
        assert app.tray.status_action.text() == app.agents.attention
        assert app.tray.icon.toolTip() == app.agents.attention
        assert any(line.startswith("Claude · myproject needs you: ") for line in shown(ui_notices))
        # AND when another session's agent says what it wants, the notice shows its words,
        # which stay out of the log
        secret = "Claude needs your permission to read plans-for-q3.txt"
        run_hook("claude_notification_permission.json", OTHER_SESSION, message=secret)
        qtbot.waitUntil(lambda: any(text == secret for _t, text in ui_notices), timeout=5000)
        assert not any(secret in r.getMessage() for r in caplog.records)
    finally:
        app.set_pet_shown(True)


def test_do_not_disturb_keeps_the_bell_silent(qtbot, ringing_pet, ui_notices):
    app = ringing_pet
    sounds = app._platform.sounds
    sounds.clear()
    # GIVEN do-not-disturb switched on from the menu, and the pet hidden
    action(app, "do-not-disturb").trigger()
    assert app.settings.do_not_disturb()
    app.set_pet_shown(False)
    try:
        with qtbot.waitSignal(app.agents.on_bell, timeout=5000) as bell:
            # WHEN another Claude session asks for permission
            run_hook("claude_permissionrequest_bash.json", OTHER_SESSION, "/tmp/w/otherproject")
        # THEN the pet shows it, silently: no sound, no notification
        assert bell.args == ["Claude · otherproject needs you"]
        assert app.agents.attention == "Claude · otherproject needs you"
        assert app.machine.state is State.ATTENTION
        assert sounds == []
        assert not any("needs you" in line for line in shown(ui_notices))
    finally:
        action(app, "do-not-disturb").trigger()
        app.set_pet_shown(True)
    # and when that session ends, the first one's request is what remains
    run_hook("claude_sessionend.json", OTHER_SESSION, "/tmp/w/otherproject")
    qtbot.waitUntil(lambda: app.agents.attention == "Claude · myproject needs you", timeout=5000)


def test_a_click_answers_the_bell_and_says_what_rang(qtbot, ringing_pet):
    app = ringing_pet
    assert app.machine.state is State.ATTENTION
    # WHEN the owner clicks the ringing pet
    app.pet.on_clicked.emit()
    # THEN the bell stops, and the bubble says who asked, without taking the keyboard
    assert app.machine.state is State.POKED
    assert app.bubble.isVisible()
    assert app.bubble.narration.startswith("Claude · myproject needs you")
    qtbot.wait(TICK_MS + 300)  # the mood is unchanged: the bell does not come back
    assert app.machine.state is not State.ATTENTION


def test_a_finished_turn_makes_the_pet_happy_and_narrates(qtbot, ringing_pet):
    app = ringing_pet
    assert not app.settings.do_not_disturb() and app.settings.get("narration")
    with qtbot.waitSignal(app.agents.on_narrated, timeout=NARRATION_TIMEOUT) as narrated:
        # WHEN Claude finishes its turn (the real Stop payload: a reply about netlify.toml)
        run_hook("claude_stop.json")
        # THEN the pet is happy, and the bell's line is gone from the menu
        qtbot.waitUntil(lambda: app.machine.state is State.HAPPY, timeout=10_000)
        assert app.agents.attention == "" and app.tray.status_action.text().startswith("Awake")
    # and the demo model's sentence is in the bubble, with the agent and the project
    line = narrated.args[0]
    prefix = "Claude · myproject: "
    assert line.startswith(prefix) and len(line) > len(prefix) + 2
    assert not line[len(prefix) :].startswith("Claude:")
    assert "\n" not in line and "```" not in line
    assert app.bubble.isVisible() and app.bubble.narration == line
    assert app.bubble.answer_text == line


def test_a_second_pet_says_deskpet_is_already_running(qtbot, agents_pet, capsys):
    app = agents_pet
    received = app.agents.bridge.received
    # WHEN the owner starts deskpet again
    assert run_app(argparse.Namespace(demo=True, model=None)) == 1
    # THEN it says so in one line and leaves, and the first pet still hears the agents
    err = capsys.readouterr().err
    assert err.strip() == "deskpet is already running (look for its icon in the menu bar)."
    run_hook("claude_userpromptsubmit.json")
    qtbot.waitUntil(lambda: app.agents.bridge.received > received, timeout=5000)
    qtbot.waitUntil(lambda: app.machine.state is State.THINKING, timeout=10_000)


def test_a_data_folder_deskpet_may_not_change_leaves_the_pet_up_without_the_bridge(
    qtbot, qapp, agents_home, demo_gguf, monkeypatch, caplog, ui_notices
):
    # GIVEN deskpet's data folder cannot be made: the folder above it is unchangeable
    locked = agents_home / "locked"
    locked.mkdir()
    data = locked / "d"
    monkeypatch.setenv("DESKPET_HOME", str(data))
    caplog.set_level(logging.INFO)
    with unchangeable(locked):
        # WHEN the pet starts
        app = DeskpetApp("demo", sampling=Sampling.greedy(), platform=RecordingPlatform())
        try:
            app.start()
            # THEN it is up, without the bridge, and says why from the tray and in the log
            assert app.pet.isVisible() and app.agents.bridge is None
            why = f"deskpet can't listen for agents: {data} is not writable"
            assert any(why in line for line in shown(ui_notices))
            assert any(
                r.name == "deskpet.ui.agents_controller"
                and r.levelno == logging.WARNING
                and why in r.getMessage()
                for r in caplog.records
            )
        finally:
            app.shutdown()


def test_a_narration_never_pushes_a_chat_answer_aside(qtbot):
    bubble = ChatBubble(fade_seconds=0)
    qtbot.addWidget(bubble)
    # GIVEN nothing in view: the narration is the bubble's whole text, shown without focus
    bubble.show_narration("Claude · p: It fixed the tests.")
    assert bubble.isVisible() and bubble.answer_text == "Claude · p: It fixed the tests."
    # and a newer narration replaces it
    bubble.show_narration("Codex · q: It wrote the docs.")
    assert bubble.answer_text == "Codex · q: It wrote the docs."
    # GIVEN a chat answer being read
    bubble.begin_answer("What is the capital of France?")
    bubble.add_token("Paris.")
    bubble.finish("stop")
    qtbot.waitUntil(lambda: not bubble.answering, timeout=2000)
    # WHEN a narration arrives THEN the answer stays and the narration is a note below it
    bubble.show_narration("Claude · p: It ran the build.")
    assert bubble.answer_text == "Paris."
    assert bubble.status.text() == "Claude · p: It ran the build."

    # GIVEN an answer still being written after the owner closed the bubble with ✕
    bubble.begin_answer("And of Italy?")
    bubble.add_token("Rome")
    bubble.dismiss()
    # WHEN a narration arrives THEN the answer is kept, the bubble shows again with the note,
    # and the rest of the answer still lands in it
    bubble.show_narration("Codex · q: It wrote the docs.")
    assert bubble.isVisible() and bubble.status.text() == "Codex · q: It wrote the docs."
    bubble.add_token(" is.")
    bubble.finish("stop")
    qtbot.waitUntil(lambda: not bubble.answering, timeout=2000)
    assert bubble.answer_text == "Rome is."
