"""ChatBubble: the speech bubble beside the pet where the owner chats with it.

Answers stream in like a typewriter: tokens only go into a buffer, and a frame timer (~60 fps)
reveals the buffer a few characters at a time and renders the answer as Markdown at most once
per frame, so a burst of tokens costs one repaint, not one per token. The model's thinking (the
reasoning channel) sits dimmed and collapsed behind a small "Thinking…" toggle above the answer.
Esc or a new message cancels the answer being written; after a while without use the bubble
fades out.

Only the owner's own chat answers are Markdown (no raw HTML), and a link in them shows where it
goes and opens only on a click, in the browser, for web and mail addresses. Everything an agent
sent, and what the model says about agents, is plain text: an agent's words can never become a
link or markup.
"""

from __future__ import annotations

import logging
import math

from PySide6.QtCore import (
    QEasingCurve,
    QPoint,
    QPropertyAnimation,
    QRect,
    QRectF,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QGuiApplication,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from deskpet.i18n import tr
from deskpet.inference.protocol import ADAPTER, CONTEXT_FULL, LOAD, NO_MODEL
from deskpet.inference.server_http import FRIENDLY as SERVER_FRIENDLY
from deskpet.ui.anchor import BesidePet
from deskpet.ui.chat_text import DIM_INK, ERROR_INK, INK, may_open, set_ink, set_markdown, text_view
from deskpet.ui.placement import beside, screen_of

FRAME_MS = 16  # ~60 fps
# The typewriter shows at least this many characters per frame (~120 per second, faster than
# the model writes) and catches up with a burst within about this many frames.
MIN_CHARS_PER_FRAME = 2
CATCH_UP_FRAMES = 8
WIDTH = 360
MAX_ANSWER_HEIGHT = 320
MAX_REASONING_HEIGHT = 140
RADIUS = 14.0
TAIL = 10  # how far the tail sticks out towards the pet
GAP = 6  # between the pet and the tail's tip
FADE_MS = 700

ANSWER = "answer"
REASONING = "reasoning"

log = logging.getLogger(__name__)

_FILL = QColor(252, 252, 254, 242)
_EDGE = QColor(0, 0, 0, 46)


def friendly_error(message: str, kind: str) -> str:
    """One short line for the owner, worded by the failure's kind (Failed.kind) and never by
    the message's text; the message is shown only where it names what to fix."""
    if kind == NO_MODEL:
        return tr("I'm not awake yet: my model is still loading. Try again in a moment.")
    if kind == CONTEXT_FULL:
        return tr("That is more than I can keep in mind at once. Could you say it shorter?")
    if kind == LOAD:
        return tr("I couldn't load my brain: {message}", message=message)
    if kind == ADAPTER:
        return tr("I couldn't find my persona's voice: {message}", message=message)
    if kind in SERVER_FRIENDLY:  # a model server's failure: what to check, not its words
        return tr(SERVER_FRIENDLY[kind])
    return tr("Oops, something went wrong while I was answering ({message}).", message=message)


class ChatBubble(BesidePet, QWidget):
    """A frameless, translucent bubble with an input line and a streaming answer.

    Attributes:
        side: "left" or "right": where the bubble opened relative to the pet.
        answering: True from `begin_answer` until the answer is complete on screen.
        render_count: how many times the answer was rendered (one per frame at most).
        narration: the last agent narration shown (`show_narration`).
        answer_view, reasoning_view: the QTextBrowsers (selectable, copyable).
        input: the QLineEdit the owner types in.
        thinking_toggle: the small "Thinking…" button that shows or hides the reasoning.

    Signals:
        on_send(str): the owner sent a message (Enter). While an answer is being written
            `on_cancel` comes first.
        on_cancel(): the owner wants the answer being written stopped (Esc, Stop, a new message).
        on_answer_complete(str): the answer is fully on screen; the finish reason.
        on_closed(): the bubble was dismissed or faded out.
        on_link_opened(QUrl): the owner clicked a link in an answer and it was opened.
        on_new_conversation(): the owner asked to start the conversation afresh ("New"; the
            chat controller asks before it forgets anything).
    """

    on_send = Signal(str)
    on_cancel = Signal()
    on_answer_complete = Signal(str)
    on_closed = Signal()
    on_link_opened = Signal(QUrl)
    on_new_conversation = Signal()

    def __init__(self, fade_seconds: int = 20, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chat-bubble")
        self.setWindowFlags(
            Qt.WindowType.Tool
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        # WORKAROUND for a Qt.Tool window on macOS hiding while another app is active
        # (https://doc.qt.io/qt-6/qt.html#WidgetAttribute-enum).
        # MAC-CHECK: an open bubble stays in view while another app is active
        self.setAttribute(Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow)
        self.setFixedWidth(WIDTH)

        self.side = "right"
        self.answering = False
        self.narration = ""
        self._narrating = False  # the answer view holds a narration, not a chat answer
        self.render_count = 0
        self._fade_seconds = fade_seconds
        self._pending = {ANSWER: "", REASONING: ""}
        self._shown = {ANSWER: "", REASONING: ""}
        self._finish_reason: str | None = None
        self._pet: QRect | None = None
        self._screen: QRect | None = None
        self._tail_y = 40

        self._build()

        self._frame = QTimer(self)
        self._frame.setObjectName("bubble-frame-timer")
        self._frame.setInterval(FRAME_MS)
        self._frame.timeout.connect(self._on_frame)

        self._fade_timer = QTimer(self)
        self._fade_timer.setObjectName("bubble-fade-timer")
        self._fade_timer.setSingleShot(True)
        self._fade_timer.timeout.connect(self.fade_out)
        self._fade = QPropertyAnimation(self, b"windowOpacity", self)
        self._fade.setObjectName("bubble-fade")
        self._fade.setDuration(FADE_MS)
        self._fade.setStartValue(1.0)
        self._fade.setEndValue(0.0)
        self._fade.setEasingCurve(QEasingCurve.Type.InQuad)
        self._fade.finished.connect(self._faded)

    # -- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setObjectName("bubble-layout")
        layout.setContentsMargins(TAIL + 12, 10, TAIL + 12, 12)
        layout.setSpacing(6)

        header = QHBoxLayout()
        header.setObjectName("bubble-header")
        self.title = QLabel("deskpet", self)
        self.title.setObjectName("bubble-title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        title_font = self.title.font()
        title_font.setBold(True)
        self.title.setFont(title_font)
        set_ink(self.title, INK)
        header.addWidget(self.title)
        header.addStretch(1)

        self.new_action = QAction(tr("New"), self)
        self.new_action.setObjectName("bubble-new-conversation")
        self.new_action.setToolTip(tr("New conversation: the pet forgets this one (asks first)"))
        self.new_action.triggered.connect(self.on_new_conversation)
        new_button = QToolButton(self)
        new_button.setObjectName("bubble-new-conversation-button")
        new_button.setDefaultAction(self.new_action)
        new_button.setAutoRaise(True)
        header.addWidget(new_button)

        self.copy_action = QAction(tr("Copy"), self)
        self.copy_action.setObjectName("bubble-copy")
        self.copy_action.setToolTip(tr("Copy the answer (or the selected part of it)"))
        self.copy_action.triggered.connect(self.copy_answer)
        self.copy_button = QToolButton(self)
        self.copy_button.setObjectName("bubble-copy-button")
        self.copy_button.setDefaultAction(self.copy_action)
        self.copy_button.setAutoRaise(True)
        header.addWidget(self.copy_button)

        self.close_action = QAction("✕", self)
        self.close_action.setObjectName("bubble-close")
        self.close_action.setToolTip(tr("Close (Esc)"))
        self.close_action.triggered.connect(self.dismiss)
        close_button = QToolButton(self)
        close_button.setObjectName("bubble-close-button")
        close_button.setDefaultAction(self.close_action)
        close_button.setAutoRaise(True)
        header.addWidget(close_button)
        layout.addLayout(header)

        self.question = QLabel(self)
        self.question.setObjectName("bubble-question")
        self.question.setWordWrap(True)
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        set_ink(self.question, DIM_INK)
        self.question.hide()
        layout.addWidget(self.question)

        self.thinking_toggle = QToolButton(self)
        self.thinking_toggle.setObjectName("bubble-thinking-toggle")
        self.thinking_toggle.setText(tr("Thinking…"))
        self.thinking_toggle.setCheckable(True)
        self.thinking_toggle.setChecked(False)
        self.thinking_toggle.setAutoRaise(True)
        self.thinking_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.thinking_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.thinking_toggle.setToolTip(tr("Show or hide what the pet thought before answering"))
        self.thinking_toggle.toggled.connect(self._on_thinking_toggled)
        set_ink(self.thinking_toggle, DIM_INK)
        self.thinking_toggle.hide()
        layout.addWidget(self.thinking_toggle)

        self.reasoning_view = text_view(self, "bubble-reasoning", DIM_INK)
        font = self.reasoning_view.font()
        font.setItalic(True)
        font.setPointSizeF(max(font.pointSizeF() - 1.0, 8.0))
        self.reasoning_view.setFont(font)
        self.reasoning_view.setMaximumHeight(MAX_REASONING_HEIGHT)
        self.reasoning_view.hide()
        layout.addWidget(self.reasoning_view)

        self.answer_view = text_view(self, "bubble-answer", INK)
        self.answer_view.anchorClicked.connect(self._on_link_clicked)
        self.answer_view.hide()
        layout.addWidget(self.answer_view)

        self.status = QLabel(self)
        self.status.setObjectName("bubble-status")
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # notes carry agents' words
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()
        layout.addWidget(self.status)

        row = QHBoxLayout()
        row.setObjectName("bubble-input-row")
        self.input = QLineEdit(self)
        self.input.setObjectName("bubble-input")
        self.input.setPlaceholderText(tr("Say something…"))
        self.input.setClearButtonEnabled(False)
        self.input.returnPressed.connect(self._on_return)
        self.input.textEdited.connect(lambda _text: self._touch())
        row.addWidget(self.input, 1)

        self.stop_action = QAction(tr("Stop"), self)
        self.stop_action.setObjectName("bubble-stop")
        self.stop_action.setToolTip(tr("Stop the answer (Esc)"))
        self.stop_action.triggered.connect(self.cancel)
        self.stop_button = QToolButton(self)
        self.stop_button.setObjectName("bubble-stop-button")
        self.stop_button.setDefaultAction(self.stop_action)
        self.stop_button.hide()
        row.addWidget(self.stop_button)
        layout.addLayout(row)

    # -- the conversation ------------------------------------------------------------------

    @property
    def answer_text(self) -> str:
        """The whole answer so far, including what the typewriter has not shown yet."""
        return self._shown[ANSWER] + self._pending[ANSWER]

    @property
    def reasoning_text(self) -> str:
        return self._shown[REASONING] + self._pending[REASONING]

    @property
    def shown_text(self) -> str:
        """The part of the answer on screen now."""
        return self._shown[ANSWER]

    def has_draft(self) -> bool:
        """Words typed and not sent yet."""
        return bool(self.input.text())

    def set_title(self, title: str) -> None:
        self.title.setText(title)

    def set_fade_seconds(self, seconds: int) -> None:
        """0 keeps the bubble until it is dismissed."""
        self._fade_seconds = seconds
        self._schedule_fade()

    def clear(self) -> None:
        """Forget the shown exchange (a new persona, a new conversation)."""
        self.begin_answer("")
        self.answering = False
        self.stop_button.hide()
        self._schedule_fade()

    def begin_answer(self, question: str) -> None:
        """A new answer is on its way: clear the old one and wait for tokens."""
        self._frame.stop()
        self._pending = {ANSWER: "", REASONING: ""}
        self._shown = {ANSWER: "", REASONING: ""}
        self._finish_reason = None
        self._narrating = False
        self.answering = True
        self.question.setText(question)
        self.question.setVisible(bool(question))
        self.answer_view.clear()
        self.answer_view.hide()
        self.reasoning_view.clear()
        self.reasoning_view.hide()
        self.thinking_toggle.setChecked(False)
        self.thinking_toggle.setText(tr("Thinking…"))
        self.thinking_toggle.hide()
        self.status.hide()
        self.stop_button.show()
        self._touch()
        self._fit()

    def add_token(self, text: str, channel: str = ANSWER) -> None:
        """Queue streamed text; the frame timer shows it."""
        if not text:
            return
        if channel == REASONING:
            self._pending[REASONING] += text
        else:
            self._pending[ANSWER] += text
        if not self._frame.isActive():
            self._frame.start()

    def finish(self, reason: str = "stop") -> None:
        """The model is done (stop, length, cancelled); the bubble completes once caught up."""
        if not self.answering:
            return
        self._finish_reason = reason
        if reason == "cancelled":
            self.flush()  # what was written stays, at once
        elif not self._frame.isActive():
            self._complete()

    def flush(self) -> None:
        """Show everything that has arrived now, without the typewriter."""
        self._on_frame(everything=True)

    def show_error(self, message: str, kind: str) -> None:
        """Show a friendly line for a failure of `kind` (see `friendly_error`) and end the
        answer in progress."""
        self.flush()
        self._frame.stop()
        self.answering = False
        self._finish_reason = None
        self.stop_button.hide()
        self._set_status(friendly_error(message, kind), ERROR_INK)
        self._schedule_fade()

    def show_note(self, text: str) -> None:
        """A dim line below the answer (loading progress, a notice)."""
        self._set_status(text, DIM_INK)

    def show_narration(
        self, text: str, pet: QRect | None = None, screen: QRect | None = None
    ) -> None:
        """Say one line about an agent ("Claude · myproject: ...") without taking focus,
        beside `pet` (or the anchor's pet window, when none is given).

        A chat in view (an answer being written or read, words being typed) keeps its place:
        the line goes under it, dim, like a note. Otherwise the bubble shows just the line.
        """
        self.narration = text
        chat = self.answering or self.input.text() or (self.answer_text and not self._narrating)
        # An answer still being written keeps its place even in a closed bubble.
        if chat and (self.isVisible() or self.answering):
            self.show_note(text)
            if self.isVisible():
                return
        else:
            self.clear()
            self._narrating = True
            self.question.hide()
            self.status.hide()
            self._shown[ANSWER] = text
            self._render_answer()
        self._fade.stop()
        self.setWindowOpacity(1.0)
        if pet is None:
            pet, screen = self._pet_rects()
        if pet is not None:
            self._fit()  # placed by its real height: a bubble never shown has Qt's default one
            self.place_beside(pet, screen)
        # The owner is working in another app: appear, but never steal the keyboard.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.show()
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, False)
        self._fit()
        self._schedule_fade()

    def cancel(self) -> None:
        if self.answering:
            self.on_cancel.emit()

    def copy_answer(self) -> None:
        """Copy the selected part of the answer, or all of it (as Markdown)."""
        cursor = self.answer_view.textCursor()
        text = cursor.selection().toPlainText() if cursor.hasSelection() else self.answer_text
        QGuiApplication.clipboard().setText(text.strip())

    def dismiss(self) -> None:
        self._fade_timer.stop()
        self._fade.stop()
        self.hide()
        self.setWindowOpacity(1.0)
        self.on_closed.emit()

    def open(self, pet: QRect | None = None, screen: QRect | None = None) -> None:
        """Show the bubble (beside `pet`, or the anchor's pet window) with the cursor in the
        input line."""
        self._fade.stop()
        self.setWindowOpacity(1.0)
        if pet is None:
            pet, screen = self._pet_rects()
        if pet is not None:
            self._fit()  # placed by its real height: a bubble never shown has Qt's default one
            self.place_beside(pet, screen)
        self.show()
        self.raise_()
        self.activateWindow()
        self.input.setFocus()
        self._touch()

    # -- the typewriter ------------------------------------------------------------------------

    def _on_frame(self, everything: bool = False) -> None:
        changed = set()
        for channel in (REASONING, ANSWER):
            pending = self._pending[channel]
            if not pending:
                continue
            # Once the answer has begun, the rest of the thinking is shown at once.
            if everything or (channel == REASONING and self._pending[ANSWER]):
                n = len(pending)
            else:
                n = max(MIN_CHARS_PER_FRAME, math.ceil(len(pending) / CATCH_UP_FRAMES))
            self._shown[channel] += pending[:n]
            self._pending[channel] = pending[n:]
            changed.add(channel)
        if REASONING in changed:
            self._render_reasoning()
        if ANSWER in changed:
            self._render_answer()
        if changed:
            self._fit()
        if not self._pending[ANSWER] and not self._pending[REASONING]:
            self._frame.stop()
            if self._finish_reason is not None:
                self._complete()

    def _render_answer(self) -> None:
        self.render_count += 1
        view = self.answer_view
        bar = view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        if self._narrating:
            view.setPlainText(self._shown[ANSWER])
        else:
            set_markdown(view.document(), self._shown[ANSWER])
        view.setVisible(True)
        if at_end:  # follow the text unless the owner scrolled up to read
            bar.setValue(bar.maximum())

    def _on_link_clicked(self, url: QUrl) -> None:
        if not may_open(url):
            log.info("a link in an answer was not opened: its scheme is %r", url.scheme())
            return
        if QDesktopServices.openUrl(url):
            self.on_link_opened.emit(url)
        else:
            log.warning("the system could not open a link from an answer")

    def _render_reasoning(self) -> None:
        self.reasoning_view.setPlainText(self._shown[REASONING])
        self.reasoning_view.moveCursor(QTextCursor.MoveOperation.End)
        self.thinking_toggle.show()
        self.reasoning_view.setVisible(self.thinking_toggle.isChecked())

    def _complete(self) -> None:
        reason = self._finish_reason or "stop"
        self._finish_reason = None
        self.answering = False
        self.stop_button.hide()
        if self._shown[REASONING]:
            self.thinking_toggle.setText(tr("Thoughts"))
        if reason == "cancelled":
            self._set_status(tr("Stopped."), DIM_INK)
        elif reason == "length":
            self._set_status(
                tr("(That's as long as my answers get: see “Longest answer”.)"), DIM_INK
            )
        self._fit()
        self._schedule_fade()
        self.on_answer_complete.emit(reason)

    def _on_thinking_toggled(self, shown: bool) -> None:
        self.thinking_toggle.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.reasoning_view.setVisible(shown and bool(self._shown[REASONING]))
        self._fit()

    def _set_status(self, text: str, ink: QColor) -> None:
        self.status.setText(text)
        set_ink(self.status, ink)
        self.status.show()
        self._fit()

    # -- size and place ------------------------------------------------------------------------

    def _fit(self) -> None:
        for view, most in (
            (self.answer_view, MAX_ANSWER_HEIGHT),
            (self.reasoning_view, MAX_REASONING_HEIGHT),
        ):
            doc = view.document()
            doc.setTextWidth(view.viewport().width() or WIDTH - 2 * (TAIL + 12))
            height = math.ceil(doc.size().height()) + 2 * view.frameWidth() + 4
            view.setFixedHeight(max(24, min(most, height)))
        self.adjustSize()
        if self._pet is not None:
            self.place_beside(self._pet, self._screen)

    def place_beside(self, pet: QRect, screen: QRect | None = None) -> None:
        """Stand beside the pet, on the side with room on its screen."""
        self._pet, self._screen = QRect(pet), QRect(screen) if screen is not None else None
        if screen is None:
            screen = screen_of(pet)
        width, height = self.width(), self.height()
        # The tail's tip stops GAP short of the pet; the bubble's own margin holds the tail.
        corner, self.side = beside(
            pet,
            screen,
            width,
            height,
            top=pet.top() + pet.height() // 3 - height // 2,
            gap=GAP,
            prefer="right",
        )
        self.move(corner)
        y = corner.y()
        tail = pet.top() + pet.height() // 3 - y
        self._tail_y = int(min(max(tail, RADIUS + 12), height - RADIUS - 12))
        self.update()

    # -- fading --------------------------------------------------------------------------------

    def _touch(self) -> None:
        """The owner is using the bubble: no fading for now."""
        self._fade_timer.stop()
        if self._fade.state() == QPropertyAnimation.State.Running:
            self._fade.stop()
            self.setWindowOpacity(1.0)
        self._schedule_fade()

    def _schedule_fade(self) -> None:
        self._fade_timer.stop()
        if self._fade_seconds > 0 and not self.answering and not self.input.text():
            self._fade_timer.start(self._fade_seconds * 1000)

    def fade_out(self) -> None:
        if self.answering or self.input.text() or self.underMouse():
            return
        if not self.isVisible():
            return
        self._fade.start()

    def _faded(self) -> None:
        if self.windowOpacity() <= 0.01:
            self.hide()
            self.setWindowOpacity(1.0)
            self.on_closed.emit()

    # -- Qt events -----------------------------------------------------------------------------

    def _on_return(self) -> None:
        text = self.input.text().strip()
        if not text:
            return
        if self.answering:
            self.on_cancel.emit()
        self.input.clear()
        self.begin_answer(text)
        self.on_send.emit(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key.Key_Escape:
            if self.answering:
                self.on_cancel.emit()
            else:
                self.dismiss()
            event.accept()
            return
        super().keyPressEvent(event)

    def enterEvent(self, event) -> None:  # noqa: N802
        self._fade_timer.stop()
        if self._fade.state() == QPropertyAnimation.State.Running:
            self._fade.stop()
            self.setWindowOpacity(1.0)
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._schedule_fade()
        super().leaveEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        body = QRectF(self.rect()).adjusted(TAIL + 0.5, 0.5, -TAIL - 0.5, -0.5)
        path = QPainterPath()
        path.addRoundedRect(body, RADIUS, RADIUS)
        tail_y = float(self._tail_y)
        if self.side == "right":  # the pet is on the left
            tip = QPolygonF(
                [
                    QPoint(int(body.left()) + 1, int(tail_y - 9)),
                    QPoint(1, int(tail_y)),
                    QPoint(int(body.left()) + 1, int(tail_y + 9)),
                ]
            )
        else:
            tip = QPolygonF(
                [
                    QPoint(int(body.right()) - 1, int(tail_y - 9)),
                    QPoint(self.width() - 1, int(tail_y)),
                    QPoint(int(body.right()) - 1, int(tail_y + 9)),
                ]
            )
        tail = QPainterPath()
        tail.addPolygon(tip)
        tail.closeSubpath()
        path = path.united(tail)
        painter.setPen(QPen(_EDGE, 1.0))
        painter.setBrush(_FILL)
        painter.drawPath(path)
