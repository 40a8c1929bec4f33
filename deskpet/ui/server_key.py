"""ServerKeyEditor: the model server's API key in Settings, kept in the keychain.

The key never passes through settings.yaml: the field shows dots, Save hands it to
deskpet.platform.keychain (the macOS keychain on a Mac, a 0600 file elsewhere), and the note
below says which of the two holds it. An empty field and Save forget the key. Whether a key is
saved is asked on a thread of its own: on a Mac that is a `security` run, maybe a keychain
prompt, which must not hold the window.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from deskpet.i18n import tr
from deskpet.platform.keychain import SERVER_KEY, KeychainError, get_keychain

log = logging.getLogger(__name__)


class ServerKeyEditor(QWidget):
    """A password field and its Save button.

    Signals:
        on_saved(bool): the key was saved (True) or forgotten (False).
    """

    on_saved = Signal(bool)
    _checked = Signal(int, bool)  # (which asking, whether a key is saved) from its thread

    def __init__(self, keychain=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("server-key")
        self._keychain = keychain or get_keychain()
        self.field = QLineEdit()
        self.field.setObjectName("server-key-field")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setMaximumWidth(260)
        self.save_button = QPushButton(tr("Save key"))
        self.save_button.setObjectName("server-key-save")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.field.returnPressed.connect(self.save)
        self.note = QLabel()
        self.note.setObjectName("server-key-note")
        self.note.setWordWrap(True)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.field)
        row.addWidget(self.save_button)
        row.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.note)
        self._asking = 0  # an answer from before the last save or refresh is stale
        self._checked.connect(self._answered)
        self.refresh()

    def refresh(self) -> None:
        """Ask the keychain, off this thread, whether a key is saved; the field says so."""
        self.field.clear()
        self.field.setPlaceholderText("")
        self._asking += 1
        threading.Thread(
            target=self._ask, args=(self._asking,), name="deskpet-key-check", daemon=True
        ).start()
        self._say_where()

    def _ask(self, asking: int) -> None:
        try:
            held = self._keychain.get(SERVER_KEY) is not None
        except Exception as e:  # a KeychainError, or a store that broke: said as "none"
            why = str(e) if isinstance(e, KeychainError) else type(e).__name__
            log.warning("the server API key could not be read: %s", why)
            held = False
        try:
            self._checked.emit(asking, held)
        except RuntimeError:  # the window closed meanwhile
            pass

    def _answered(self, asking: int, held: bool) -> None:
        if asking == self._asking:
            self._show_held(held)

    def _show_held(self, held: bool) -> None:
        self.field.setPlaceholderText(
            tr("saved (type a new one to replace it)") if held else tr("none")
        )

    def _say_where(self) -> None:
        self._say(
            tr("Kept in {where}; saving it reconnects the pet.", where=tr(self._keychain.where))
        )

    def save(self) -> None:
        value = self.field.text().strip()
        try:
            self._keychain.set(SERVER_KEY, value)
        except KeychainError as e:
            log.warning("the server API key could not be saved: %s", e)
            self._say(tr("Not saved: {why}", why=e))
            return
        self._asking += 1
        self.field.clear()
        self._show_held(bool(value))
        self._say_where()
        self.on_saved.emit(bool(value))

    def _say(self, text: str) -> None:
        self.note.setText(text)
