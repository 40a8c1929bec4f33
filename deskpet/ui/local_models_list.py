"""LocalModelsPanel: the models already on this computer (Hugging Face cache, LM Studio, Ollama)
as a list the owner picks from, shared by onboarding and the settings window.

Looking reads folders and GGUF headers, which on a big disk or a slow network mount takes
time: it runs on a plain thread that hands its list back through a queue, and a timer owned by
the panel collects it. Nothing crosses threads but the finished list, and a panel closed
meanwhile simply never collects it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deskpet.i18n import N_, shown, tr
from deskpet.inference.local_models import LocalModel, find_local_models, human_size

log = logging.getLogger(__name__)

COLUMNS = (N_("Model"), N_("From"), N_("Size"), N_("Format"), "deskpet")
POLL_MS = 100


class LocalModelsPanel(QWidget):
    """A "Look for models" button, the list found, and "Use this model".

    Attributes:
        tree: the list (objectName "local-models"); one row per LocalModel, in `models`.
        status: one line: looking, what was found, or nothing found.
        use_button: enabled while a model deskpet can run is selected.

    Signals:
        on_model_picked(str): the owner chose this model's path (a folder, .gguf or Ollama blob).
        on_listed(int): a look finished with this many models listed.
    """

    on_model_picked = Signal(str)
    on_listed = Signal(int)

    def __init__(
        self,
        finder: Callable[[], list[LocalModel]] = find_local_models,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("local-models-panel")
        self._finder = finder
        self._answers: queue.SimpleQueue = queue.SimpleQueue()
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._collect)
        self.models: list[LocalModel] = []

        self.look_button = QPushButton(tr("Look for models on this computer"))
        self.look_button.setObjectName("find-local-models")
        self.look_button.setToolTip(tr("The Hugging Face cache, LM Studio's and Ollama's models"))
        self.look_button.clicked.connect(self.look)
        self.status = QLabel("")
        self.status.setObjectName("local-models-status")
        self.status.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("local-models")
        self.tree.setHeaderLabels([tr(column) for column in COLUMNS])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.itemDoubleClicked.connect(lambda _item, _col: self._use())
        self.tree.setMinimumHeight(110)
        self.tree.hide()
        self.use_button = QPushButton(tr("Use this model"))
        self.use_button.setObjectName("use-local-model")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._use)
        self.use_button.hide()

        row = QHBoxLayout()
        row.addWidget(self.look_button)
        row.addWidget(self.status, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(self.tree)
        column.addWidget(self.use_button, 0, Qt.AlignmentFlag.AlignRight)

    def look(self) -> None:
        """Start looking (off the GUI thread); on_listed says when the list is in."""
        if self._poll.isActive():
            return
        self.look_button.setEnabled(False)
        self.status.setText(tr("Looking…"))
        threading.Thread(target=self._find, args=(self._finder, self._answers), daemon=True).start()
        self._poll.start()

    @staticmethod
    def _find(finder: Callable[[], list[LocalModel]], answers: queue.SimpleQueue) -> None:
        # Runs on its own thread: touches no widget, only the queue.
        try:
            answers.put(finder())
        except Exception as e:  # the list is a convenience: a failure is a line, not a crash
            log.warning("looking for local models failed: %s", type(e).__name__)
            answers.put(e)

    def _collect(self) -> None:
        try:
            found = self._answers.get_nowait()
        except queue.Empty:
            return
        self._poll.stop()
        self.look_button.setEnabled(True)
        self.look_button.setText(tr("Look again"))
        if isinstance(found, Exception):
            self.show_models([])
            self.status.setText(
                tr("deskpet could not look through the model folders (see the log).")
            )
        else:
            self.show_models(found)
        self.on_listed.emit(len(self.models))

    def show_models(self, models: list[LocalModel]) -> None:
        self.models = list(models)
        self.tree.clear()
        for model in self.models:
            verdict = (
                tr("can run") if model.runnable else tr("cannot run: {why}", why=model.problem)
            )
            item = QTreeWidgetItem(
                [model.name, model.where, human_size(model.size), shown(model.format), verdict]
            )
            item.setToolTip(0, str(model.path))
            item.setToolTip(4, verdict)
            if not model.runnable:
                item.setForeground(4, self.palette().placeholderText())
            self.tree.addTopLevelItem(item)
        for col in range(len(COLUMNS) - 1):
            self.tree.resizeColumnToContents(col)
        runnable = sum(m.runnable for m in self.models)
        if self.models:
            self.status.setText(
                tr(
                    "Found {count}; deskpet can run {runnable}.",
                    count=len(self.models),
                    runnable=runnable,
                )
            )
        else:
            self.status.setText(
                tr("No models found in the Hugging Face cache, LM Studio or Ollama.")
            )
        self.tree.setVisible(bool(self.models))
        self.use_button.setVisible(bool(self.models))
        self._selection_changed()

    def select(self, name: str) -> None:
        """Select the row of the model named `name` (tests, and a keyboard-free path)."""
        for i, model in enumerate(self.models):
            if model.name == name:
                self.tree.setCurrentItem(self.tree.topLevelItem(i))
                return

    def _selected(self) -> LocalModel | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        return self.models[self.tree.indexOfTopLevelItem(items[0])]

    def _selection_changed(self) -> None:
        model = self._selected()
        self.use_button.setEnabled(model is not None and model.runnable)

    def _use(self) -> None:
        model = self._selected()
        if model is not None and model.runnable:
            self.on_model_picked.emit(str(model.path))
