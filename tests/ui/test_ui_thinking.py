"""Thinking and personas in the running app: the menu's Thinking item says when a persona holds
thinking off and gives the owner's choice back after it, and each chat request carries the
rule's answer (think, and the 1,280-token floor when thinking).

The app is built but not started: no model is loaded, since nothing here needs an answer."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox

from deskpet.app import DeskpetApp
from deskpet.personas.thinking import THINKING_MIN_TOKENS


@pytest.fixture
def app(qtbot, qapp, ui_app_home):
    (ui_app_home / "settings.yaml").write_text("thinking_default: true\nmax_tokens: 300\n")
    app = DeskpetApp("demo")
    yield app
    app.shutdown()


def thinking_item(app) -> QAction:
    action = app.tray.findChild(QAction, "thinking-mode")
    assert action is not None
    return action


def test_neko_holds_thinking_off_and_says_why_then_the_owners_choice_returns(qtbot, app):
    item = thinking_item(app)
    # GIVEN the owner chose thinking, talking as Pip (who may think)
    app.chat.set_persona("neko")
    app.chat.set_persona("deskpet")
    assert (item.text(), item.isEnabled(), item.isChecked()) == ("Thinking Mode", True, True)
    request = app.chat.request_for("hello")
    assert request.think is True and request.max_tokens == THINKING_MIN_TOKENS
    # WHEN the owner switches to Neko, trained without thinking
    app.chat.set_persona("neko")
    # THEN the item is off, greyed, and says why; requests think not and keep the owner's limit
    assert (item.text(), item.isEnabled(), item.isChecked()) == (
        "Thinking: off for Neko",
        False,
        False,
    )
    assert "trained without thinking" in item.toolTip()
    request = app.chat.request_for("hello")
    assert request.think is False and request.max_tokens == 300
    assert app.settings.get("thinking_default") is True  # the owner's choice is kept
    # AND switching back gives the owner's choice back
    app.chat.set_persona("deskpet")
    assert (item.text(), item.isEnabled(), item.isChecked()) == ("Thinking Mode", True, True)
    assert app.chat.request_for("hello").think is True
    # With a model that cannot think (no think tokens), the owner's limit stands.
    app.chat.model_ready("demo", thinks=False)
    assert app.chat.request_for("hello").max_tokens == 300


def test_the_settings_window_changes_thinking_under_the_same_rule(qtbot, app):
    item = thinking_item(app)
    app.chat.set_persona("neko")
    app.chat.set_persona("deskpet")
    window = app.preferences.show()
    qtbot.addWidget(window)
    box = window.findChild(QCheckBox, "setting-thinking_default")
    # WHEN the owner turns thinking off in Settings
    box.click()
    assert app.settings.get("thinking_default") is False
    assert item.isChecked() is False and item.isEnabled()
    request = app.chat.request_for("hi")
    assert request.think is False and request.max_tokens == 300
    # AND on again while Neko talks: still held off by Neko
    app.chat.set_persona("neko")
    box.click()
    assert app.settings.get("thinking_default") is True
    assert item.isChecked() is False and not item.isEnabled()
    assert app.chat.request_for("hi").think is False
