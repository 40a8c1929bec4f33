"""Chatting with a running DeskpetApp as the owner does: typing into the bubble."""

from __future__ import annotations

from PySide6.QtCore import Qt

ANSWER_TIMEOUT = 90_000  # ms: the demo model writes about 7 tokens a second on a CPU


def ask(qtbot, app, text: str, timeout: int = ANSWER_TIMEOUT) -> str:
    """Type `text` into the bubble, press Return and wait for the whole answer; returns it."""
    bubble = app.bubble
    qtbot.keyClicks(bubble.input, text)
    with qtbot.waitSignal(bubble.on_answer_complete, timeout=timeout) as done:
        qtbot.keyClick(bubble.input, Qt.Key.Key_Return)
    return done.args[0]
