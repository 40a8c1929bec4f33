"""ChatBubble: typewriter at frame rate, Markdown, collapsed thinking, cancel, copy, placement."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QToolButton

from deskpet.inference.protocol import (
    CONTEXT_FULL,
    FAILURE_KINDS,
    INTERNAL,
    LOAD,
    NO_MODEL,
)
from deskpet.ui.bubble import ChatBubble, friendly_error

SCREEN = QRect(0, 0, 1440, 900)


@pytest.fixture
def bubble(qtbot):
    bubble = ChatBubble(fade_seconds=0)
    qtbot.addWidget(bubble)
    bubble.open(QRect(200, 500, 128, 128), SCREEN)
    return bubble


def test_tokens_are_coalesced_into_far_fewer_renders(qtbot, bubble):
    # GIVEN an answer arriving as 300 small tokens in one burst
    bubble.begin_answer("Count for me")
    tokens = [f"{i:>3} " for i in range(300)]
    for token in tokens:
        bubble.add_token(token)
    bubble.finish("stop")
    # WHEN the typewriter has caught up
    with qtbot.waitSignal(bubble.on_answer_complete, timeout=10000) as done:
        pass
    # THEN everything is on screen, rendered at most once per frame, far fewer than per token
    assert done.args == ["stop"]
    assert bubble.shown_text == "".join(tokens)
    assert 1 <= bubble.render_count < len(tokens) // 3
    assert not bubble.answering


def test_markdown_code_blocks_and_lists_render(bubble):
    bubble.begin_answer("How?")
    bubble.add_token("Try this:\n\n```python\nprint('hi')\n```\n\n- one\n- two\n")
    bubble.finish("stop")
    bubble.flush()
    doc = bubble.answer_view.document()
    blocks = [doc.findBlockByNumber(i) for i in range(doc.blockCount())]
    code = [b for b in blocks if b.text() == "print('hi')"]
    items = [b for b in blocks if b.textList() is not None]
    assert code and code[0].blockFormat().nonBreakableLines()  # a code block, kept verbatim
    assert [b.text() for b in items] == ["one", "two"]
    assert "```" not in bubble.answer_view.toPlainText()


def test_reasoning_is_dimmed_and_collapsed_above_the_answer(qtbot, bubble):
    bubble.begin_answer("Think first")
    bubble.add_token("Let me think. ", "reasoning")
    bubble.add_token("The answer is 4.")
    bubble.finish("stop")
    bubble.flush()
    toggle = bubble.thinking_toggle
    assert toggle.isVisible() and not toggle.isChecked()
    assert bubble.reasoning_view.isHidden()
    assert bubble.reasoning_text == "Let me think. "
    # The toggle opens it, dimmer than the answer and above it.
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    assert bubble.reasoning_view.isVisible()
    assert bubble.reasoning_view.toPlainText() == "Let me think. "
    dim = bubble.reasoning_view.palette().color(QPalette.ColorRole.Text)
    ink = bubble.answer_view.palette().color(QPalette.ColorRole.Text)
    assert dim.lightness() > ink.lightness() + 50
    assert bubble.reasoning_view.font().italic()
    assert bubble.reasoning_view.y() < bubble.answer_view.y()


def test_enter_sends_and_esc_cancels_the_answer_being_written(qtbot, bubble):
    with qtbot.waitSignal(bubble.on_send) as sent:
        qtbot.keyClicks(bubble.input, "What is the capital of France?")
        qtbot.keyClick(bubble.input, Qt.Key.Key_Return)
    assert sent.args == ["What is the capital of France?"]
    assert bubble.answering and bubble.input.text() == ""
    bubble.add_token("Par")
    with qtbot.waitSignal(bubble.on_cancel):
        qtbot.keyClick(bubble.input, Qt.Key.Key_Escape)
    bubble.finish("cancelled")
    assert not bubble.answering and bubble.shown_text == "Par"
    assert bubble.status.text() == "Stopped."


def test_a_new_message_while_answering_cancels_first(qtbot, bubble):
    bubble.begin_answer("first")
    order = []
    bubble.on_cancel.connect(lambda: order.append("cancel"))
    bubble.on_send.connect(lambda text: order.append(text))
    qtbot.keyClicks(bubble.input, "second")
    qtbot.keyClick(bubble.input, Qt.Key.Key_Return)
    assert order == ["cancel", "second"]
    assert bubble.question.text() == "second"


def test_esc_when_idle_dismisses(qtbot, bubble):
    with qtbot.waitSignal(bubble.on_closed):
        qtbot.keyClick(bubble.input, Qt.Key.Key_Escape)
    assert not bubble.isVisible()


def test_copy_puts_the_answer_on_the_clipboard(qtbot, bubble):
    bubble.begin_answer("Copy me")
    bubble.add_token("Paris is the **capital**.")
    bubble.finish("stop")
    bubble.flush()
    QGuiApplication.clipboard().clear()
    button = bubble.findChild(QToolButton, "bubble-copy-button")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == "Paris is the **capital**."
    # A selection is copied instead of the whole answer.
    bubble.answer_view.selectAll()
    cursor = bubble.answer_view.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(5, cursor.MoveMode.KeepAnchor)
    bubble.answer_view.setTextCursor(cursor)
    bubble.copy_action.trigger()
    assert QApplication.clipboard().text() == "Paris"


def test_opens_on_the_side_with_room(bubble):
    bubble.place_beside(QRect(100, 400, 128, 128), SCREEN)
    assert bubble.side == "right" and bubble.x() > 228
    bubble.place_beside(QRect(1250, 400, 128, 128), SCREEN)
    assert bubble.side == "left" and bubble.geometry().right() < 1250
    assert SCREEN.contains(bubble.geometry())


def test_errors_show_as_a_friendly_line(bubble):
    bubble.begin_answer("Hello?")
    bubble.show_error("no model is loaded yet", NO_MODEL)
    assert not bubble.answering and bubble.status.isVisible()
    assert bubble.status.text() == friendly_error("no model is loaded yet", NO_MODEL)
    assert "Error" not in bubble.status.text()


def test_errors_are_worded_by_their_kind_never_by_their_text():
    # A message that once read as a load failure only because it says "could not"
    assert friendly_error("could not parse the reply", INTERNAL).startswith("Oops")
    assert friendly_error("the cache could not fit", CONTEXT_FULL) == (
        "That is more than I can keep in mind at once. Could you say it shorter?"
    )
    assert friendly_error("bad.gguf is not a model", LOAD).endswith(": bad.gguf is not a model")
    assert len({friendly_error("x", kind) for kind in FAILURE_KINDS}) == len(FAILURE_KINDS)


def test_fades_out_after_a_while_without_use(qtbot):
    bubble = ChatBubble(fade_seconds=1)
    qtbot.addWidget(bubble)
    bubble.open(QRect(200, 500, 128, 128), SCREEN)
    bubble.begin_answer("Hi")
    bubble.add_token("Hello!")
    bubble.finish("stop")
    with qtbot.waitSignal(bubble.on_closed, timeout=5000):
        pass
    assert not bubble.isVisible() and bubble.windowOpacity() == 1.0


def test_every_child_has_an_object_name(bubble):
    from PySide6.QtCore import QObject
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QWidget

    unnamed = [
        child
        for child in bubble.findChildren(QObject)
        if isinstance(child, QWidget | QAction)
        and not child.objectName()
        and child.parent() is bubble
    ]
    assert unnamed == []
