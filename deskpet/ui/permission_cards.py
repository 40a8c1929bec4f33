"""PermissionCards: the agents' permission requests and questions, as cards beside the pet.

A card shows who asks (agent · project), what is asked (the command line, the edited files,
the host, the MCP tool) and Allow, Deny and the agent's own "always allow" choices in plain
words. Several stack in one small window, newest on top; beyond MAX_SHOWN a line says how many
more wait, and beyond MAX_CARDS the oldest is dropped (its hook then simply runs out, and the
agent's own prompt decides).

Nothing decides by a key press: no button is a default button or takes focus, so Enter and
Space do nothing. A decision is a click, or `allow_top` / `deny_top` (the global shortcuts).
Everything on a card came from an agent and is plain text, never Markdown or HTML.

A question card (Claude Code's AskUserQuestion, an MCP elicitation) shows the question and its
options with "Go to terminal" only: the answer is typed where the agent runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from deskpet.bridge.events import AgentEvent
from deskpet.i18n import N_, tr
from deskpet.ui.anchor import BesidePet
from deskpet.ui.placement import beside, screen_of

log = logging.getLogger(__name__)

WIDTH = 340
GAP = 8  # between the pet and the cards
MAX_SHOWN = 3
MAX_CARDS = 8  # as many as the bridge keeps waiting

ALLOW, DENY = "allow", "deny"

_STYLE = """
QFrame#permission-card {
    background: rgba(252, 252, 254, 246);
    border: 1px solid rgba(0, 0, 0, 46);
    border-radius: 12px;
}
QLabel { color: rgb(29, 29, 31); background: transparent; }
QLabel#card-title { font-weight: 600; }
QLabel#card-note, QLabel#card-more { color: rgb(110, 110, 116); }
QLabel#card-what {
    font-family: Menlo, "DejaVu Sans Mono", monospace;
    background: rgba(0, 0, 0, 12);
    border-radius: 6px;
    padding: 4px 6px;
}
QPushButton {
    border: 1px solid rgba(0, 0, 0, 40);
    border-radius: 7px;
    padding: 4px 10px;
    background: rgb(255, 255, 255);
    color: rgb(29, 29, 31);
}
QPushButton#card-allow { background: rgb(52, 120, 246); color: white; border: none; }
QPushButton#card-deny { color: rgb(176, 40, 32); }
QPushButton#card-always, QPushButton#card-terminal { text-align: left; }
"""

_TITLES = {
    "shell": N_("{speaker} wants to run"),
    "edit": N_("{speaker} wants to edit"),
    "web": N_("{speaker} wants to reach"),
    "mcp": N_("{speaker} wants to use"),
    "question": N_("{speaker} asks you"),
    "other": N_("{speaker} asks permission for"),
}


@dataclass(frozen=True)
class Request:
    """What one card shows. `request` is "" for a question card, which decides nothing."""

    request: str
    session: str
    speaker: str  # "Claude · myproject"
    kind: str
    tool: str
    text: str
    note: str = ""
    options: tuple[str, ...] = ()
    suggestions: tuple[tuple[int, str], ...] = ()

    @classmethod
    def from_event(cls, event: AgentEvent, speaker: str) -> Request:
        ask = event.ask
        tool = event.tool.name if event.tool is not None else ""
        if ask is None:  # a notification that waits for the owner (an MCP elicitation)
            return cls("", event.session, speaker, "question", tool, event.message)
        return cls(
            request=ask.request,
            session=event.session,
            speaker=speaker,
            kind=ask.kind if ask.request or ask.kind == "question" else "question",
            tool=tool,
            text=ask.text,
            note=ask.note,
            options=ask.options,
            suggestions=ask.suggestions if ask.request else (),
        )


def _plain(text: str) -> str:
    """Text for a button: "&" would otherwise mark a shortcut letter."""
    return text.replace("&", "&&")


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(_plain(text))
    button.setObjectName(name)
    # No default button and no focus: Enter, Return and Space never decide anything.
    button.setAutoDefault(False)
    button.setDefault(False)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return button


def _label(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)  # an agent's words never become markup
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class PermissionCard(QFrame):
    """One request or question.

    Signals:
        on_decided(str): "allow", "deny" or the index of an "always allow" choice.
        on_go_to_terminal(): the owner wants the agent's terminal.
    """

    on_decided = Signal(str)
    on_go_to_terminal = Signal()

    def __init__(self, request: Request, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("permission-card")
        self.request = request
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        title = tr(_TITLES.get(request.kind, _TITLES["other"]), speaker=request.speaker)
        tool = f" ({request.tool})" if request.kind in ("other", "mcp") and request.tool else ""
        self.title = _label(f"{title}{tool}", "card-title")
        layout.addWidget(self.title)
        self.what = _label(request.text or request.tool or tr("a tool"), "card-what")
        layout.addWidget(self.what)
        if request.note:
            layout.addWidget(_label(request.note, "card-note"))
        for option in request.options:
            layout.addWidget(_label(f"• {option}", "card-note"))
        self.buttons: dict[str, QPushButton] = {}
        if request.request:
            row = QHBoxLayout()
            row.setSpacing(6)
            for decision, text in ((ALLOW, tr("Allow")), (DENY, tr("Deny"))):
                button = _button(text, f"card-{decision}")
                button.clicked.connect(lambda _=False, d=decision: self.on_decided.emit(d))
                row.addWidget(button)
                self.buttons[decision] = button
            row.addStretch(1)
            layout.addLayout(row)
            for index, words in request.suggestions:
                button = _button(words, "card-always")
                button.clicked.connect(lambda _=False, i=index: self.on_decided.emit(str(i)))
                layout.addWidget(button)
                self.buttons[str(index)] = button
        terminal = _button(tr("Go to terminal"), "card-terminal")
        terminal.clicked.connect(self.on_go_to_terminal.emit)
        layout.addWidget(terminal, 0, Qt.AlignmentFlag.AlignLeft)
        self.buttons["terminal"] = terminal

    @property
    def decides(self) -> bool:
        """Whether this card can answer for the owner (a question card cannot)."""
        return bool(self.request.request)


class PermissionCards(BesidePet, QWidget):
    """The stack of cards beside the pet; hidden while there is none.

    Attributes:
        side: "left" or "right" of the pet, wherever there is room.

    Signals:
        on_decided(str, str): request id and "allow", "deny" or an "always allow" index.
        on_go_to_terminal(str): the session whose terminal the owner wants.
        on_deciding(bool): a card with Allow and Deny came into view (True), or the last such
            card went (False): the Allow and Deny shortcuts hold their keys only meanwhile.
    """

    on_decided = Signal(str, str)
    on_go_to_terminal = Signal(str)
    on_deciding = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("permission-cards")
        self.setWindowFlags(
            Qt.WindowType.Tool
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        # MAC-CHECK: cards stay in view while another app is active
        self.setAttribute(Qt.WidgetAttribute.WA_MacAlwaysShowToolWindow)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setStyleSheet(_STYLE)
        self.setFixedWidth(WIDTH)
        self.side = "left"
        self._cards: list[PermissionCard] = []  # newest first
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._more = _label("", "card-more")
        self._more.hide()
        self._deciding = False

    # -- what shows ----------------------------------------------------------------------------

    def cards(self) -> list[PermissionCard]:
        """The cards, newest first (shown or queued)."""
        return list(self._cards)

    def show_request(self, request: Request) -> PermissionCard:
        """Put a card on top of the stack (a request already shown is not shown twice)."""
        for card in self._cards:
            if request.request and card.request.request == request.request:
                return card
            same = (card.request.session, card.request.tool, card.request.text)
            if not request.request and same == (request.session, request.tool, request.text):
                return card  # a question heard twice (its PreToolUse and PermissionRequest)
        card = PermissionCard(request)
        card.on_decided.connect(lambda decision, c=card: self._decided(c, decision))
        card.on_go_to_terminal.connect(lambda s=request.session: self.on_go_to_terminal.emit(s))
        self._cards.insert(0, card)
        for old in self._cards[MAX_CARDS:]:
            self._remove(old)
        self._relayout()
        return card

    def close_request(self, request: str) -> None:
        """The request was answered elsewhere, or its hook went away."""
        for card in [c for c in self._cards if c.request.request == request]:
            self._remove(card)
        self._relayout()

    def close_session(self, session: str, tool: str = "") -> None:
        """The session moved on: its cards (those about `tool`, when one is named) close."""
        for card in list(self._cards):
            if card.request.session != session:
                continue
            if tool and card.request.tool and card.request.tool != tool:
                continue  # another tool of the same session ran in parallel
            self._remove(card)
        self._relayout()

    def clear(self) -> None:
        for card in list(self._cards):
            self._remove(card)
        self._relayout()

    # -- deciding ------------------------------------------------------------------------------

    def allow_top(self) -> bool:
        """Allow the newest request (the Allow shortcut); False when no card can decide."""
        return self._decide_top(ALLOW)

    def deny_top(self) -> bool:
        """Deny the newest request (the Deny shortcut); False when no card can decide."""
        return self._decide_top(DENY)

    def _decide_top(self, decision: str) -> bool:
        top = next((c for c in self._cards[:MAX_SHOWN] if c.decides), None)
        if top is None:
            return False
        self._decided(top, decision)
        return True

    def _decided(self, card: PermissionCard, decision: str) -> None:
        if card not in self._cards or not card.decides:
            return
        request = card.request.request
        self._remove(card)
        self._relayout()
        self.on_decided.emit(request, decision)

    def _remove(self, card: PermissionCard) -> None:
        if card in self._cards:
            self._cards.remove(card)
        card.hide()
        card.setParent(None)
        card.deleteLater()

    # -- placing -------------------------------------------------------------------------------

    def _relayout(self) -> None:
        self._lay_out()
        deciding = any(card.decides for card in self._cards[:MAX_SHOWN])
        if deciding != self._deciding:
            self._deciding = deciding
            self.on_deciding.emit(deciding)

    def _lay_out(self) -> None:
        while self._layout.count():
            self._layout.takeAt(0)
        shown = self._cards[:MAX_SHOWN]
        for card in shown:
            card.setParent(self)
            self._layout.addWidget(card)
            card.show()
        for card in self._cards[MAX_SHOWN:]:
            card.hide()
        more = len(self._cards) - len(shown)
        self._more.setText(tr("{count} more waiting", count=more) if more else "")
        self._more.setVisible(bool(more))
        if more:
            self._more.setParent(self)
            self._layout.addWidget(self._more)
        if not self._cards:
            self.hide()
            return
        self.adjustSize()
        self.stand_beside_pet()
        if not self.isVisible():
            self.show()

    def place_beside(self, pet: QRect, screen: QRect | None = None) -> None:
        """Stand beside the pet (its body), on its screen."""
        if screen is None:
            screen = screen_of(pet)
        # Left of the pet by choice: the bubble and the sessions list open on its right.
        corner, self.side = beside(
            pet,
            screen,
            WIDTH,
            self.height(),
            top=pet.bottom() - self.height(),
            gap=GAP,
            prefer="left",
        )
        self.move(corner)
