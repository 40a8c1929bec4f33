"""ServerChoice: onboarding's "Use a model server" panel.

It looks for the usual servers on this computer (deskpet.inference.server_discovery, on a
thread of its own so the window never waits) and offers each one found as a button; an
address and a model name can also be typed (a server on another machine: vLLM or SGLang with a
bigger model). An API key, when the server needs one, is set in Settings afterwards.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from deskpet.i18n import tr
from deskpet.inference.server_discovery import FoundServer, discover


class ServerChoice(QWidget):
    """Find, pick or type a model server.

    Attributes:
        found: the servers the last search found.
        buttons: one per server found (objectName "server-<port>").

    Signals:
        on_chosen(str, str): use this server (its address) and model ("": the first it lists).
        on_found(object): the search ended (a list of FoundServer); emitted from the search's
            thread, delivered on the GUI thread.
    """

    on_chosen = Signal(str, str)
    on_found = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("server-choice")
        self.found: list[FoundServer] = []
        self.buttons: list[QPushButton] = []
        self.status = QLabel("")
        self.status.setObjectName("server-search-status")
        self.status.setWordWrap(True)
        self._list = QVBoxLayout()
        self.url = QLineEdit(objectName="server-url")
        self.url.setPlaceholderText("http://host:port")
        self.model = QLineEdit(objectName="server-model")
        self.model.setPlaceholderText(tr("model (empty: the first it serves)"))
        connect = QPushButton(tr("Connect"), objectName="server-connect")
        connect.setAutoDefault(False)
        connect.clicked.connect(self._typed)
        typed = QHBoxLayout()
        typed.addWidget(self.url, 2)
        typed.addWidget(self.model, 2)
        typed.addWidget(connect)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.status)
        column.addLayout(self._list)
        column.addLayout(typed)
        self.on_found.connect(self._show_found, Qt.ConnectionType.QueuedConnection)
        self._searching = False

    def search(self) -> None:
        """Ask the usual ports, off the GUI thread; `on_found` brings the answer back."""
        if self._searching:
            return
        self._searching = True
        self.status.setText(tr("Looking for model servers on this computer…"))
        threading.Thread(
            target=lambda: self.on_found.emit(discover()), name="deskpet-discover", daemon=True
        ).start()

    def _show_found(self, found: list[FoundServer]) -> None:
        self._searching = False
        self.found = found
        for button in self.buttons:
            button.deleteLater()
        self.buttons = []
        for server in found:
            model = server.models[0] if server.models else ""
            text = (
                tr("{kind} at {url} ({model})", kind=server.kind, url=server.url, model=model)
                if model
                else tr("{kind} at {url}", kind=server.kind, url=server.url)
            )
            button = QPushButton(text, objectName=f"server-{server.url.rsplit(':', 1)[-1]}")
            button.setAutoDefault(False)
            button.clicked.connect(lambda _c=False, u=server.url, m=model: self._choose(u, m))
            self._list.addWidget(button)
            self.buttons.append(button)
        if found:
            self.status.setText(tr("Found on this computer:"))
            self.url.setText(found[0].url)
        else:
            self.status.setText(
                tr(
                    "No model server answers on the usual ports (llama.cpp 8080, Ollama 11434, "
                    "LM Studio 1234, vLLM 8000, SGLang 30000). Type its address:"
                )
            )

    def _choose(self, url: str, model: str) -> None:
        self.on_chosen.emit(url, model)

    def _typed(self) -> None:
        url = self.url.text().strip()
        if url:
            self.on_chosen.emit(url, self.model.text().strip())
