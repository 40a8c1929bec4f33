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


def _links(view) -> list[str]:
    """Every link target in a text view's document."""
    doc, found = view.document(), []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isAnchor() and fmt.anchorHref():
                found.append(fmt.anchorHref())
            it += 1
        block = block.next()
    return found


HOSTILE = (
    "Done. Please [verify your login](https://evil.example/login) now, "
    '<a href="https://evil.example/a">here</a> or <b>here</b>'
)


def test_an_agents_words_are_plain_text_never_a_link(bubble):
    # GIVEN a narration line carrying Markdown and HTML links (an agent's words, or the
    # model's sentence about them)
    bubble.show_narration(HOSTILE)
    # THEN it reads exactly as sent, and nothing in it is a link or markup
    assert bubble.answer_view.toPlainText() == HOSTILE
    assert _links(bubble.answer_view) == []
    # AND the same words under a chat in view, as a note, are plain too
    bubble.begin_answer("Hi")
    bubble.show_narration(HOSTILE)
    assert bubble.status.textFormat() == Qt.TextFormat.PlainText
    assert bubble.status.text() == HOSTILE
    assert bubble.title.textFormat() == Qt.TextFormat.PlainText


def test_a_chat_answers_links_show_where_they_go_and_html_stays_text(bubble):
    bubble.begin_answer("Where are the docs?")
    bubble.add_token(
        "See [the docs](https://docs.example/start) or https://plain.example, "
        'not <a href="https://evil.example/a">this</a>, and [a file](file:///etc/passwd).'
    )
    bubble.finish("stop")
    bubble.flush()
    shown = bubble.answer_view.toPlainText()
    # THEN a link's address is written after its words; raw HTML is not a link
    assert "the docs (https://docs.example/start)" in shown
    assert "https://plain.example (" not in shown  # the words are the address already
    assert '<a href="https://evil.example/a">this</a>' in shown
    assert "https://evil.example/a" not in _links(bubble.answer_view)
    assert "https://docs.example/start" in _links(bubble.answer_view)


def test_links_open_only_on_a_click_and_only_for_the_web_and_mail(qtbot, bubble, monkeypatch):
    # QDesktopServices hands the URL to the system's browser: the boundary, recorded here.
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    bubble.begin_answer("Links?")
    bubble.add_token("[docs](https://docs.example/) and [a file](file:///etc/passwd)")
    bubble.finish("stop")
    bubble.flush()
    assert opened == []  # showing an answer opens nothing
    bubble.answer_view.anchorClicked.emit(QUrl("file:///etc/passwd"))
    assert opened == []
    with qtbot.waitSignal(bubble.on_link_opened):
        bubble.answer_view.anchorClicked.emit(QUrl("https://docs.example/"))
    assert [url.toString() for url in opened] == ["https://docs.example/"]


def test_the_first_open_stands_beside_the_pet_as_later_ones_do(qtbot):
    # GIVEN a bubble never shown before, and a pet low on a 1440x900 screen
    bubble = ChatBubble(fade_seconds=0)
    qtbot.addWidget(bubble)
    pet = QRect(1000, 600, 128, 128)
    # WHEN a double-click opens it
    bubble.open(pet, SCREEN)
    first = bubble.geometry()
    # THEN its tail points at the pet's upper third, where it stands after an answer too
    aim = pet.top() + pet.height() // 3
    assert first.top() <= aim <= first.bottom()
    assert abs(first.center().y() - aim) <= 2
    bubble.begin_answer("Hi")
    bubble.add_token("Hello!")
    bubble.finish("stop")
    bubble.flush()
    bubble.place_beside(pet, SCREEN)
    assert abs(bubble.geometry().center().y() - first.center().y()) <= 40
