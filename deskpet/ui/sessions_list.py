"""SessionsList: the live agent sessions at a glance, in a small list beside the pet.

A single click on the pet opens it: one row per session the owner sits at (agent, project, what
it is doing and for how long) with a "Go to terminal" button. It never takes the keyboard, and
closes on a click anywhere else in deskpet, on a second click on the pet, or after a few seconds
without the mouse over it (a click in another app cannot be seen without asking macOS for more
rights, so the timeout closes it then). The tray menu shows the same rows (`row_texts`).

Every word in it comes from an agent or a project folder: all of it is plain text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from deskpet.bridge.agents import long_name
from deskpet.bridge.sessions import (
    DONE,
    ERROR,
    IDLE,
    PERMISSION,
    THINKING,
    WAITING,
    WORKING,
    SessionView,
)
from deskpet.i18n import N_, tr
from deskpet.ui.anchor import BesidePet
from deskpet.ui.placement import beside, screen_of

log = logging.getLogger(__name__)

LINGER_MS = 4000  # unhovered this long, the list closes
REFRESH_MS = 1000  # the times in each row count up while it shows
MAX_ROWS = 8  # more sessions than this: a "+ N more" line
WIDTH = 380
GAP = 6  # between the pet and the list
RADIUS = 12.0
TOOL_CHARS = 24
PROJECT_CHARS = 24
EMPTY_TEXT = N_("No agent sessions right now")

STATE_WORDS = {
    PERMISSION: N_("needs you"),
    WAITING: N_("needs you"),
    ERROR: N_("error"),
    WORKING: N_("working"),
    THINKING: N_("thinking"),
    DONE: N_("done"),
    IDLE: N_("idle"),
}

_INK = QColor(29, 29, 31)
_DIM_INK = QColor(110, 110, 116)
_URGENT_INK = QColor(176, 40, 32)
_FILL = QColor(252, 252, 254, 245)
_EDGE = QColor(0, 0, 0, 46)

SessionSource = Callable[[], list[SessionView]]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def elapsed(seconds: float) -> str:
    """ "8 s", "3 min", "2 h 5 min": how long, as a glance wants it."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return tr("{n} s", n=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return tr("{n} min", n=minutes)
    hours, minutes = divmod(minutes, 60)
    if minutes:
        return tr("{h} h {m} min", h=hours, m=minutes)
    return tr("{n} h", n=hours)


def state_text(view: SessionView) -> str:
    """ "working: Bash", "needs you", "thinking": the state in the owner's words."""
    words = tr(STATE_WORDS[view.state]) if view.state in STATE_WORDS else view.state
    if view.tool and view.state in (WORKING, PERMISSION):
        return tr("{state}: {tool}", state=words, tool=_cut(view.tool, TOOL_CHARS))
    return words


def row_texts(view: SessionView) -> tuple[str, str]:
    """(who: "Claude Code · myproject", what: "working: Bash · 12 s") for one session."""
    who = long_name(view.agent)
    if view.project:
        who = f"{who} · {_cut(view.project, PROJECT_CHARS)}"
    return who, f"{state_text(view)} · {elapsed(view.seconds)}"


