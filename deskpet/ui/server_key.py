"""ServerKeyEditor: the model server's API key in Settings, kept in the keychain.

The key never passes through settings.yaml: the field shows dots, Save hands it to
deskpet.platform.keychain (the macOS keychain on a Mac, a 0600 file elsewhere), and the note
below says which of the two holds it. An empty field and Save forget the key. Whether a key is
saved is asked, and a key is saved, on threads of their own: on a Mac each is a `security`
run, maybe a keychain prompt, which must not hold the window.

Saves are written one at a time, and a save the owner has already replaced by a newer one is
skipped, so the key kept is always the last one saved. The field keeps what was typed until
the keychain has it: a save that fails loses nothing, the owner reads why and can save again.
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
        on_saved(bool): the key was saved (True) or forgotten (False), once the keychain has
            it; a save replaced by a newer one before it was written says nothing.
    """

    on_saved = Signal(bool)
    _checked = Signal(int, bool)  # (which asking, whether a key is saved) from its thread
    _stored = Signal(int, str, str)  # (which save, the value, why it failed or "") from its thread

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
        self._saving = 0  # the last save asked for; older ones are not written
        self._write_lock = threading.Lock()  # one keychain write at a time
        self._checked.connect(self._answered)
        self._stored.connect(self._on_stored)
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
        """Hand the field's key (empty: forget it) to the keychain on a thread of its own."""
        value = self.field.text().strip()
        self._saving += 1
        self._asking += 1  # a read still under way would answer for the key from before
        self._say(tr("Saving the key…"))
        threading.Thread(
            target=self._store, args=(self._saving, value), name="deskpet-key-save", daemon=True
        ).start()

    def _store(self, saving: int, value: str) -> None:
        with self._write_lock:
            if saving != self._saving:  # the owner saved again meanwhile: that one is written
                return
            try:
                self._keychain.set(SERVER_KEY, value)
                why = ""
            except Exception as e:  # a KeychainError, or a store that broke; never the key
                why = str(e) if isinstance(e, KeychainError) else type(e).__name__
                log.warning("the server API key could not be saved: %s", why)
        try:
            self._stored.emit(saving, value, why)
        except RuntimeError:  # the window closed meanwhile
            pass

    def _on_stored(self, saving: int, value: str, why: str) -> None:
        if saving != self._saving:  # a newer save is on its way: it says what happened
            return
        if why:  # the field still holds the key: nothing is lost, the owner can save again
            self._say(tr("Not saved: {why}", why=why))
            return
        if self.field.text().strip() == value:
            self.field.clear()
        self._show_held(bool(value))
        self._say_where()
        self.on_saved.emit(bool(value))

    def _say(self, text: str) -> None:
        self.note.setText(text)
