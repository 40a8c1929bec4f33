"""The UI in Simplified Chinese: the cards, the sessions list and the pet's persona texts speak
the owner's language, and the narrator asks the model for a Chinese sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from deskpet import i18n
from deskpet.bridge import events
from deskpet.bridge import events as ev
from deskpet.bridge.events import AgentEvent
from deskpet.bridge.narrator import Narrator
from deskpet.bridge.narrator import system_prompt as narrator_prompt
from deskpet.bridge.sessions import SessionTracker
from deskpet.history import History
from deskpet.personas.manager import PersonaManager
from deskpet.pet import PetMachine
from deskpet.settings import Settings
from deskpet.ui.bubble import ChatBubble
from deskpet.ui.chat_controller import ChatController
from deskpet.ui.permission_cards import PermissionCards, Request
from deskpet.ui.sessions_list import SessionsList

FIXTURES = Path(__file__).parents[1] / "bridge" / "fixtures"


@pytest.fixture
def chinese():
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


@pytest.fixture
def pet(qtbot):
    widget = QWidget()
    widget.setGeometry(QRect(600, 400, 128, 128))
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_a_card_asks_in_chinese(qtbot, chinese, pet, tmp_path):
    cards = PermissionCards()
    qtbot.addWidget(cards)
    cards.anchor_to(pet)
    cards.show_request(Request("r1", "s1", "Claude · shop", "shell", "Bash", "npm test"))
    cards.show_request(Request("r2", "s2", "Codex · api", "edit", "Edit", "app.py"))
    buttons = {b.text() for b in cards.findChildren(QPushButton) if b.isVisible()}
    assert {"允许", "拒绝", "前往终端"} <= buttons
    titles = {label.text() for label in cards.findChildren(QLabel) if label.isVisible()}
    assert "Codex · api 想要修改" in titles
    assert cards.grab().save(str(tmp_path / "cards-zh.png"))


def test_the_sessions_list_speaks_chinese(qtbot, chinese, pet):
    now = [1000.0]
    tracker = SessionTracker(clock=lambda: now[0])
    payload = json.loads((FIXTURES / "claude_pretooluse_bash.json").read_text())
    tracker.feed(events.from_payload("claude", payload))
    now[0] += 75
    view = SessionsList(tracker.live)
    qtbot.addWidget(view)
    view.anchor_to(pet)
    view.open()
    states = [row.findChild(QLabel, "session-state").text() for row in view.rows]
    assert states == ["工作中：Bash · 1 分钟"]


def test_an_empty_sessions_list_says_so_in_english_by_default(qtbot, pet):
    view = SessionsList(lambda: [])
    qtbot.addWidget(view)
    view.anchor_to(pet)
    view.open()
    assert view.empty.text() == "No agent sessions right now"


def test_the_pet_greets_and_is_named_in_chinese(qtbot, chinese):
    # A controller with no model and no brain: greeting and switching persona ask for neither.
    bubble = ChatBubble()
    qtbot.addWidget(bubble)
    personas = PersonaManager(current="default")
    chat = ChatController(
        None, bubble, PetMachine(clock=lambda: 0.0), History(":memory:"), Settings(), personas
    )
    assert dict(personas.choices())["neko"] == "小喵"
    chat.set_persona("neko")
    assert chat.persona_name() == "小喵"
    assert chat.greet() == "喵~！你回来啦！有没有带小鱼干？"


def test_the_narrator_asks_for_a_chinese_sentence(chinese):
    narrator = Narrator(style="a playful cat", clock=lambda: 0.0)
    done = AgentEvent("claude", "hook", ev.TURN_COMPLETE, session="s", message="Tests pass.")
    narrator.offer(done)
    request = narrator.next_request()
    assert (
        request is not None and "Write the sentence in Simplified Chinese." in request.system_prompt
    )
    # The instructions themselves stay English: small models follow them best.
    assert request.system_prompt.startswith("You narrate what a coding agent just did")
    i18n.set_language("en")
    assert "Chinese" not in narrator_prompt("a playful cat")
