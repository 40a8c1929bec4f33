"""ServerKeyEditor: the model server's API key in Settings, kept in the keychain.

The key never passes through settings.yaml: the field shows dots, Save hands it to
deskpet.platform.keychain (the macOS keychain on a Mac, a 0600 file elsewhere), and the note
below says which of the two holds it. An empty field and Save forget the key.
"""

from __future__ import annotations

import logging

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
        self.refresh()

    def refresh(self) -> None:
        try:
            held = self._keychain.get(SERVER_KEY) is not None
        except KeychainError as e:
            log.warning("the server API key could not be read: %s", e)
            held = False
        self.field.clear()
        self.field.setPlaceholderText(
            tr("saved (type a new one to replace it)") if held else tr("none")
        )
        self._say(tr("Kept in {where}; deskpet reads it at start.", where=tr(self._keychain.where)))

    def save(self) -> None:
        value = self.field.text().strip()
        try:
            self._keychain.set(SERVER_KEY, value)
        except KeychainError as e:
            log.warning("the server API key could not be saved: %s", e)
            self._say(tr("Not saved: {why}", why=e))
            return
        self.refresh()
        self.on_saved.emit(bool(value))

    def _say(self, text: str) -> None:
        self.note.setText(text)
