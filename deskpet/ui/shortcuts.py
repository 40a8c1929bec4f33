"""ShortcutsController: the owner's shortcuts as the running pet keeps them.

    settings (shortcut_chat, shortcut_allow, shortcut_deny) ──▶ the platform's HotKeys
    a press ──▶ open or close the chat; Allow or Deny the permission card on top

Allow and Deny are registered only while a permission card shows, so they never take those
keys from another app otherwise. A shortcut the system refuses at start is said once; one
refused in Settings is refused there (the `checks` the settings window asks before saving),
and the old one stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from deskpet.i18n import shown, tr
from deskpet.platform import DefaultPlatform
from deskpet.platform.hotkeys import HotKeys
from deskpet.settings import Settings

log = logging.getLogger(__name__)

CHAT, ALLOW, DENY = "chat", "allow", "deny"
NAMES = (CHAT, ALLOW, DENY)
CARD_KEYS = (ALLOW, DENY)  # active only while a permission card shows


def setting_key(name: str) -> str:
    return f"shortcut_{name}"


class Cards(Protocol):
    """What the shortcuts need of the permission cards."""

    def allow_top(self) -> None: ...

    def deny_top(self) -> None: ...


class ShortcutsController(QObject):
    """Binds the owner's shortcuts and acts on them.

    Attributes:
        hot_keys: the platform's HotKeys (system-wide on a Mac, app-wide elsewhere).
        cards: the permission cards Allow and Deny act on (None until the app sets them).

    Signals:
        on_toggle_chat(): the chat shortcut was pressed.
        on_notice(str, str): a shortcut could not be registered at start (title, text).
    """

    on_toggle_chat = Signal()
    on_notice = Signal(str, str)

    def __init__(
        self,
        settings: Settings,
        platform: DefaultPlatform,
        chat_action: QAction | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("shortcuts-controller")
        self._settings = settings
        self.cards: Cards | None = None
        self.hot_keys: HotKeys = platform.hot_keys(self)
        if chat_action is not None:
            self.hot_keys.adopt(CHAT, chat_action)
        self.hot_keys.on_pressed.connect(self._pressed)

    def start(self) -> None:
        """Bind every shortcut from the settings; a refused one is said once."""
        refused = []
        for name in NAMES:
            error = self.hot_keys.bind(
                name, self._settings.get(setting_key(name)), active=name not in CARD_KEYS
            )
            if error:
                refused.append(error)
        if refused:
            log.warning("shortcuts refused: %s", "; ".join(refused))
            self.on_notice.emit(tr("deskpet shortcuts"), "\n".join(map(shown, refused)))

    def close(self) -> None:
        self.hot_keys.close()

    def attach(self, window: QWidget) -> None:
        """Let Allow and Deny fire from `window` where shortcuts are app-wide (the chat's
        action is the tray's, which the app already adds to its windows)."""
        for name in CARD_KEYS:
            window.addAction(self.hot_keys.action(name))

    def checks(self) -> dict[str, Callable[[str], str]]:
        """{setting key: check} for the settings window: a chord is bound before it is saved,
        and a refusal says why instead."""
        return {
            setting_key(name): (
                lambda keys, n=name: self.hot_keys.bind(n, keys, active=self._wanted(n))
            )
            for name in NAMES
        }

    def cards_showing(self, showing: bool) -> None:
        """A permission card appeared (True) or the last one went (False)."""
        for name in CARD_KEYS:
            error = self.hot_keys.set_active(name, showing)
            if error:
                log.warning("the %s shortcut is not available: %s", name, error)

    def _wanted(self, name: str) -> bool:
        return name not in CARD_KEYS or self.hot_keys.active(name)

    def _pressed(self, name: str) -> None:
        if name == CHAT:
            self.on_toggle_chat.emit()
        elif self.cards is not None and self.hot_keys.active(name):
            if name == ALLOW:
                self.cards.allow_top()
            else:
                self.cards.deny_top()