class SessionsList(BesidePet, QWidget):
    """A frameless list of the live sessions beside the pet; plain text only.

    Attributes:
        rows: the row frames shown, in order (each holds a title, a state line and a button).
        sessions: the SessionViews the rows show.
        linger_ms: how long the list stays without the mouse over it.

    Signals:
        on_go_to_terminal(str): the owner asked for a session's terminal (its session id).
        on_closed(): the list closed (click elsewhere, second click on the pet, timeout).
    """

    on_go_to_terminal = Signal(str)
    on_closed = Signal()

    def __init__(
        self,
        source: SessionSource,
        linger_ms: int = LINGER_MS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sessions-list")
        self.setWindowFlags(
            Qt.WindowType.Tool
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowDoesNotAcceptFocus
        )
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        # The owner is working in another app: show beside the pet, never take the keyboard.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        # WORKAROUND for a Qt.Tool window on macOS hiding while another app is active.
        # MAC-CHECK: the sessions list stays in view beside the pet while another app is active
        self.setAttribute(Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow)
        self.setFixedWidth(WIDTH)

        self._source = source
        self.linger_ms = linger_ms
        self.rows: list[QFrame] = []
        self.sessions: list[SessionView] = []
        self._filtering = False

        self._layout = QVBoxLayout(self)
        self._layout.setObjectName("sessions-layout")
        self._layout.setContentsMargins(12, 10, 12, 10)
        self._layout.setSpacing(6)
        self.empty = _label(self, "sessions-empty", tr(EMPTY_TEXT), _DIM_INK)
        self._layout.addWidget(self.empty)
        self.more = _label(self, "sessions-more", "", _DIM_INK)
        self._layout.addWidget(self.more)

        self._linger = QTimer(self)
        self._linger.setObjectName("sessions-linger")
        self._linger.setSingleShot(True)
        self._linger.timeout.connect(self._on_linger)
        self._refresh = QTimer(self)
        self._refresh.setObjectName("sessions-refresh")
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self.refresh)

    # -- where it stands -------------------------------------------------------------------------

    # anchor_to (BesidePet): a press on the pet window is the pet's click, not "elsewhere".

    def place_beside(self, pet: QRect, screen: QRect | None = None) -> None:
        """Stand beside the pet (its body), on its screen."""
        if screen is None:
            screen = screen_of(pet)
        height = self.height()
        corner, _side = beside(
            pet,
            screen,
            self.width(),
            height,
            top=pet.top() + pet.height() // 3 - height // 2,
            gap=GAP,
            prefer="right",
        )
        self.move(corner)

    # -- opening and closing ---------------------------------------------------------------------

    def toggle(self) -> None:
        """The pet was clicked: open the list, or close it when it is open."""
        if self.isVisible():
            self.close_list()
        else:
            self.open()

    def open(self) -> None:
        """Show the sessions as they are now, beside the pet, without taking the keyboard."""
        self.refresh()
        self.adjustSize()
        self.stand_beside_pet()
        self.show()
        self.raise_()
        self._refresh.start()
        self._linger.start(self.linger_ms)
        if not self._filtering:
            QApplication.instance().installEventFilter(self)
            self._filtering = True

    def close_list(self) -> None:
        if not self.isVisible():
            return
        self.hide()
        self.on_closed.emit()

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self._linger.stop()
        self._refresh.stop()
        if self._filtering:
            QApplication.instance().removeEventFilter(self)
            self._filtering = False
        super().hideEvent(event)

    def _on_linger(self) -> None:
        if self.underMouse():
            self._linger.start(self.linger_ms)
        else:
            self.close_list()

    def enterEvent(self, event) -> None:  # noqa: N802
        self._linger.stop()
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self.isVisible():
            self._linger.start(self.linger_ms)
        super().leaveEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """A press anywhere in deskpet outside the list (and the pet) closes it."""
        if event.type() == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            point = event.globalPosition().toPoint()
            inside = self.frameGeometry().contains(point)
            on_pet = self._anchor is not None and self._anchor.frameGeometry().contains(point)
            if not inside and not on_pet:
                self.close_list()
        return False

    # -- the rows --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the sessions again; rows are rebuilt only when the sessions themselves change,
        so a button under the mouse stays put while the times count up."""
        try:
            sessions = list(self._source())
        except Exception as exc:  # the list must open even if the tracker misbehaves
            log.warning("cannot list the agent sessions: %s", exc)
            sessions = []
        shown = sessions[:MAX_ROWS]
        keys = [(s.agent, s.session) for s in shown]
        if keys != [(s.agent, s.session) for s in self.sessions[:MAX_ROWS]] or not self.rows:
            self._rebuild(len(shown))
        self.sessions = sessions
        for row, view in zip(self.rows, shown, strict=True):
            who, what = row_texts(view)
            row.findChild(QLabel, "session-who").setText(who)
            state = row.findChild(QLabel, "session-state")
            state.setText(what)
            _set_ink(state, _URGENT_INK if view.state in (PERMISSION, WAITING) else _DIM_INK)
            row.findChild(QPushButton, "go-to-terminal").setProperty("session", view.session)
        self.empty.setVisible(not sessions)
        hidden = len(sessions) - len(shown)
        self.more.setText(tr("+ {count} more", count=hidden) if hidden else "")
        self.more.setVisible(hidden > 0)
        if self.isVisible():
            self.adjustSize()

    def _rebuild(self, count: int) -> None:
        for row in self.rows:
            self._layout.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for i in range(count):
            row = QFrame(self)
            row.setObjectName(f"session-row-{i}")
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 2, 0, 2)
            words = QVBoxLayout()
            words.setSpacing(1)
            who = _label(row, "session-who", "", _INK)
            font = who.font()
            font.setBold(True)
            who.setFont(font)
            words.addWidget(who)
            words.addWidget(_label(row, "session-state", "", _DIM_INK))
            line.addLayout(words, 1)
            button = QPushButton(tr("Go to terminal"), row)
            button.setObjectName("go-to-terminal")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            # MAC-CHECK: one click on Go to terminal works while another app is in front
            button.clicked.connect(lambda _checked=False, b=button: self._go(b))
            line.addWidget(button)
            self._layout.insertWidget(self._layout.indexOf(self.empty), row)
            self.rows.append(row)

    def _go(self, button: QPushButton) -> None:
        session = button.property("session")
        if isinstance(session, str) and session:
            self.close_list()
            self.on_go_to_terminal.emit(session)

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        path = QPainterPath()
        path.addRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), RADIUS, RADIUS)
        painter.setPen(QPen(_EDGE, 1.0))
        painter.setBrush(_FILL)
        painter.drawPath(path)


def _label(parent: QWidget, name: str, text: str, ink: QColor) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # agent and folder names are never markup
    _set_ink(label, ink)
    return label


def _set_ink(widget: QWidget, ink: QColor) -> None:
    palette = widget.palette()
    palette.setColor(widget.foregroundRole(), ink)
    widget.setPalette(palette)
