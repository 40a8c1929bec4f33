"""Permission cards, offscreen and end to end: the real hook subprocess waits on the real
bridge socket, the card shows beside the pet, and a click reaches the hook's stdout.

The controller runs without a model (narration never asks to speak); everything else is real:
the BridgeServer, the Relay onto the GUI thread, the settings file, the cards.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from deskpet.inference.generate import Sampling
from deskpet.pet import PetMachine
from deskpet.platform import DefaultPlatform
from deskpet.settings import Settings
from deskpet.ui.agents_controller import AgentsController
from deskpet.ui.permission_cards import MAX_SHOWN, PermissionCards, Request
from deskpet.ui.relay import Relay

FIXTURES = Path(__file__).parents[1] / "bridge" / "fixtures"
SESSION = "0b7e6c1a-6a51-4d5e-9a43-c4d000000001"
PROJECT = "/tmp/work/myproject"


@pytest.fixture
def cards_home(monkeypatch):
    root = Path(tempfile.mkdtemp(prefix="dpc"))  # short: Unix socket paths stay < 104 bytes
    (root / "h").mkdir()
    (root / "d").mkdir()
    monkeypatch.setenv("HOME", str(root / "h"))
    monkeypatch.setenv("DESKPET_HOME", str(root / "d"))
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "XDG_DATA_HOME", "CLAUDE_CODE_ENTRYPOINT"):
        monkeypatch.delenv(name, raising=False)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def cards_pet(qtbot, cards_home):
    """A listening bridge, the controller and the cards beside a stand-in pet window."""
    pet = QWidget()
    pet.setGeometry(QRect(700, 400, 120, 120))
    qtbot.addWidget(pet)
    pet.show()
    cards = PermissionCards()
    qtbot.addWidget(cards)
    cards.anchor_to(pet)
    settings = Settings.load()
    controller = AgentsController(
        Relay(),
        None,  # no model: narration never asks to speak
        PetMachine(clock=time.monotonic),
        settings,
        DefaultPlatform(),
        say=lambda _text: None,
        may_speak=lambda: False,
        pet_visible=lambda: True,
        style=lambda: "",
        sampling=Sampling.greedy,
        cards=cards,
    )
    controller.start()
    assert controller.bridge is not None
    procs: list[subprocess.Popen] = []
    controller.procs = procs
    yield controller
    controller.stop()
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=5)


def start_hook(pet, fixture: str, agent: str = "claude", **changes) -> subprocess.Popen:
    payload = json.loads((FIXTURES / fixture).read_text())
    payload.update(session_id=SESSION, cwd=PROJECT, **changes)
    proc = subprocess.Popen(
        [sys.executable, "-m", "deskpet.bridge.hook", "--agent", agent],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    proc.stdin.write(json.dumps(payload).encode())
    proc.stdin.close()
    proc.stdin = None  # sent and closed: communicate() only reads
    pet.procs.append(proc)
    return proc


def run_hook(fixture: str, **changes) -> None:
    payload = json.loads((FIXTURES / fixture).read_text())
    payload.update(session_id=SESSION, cwd=PROJECT, **changes)
    proc = subprocess.run(
        [sys.executable, "-m", "deskpet.bridge.hook", "--agent", "claude"],
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=10,
    )
    assert (proc.returncode, proc.stdout) == (0, b"")


def finish(proc: subprocess.Popen, qtbot) -> tuple[int, str]:
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=10_000)
    out, _ = proc.communicate(timeout=5)
    return proc.returncode, out.decode()


def a_card_shows(qtbot, pet, count: int = 1):
    qtbot.waitUntil(lambda: len(pet.cards.cards()) == count, timeout=10_000)
    return pet.cards.cards()[0]


def test_a_permission_request_shows_a_card_and_allow_answers_the_hook(qtbot, cards_pet):
    # GIVEN Claude Code in myproject asking to run a command
    proc = start_hook(cards_pet, "claude_permissionrequest_bash.json")
    card = a_card_shows(qtbot, cards_pet)
    # THEN a card beside the pet says who asks and the exact command, in plain text
    assert cards_pet.cards.isVisible()
    assert card.title.text() == "Claude · myproject wants to run"
    assert card.what.text().startswith("ls -la /Users/USER/Code/tk-agent-team/.claude/")
    assert card.what.textFormat() == Qt.TextFormat.PlainText
    pet_rect = cards_pet.cards._anchor.frameGeometry()
    assert not cards_pet.cards.frameGeometry().intersects(pet_rect)
    # WHEN the owner clicks Allow THEN the hook prints Claude's allow decision and exits 0
    qtbot.mouseClick(card.buttons["allow"], Qt.MouseButton.LeftButton)
    code, out = finish(proc, qtbot)
    assert code == 0
    assert json.loads(out)["hookSpecificOutput"]["decision"] == {"behavior": "allow"}
    assert cards_pet.cards.cards() == [] and not cards_pet.cards.isVisible()


def test_no_key_decides(qtbot, cards_pet):
    proc = start_hook(cards_pet, "claude_permissionrequest_bash.json")
    card = a_card_shows(qtbot, cards_pet)
    buttons = card.findChildren(QPushButton)
    assert buttons and not any(b.isDefault() or b.autoDefault() for b in buttons)
    assert all(b.focusPolicy() == Qt.FocusPolicy.NoFocus for b in buttons)
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
        qtbot.keyClick(cards_pet.cards, key)
        qtbot.keyClick(card, key)
    qtbot.wait(200)
    assert proc.poll() is None and cards_pet.cards.cards() == [card]  # still waiting
    assert cards_pet.cards.deny_top()  # the Deny shortcut
    code, out = finish(proc, qtbot)
    assert json.loads(out)["hookSpecificOutput"]["decision"]["behavior"] == "deny"


def test_an_always_allow_choice_in_plain_words(qtbot, cards_pet):
    proc = start_hook(cards_pet, "claude_permissionrequest_bash.json")
    card = a_card_shows(qtbot, cards_pet)
    always = card.buttons["0"]
    assert always.text() == (
        "Always allow `unzip -l /Users/USER/Code/tk-agent-team/files.zip` in this project"
    )
    qtbot.mouseClick(always, Qt.MouseButton.LeftButton)
    code, out = finish(proc, qtbot)
    decision = json.loads(out)["hookSpecificOutput"]["decision"]
    assert decision["behavior"] == "allow" and decision["updatedPermissions"][0]["rules"]


def test_a_request_answered_in_the_terminal_closes_its_card(qtbot, cards_pet):
    # GIVEN a card WHEN the tool runs anyway (the owner answered in the terminal)
    proc = start_hook(cards_pet, "claude_permissionrequest_bash.json")
    a_card_shows(qtbot, cards_pet)
    run_hook("claude_posttooluse_bash.json")
    # THEN the card closes, and the hook (which the agent stops) decided nothing
    qtbot.waitUntil(lambda: cards_pet.cards.cards() == [], timeout=10_000)
    proc.send_signal(signal.SIGTERM)
    assert finish(proc, qtbot) == (0, "")


def test_a_hook_hanging_up_closes_its_card(qtbot, cards_pet):
    proc = start_hook(cards_pet, "claude_permissionrequest_bash.json")
    a_card_shows(qtbot, cards_pet)
    proc.send_signal(signal.SIGTERM)
    assert finish(proc, qtbot) == (0, "")
    qtbot.waitUntil(lambda: cards_pet.cards.cards() == [], timeout=10_000)


def test_do_not_disturb_shows_no_card_and_the_hook_does_not_wait(qtbot, cards_pet):
    cards_pet._settings.set("do_not_disturb", True)
    start = time.monotonic()
    proc = start_hook(cards_pet, "claude_permissionrequest_bash.json")
    assert finish(proc, qtbot) == (0, "")
    assert time.monotonic() - start < 5
    qtbot.wait(200)
    assert cards_pet.cards.cards() == []


def test_cards_turned_off(qtbot, cards_pet):
    cards_pet._settings.set("permission_cards", False)
    proc = start_hook(cards_pet, "codex_hook_permissionrequest_bash.json", agent="codex")
    assert finish(proc, qtbot) == (0, "")
    assert cards_pet.cards.cards() == []


def test_codex_cards_offer_no_always_allow(qtbot, cards_pet):
    proc = start_hook(cards_pet, "codex_hook_permissionrequest_bash.json", agent="codex")
    card = a_card_shows(qtbot, cards_pet)
    assert set(card.buttons) == {"allow", "deny", "terminal"}
    qtbot.mouseClick(card.buttons["deny"], Qt.MouseButton.LeftButton)
    code, out = finish(proc, qtbot)
    assert set(json.loads(out)["hookSpecificOutput"]["decision"]) == {"behavior", "message"}


def test_a_question_shows_read_only_with_go_to_terminal(qtbot, cards_pet):
    asked = []
    cards_pet.cards.on_go_to_terminal.connect(asked.append)
    run_hook(
        "claude_pretooluse_bash.json",
        tool_name="AskUserQuestion",
        tool_input={
            "questions": [
                {
                    "question": "Which <b>database</b>?",
                    "options": [{"label": "Postgres"}, {"label": "SQLite"}],
                }
            ]
        },
    )
    card = a_card_shows(qtbot, cards_pet)
    assert set(card.buttons) == {"terminal"} and not card.decides
    texts = [label.text() for label in card.findChildren(QLabel)]
    assert "Which <b>database</b>?" in texts and "• Postgres" in texts
    assert not cards_pet.cards.allow_top()  # a question card decides nothing
    qtbot.mouseClick(card.buttons["terminal"], Qt.MouseButton.LeftButton)
    assert asked == [SESSION]
    run_hook("claude_stop.json")
    qtbot.waitUntil(lambda: cards_pet.cards.cards() == [], timeout=10_000)


def test_cards_stack_newest_on_top_and_are_bounded(qtbot, cards_home):
    cards = PermissionCards()
    qtbot.addWidget(cards)
    for n in range(MAX_SHOWN + 2):
        cards.show_request(Request(f"r{n}", f"s{n}", "Claude · p", "shell", "Bash", f"cmd {n}"))
    shown = [c for c in cards.cards() if c.isVisible()]
    assert [c.request.request for c in shown] == ["r4", "r3", "r2"]
    more = cards.findChild(QLabel, "card-more")
    assert more.text() == "2 more waiting"
    decided = []
    cards.on_decided.connect(lambda r, d: decided.append((r, d)))
    assert cards.allow_top()
    assert decided == [("r4", "allow")]


def test_the_bench_round_trip_completes(qtbot, cards_home):
    # `deskpet bench --bridge`: spawn -> card -> simulated click -> the hook's exit, each round
    from deskpet.ui.bench_permission import bench_permission

    result = bench_permission(rounds=2)
    assert result["failures"] == 0 and result["rounds"] == 2
    assert 0 < result["spawn_to_card"]["p50_ms"] <= result["round_trip"]["p50_ms"]


def test_an_elicitation_shows_a_question_card(qtbot, cards_pet):
    run_hook(
        "claude_notification_idle.json",
        notification_type="elicitation_dialog",
        message="The github server asks for a repository name",
    )
    card = a_card_shows(qtbot, cards_pet)
    assert not card.decides and card.what.text() == "The github server asks for a repository name"
    run_hook("claude_userpromptsubmit.json")  # a new prompt: the question was answered
    qtbot.waitUntil(lambda: cards_pet.cards.cards() == [], timeout=10_000)


@pytest.fixture
def app(qtbot, qapp, cards_home):
    """The real app, not started (no model, no socket): its windows and controllers only."""
    from deskpet.app import DeskpetApp

    app = DeskpetApp("demo", platform=DefaultPlatform())
    try:
        yield app
    finally:
        app.shutdown()


def test_in_the_app_allow_and_deny_keys_work_only_while_a_card_decides(qtbot, app):
    app.shortcuts.start()  # what app.start() does, without loading a model
    keys = app.shortcuts.hot_keys
    assert not keys.active("allow") and not keys.active("deny")
    # GIVEN a permission card beside the pet
    asking = Request("r1", "s1", "Claude · shop", "shell", "Bash", "npm test")
    with qtbot.waitSignal(app.cards.on_deciding) as deciding:
        app.cards.show_request(asking)
    assert deciding.args == [True] and keys.active("allow") and keys.active("deny")
    # WHEN the owner presses the Allow shortcut THEN the newest card decides, and the keys go
    with qtbot.waitSignal(app.cards.on_decided) as decided:
        keys.action("allow").trigger()
    assert decided.args == ["r1", "allow"]
    assert not keys.active("allow") and not keys.active("deny")
    # AND a read-only question card holds no keys
    app.cards.show_request(Request("", "s1", "Claude · shop", "question", "", "Which one?"))
    assert not keys.active("allow")


def test_in_the_app_a_cards_go_to_terminal_reaches_the_agents_controller(qtbot, app):
    app.cards.show_request(Request("r1", "s1", "Claude · shop", "shell", "Bash", "npm test"))
    with qtbot.waitSignal(app.agents.on_jumped, timeout=5000) as jumped:
        app.cards.on_go_to_terminal.emit("s1")
    assert not jumped.args[0].ok  # no hook of this session recorded a terminal
