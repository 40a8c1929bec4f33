"""OnboardingWindow: the first-launch window. It looks at the machine, says plainly what it
found, and offers the ways to get a model: download MiniCPM5-1B (recommended), use a model
already on this Mac (checked with the loader before it is accepted), start with the demo, or
use a model server (deskpet.ui.server_choice finds the ones running here).
Then it shows the download's progress, and the pet waking up while the model warms.

The window only shows and asks; deskpet.ui.first_run drives it, the download and the loading.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from deskpet import paths
from deskpet.i18n import tr
from deskpet.ui.local_models_list import LocalModelsPanel
from deskpet.ui.server_choice import ServerChoice

RECOMMENDED_MODEL = "MiniCPM5-1B"
RECOMMENDED_BYTES = 608 * 1000**2  # the 4-bit MLX download, about 608 MB
RECOMMENDED_MEMORY = 8 * 1024**3  # below this the Mac swaps while the model answers

ERROR_STYLE = "color: #c0392b;"
NOTE_STYLE = "color: palette(placeholder-text);"


@dataclass(frozen=True)
class MachineFacts:
    """What onboarding needs to know about this computer (None: could not tell)."""

    system: str  # sys.platform
    machine: str  # platform.machine()
    macos: str  # "14.5", or "" off macOS
    memory: int | None  # bytes of RAM
    free_disk: int | None  # bytes free where models are stored

    @property
    def apple_silicon(self) -> bool:
        return self.system == "darwin" and self.machine == "arm64"


def _existing(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def gather_facts() -> MachineFacts:
    try:
        memory: int | None = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        memory = None
    try:
        free: int | None = shutil.disk_usage(_existing(paths.models_dir())).free
    except OSError:
        free = None
    macos = platform.mac_ver()[0] if sys.platform == "darwin" else ""
    return MachineFacts(sys.platform, platform.machine(), macos, memory, free)


def _size(n: int) -> str:
    if n >= 1000**3:
        return f"{n / 1000**3:.1f} GB"
    return f"{n / 1000**2:.0f} MB"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return tr("{n} s", n=f"{max(5, round(seconds / 5) * 5):.0f}")
    return tr("{n} min", n=f"{round(seconds / 60):.0f}")


def progress_line(done: int, total: int, speed: float | None) -> str:
    """ "312 MB of 608 MB · 4.2 MB/s · about 1 min left" (speed in bytes a second)."""
    if speed and speed > 0 and done < total:
        return tr(
            "{done} of {total} · {speed} MB/s · about {left} left",
            done=_size(done),
            total=_size(total),
            speed=f"{speed / 1000**2:.1f}",
            left=_duration((total - done) / speed),
        )
    return tr("{done} of {total}", done=_size(done), total=_size(total))


def describe(facts: MachineFacts) -> list[tuple[bool, str]]:
    """Plain sentences about the machine, each with whether it is good news."""
    lines = []
    if facts.apple_silicon:
        lines.append(
            (
                True,
                tr(
                    "An Apple Silicon Mac with macOS {version}: models run on its GPU.",
                    version=facts.macos or tr("(unknown version)"),
                ),
            )
        )
    else:
        where = tr("{system} on {machine}", system=facts.system, machine=facts.machine)
        lines.append(
            (
                False,
                tr(
                    "Not an Apple Silicon Mac ({where}): models run on the processor,"
                    " slowly. The demo model is the quick way to try deskpet here.",
                    where=where,
                ),
            )
        )
    if facts.memory is None:
        lines.append((True, tr("Could not tell how much memory this computer has.")))
    elif facts.memory >= RECOMMENDED_MEMORY:
        lines.append(
            (
                True,
                tr(
                    "{gb} GB of memory: plenty for {model}.",
                    gb=f"{facts.memory / 1024**3:.0f}",
                    model=RECOMMENDED_MODEL,
                ),
            )
        )
    else:
        lines.append(
            (
                False,
                tr(
                    "Only {gb} GB of memory: {model} will work but may slow other apps.",
                    gb=f"{facts.memory / 1024**3:.0f}",
                    model=RECOMMENDED_MODEL,
                ),
            )
        )
    if facts.free_disk is None:
        lines.append((True, tr("Could not tell how much disk space is free.")))
    elif facts.free_disk >= 2 * RECOMMENDED_BYTES:
        lines.append(
            (
                True,
                tr(
                    "{free} free on disk: enough for the {size} download.",
                    free=_size(facts.free_disk),
                    size=_size(RECOMMENDED_BYTES),
                ),
            )
        )
    else:
        lines.append(
            (
                False,
                tr(
                    "Only {free} free on disk; the download needs {size} and room to spare.",
                    free=_size(facts.free_disk),
                    size=_size(RECOMMENDED_BYTES),
                ),
            )
        )
    return lines


class OnboardingWindow(QWidget):
    """The first-launch window (see the module docstring): three pages in one window.

    `page` is "choose" (the machine checks and the three choices), "download" (a progress bar
    and Stop) or "waking" (the model loads and warms up).

    Attributes:
        facts: the MachineFacts shown.
        checks: the label listing what was found.
        local_models: the models already on this computer (LocalModelsPanel); picking one
            checks it like a chosen folder or file.
        error: the red line under the choices (a refused model, a failed download).
        download_button: the recommended choice; its text says when bytes are already here.
        progress: the download's progress bar (per mille of the bytes).
        progress_text: "312 MB of 608 MB · 4.2 MB/s · about 1 min left".
        waking_text: what the model is doing while the pet wakes.

    Signals:
        on_download_chosen(): download the recommended model (or resume, or use the copy here).
        on_model_chosen(str): use this local model (folder, .gguf or Ollama blob), already
            checked.
        on_demo_chosen(): start with the built-in demo model.
        on_download_stopped(): Stop was pressed during the download.
        on_model_checked(str, str): a local model was checked: its path and "" or the reason
            it was refused.
        on_server_chosen(str, str): use this model server (address, model name or "").

    A local model is checked by `checker(path)`, which must call `model_checked(path,
    reason)` when done. The app's checker asks the inference worker: reading a large model
    takes seconds, and MLX arrays belong on that thread.
    """

    on_download_chosen = Signal()
    on_model_chosen = Signal(str)
    on_demo_chosen = Signal()
    on_download_stopped = Signal()
    on_model_checked = Signal(str, str)
    on_server_chosen = Signal(str, str)

    def __init__(
        self,
        facts: MachineFacts | None,
        checker: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("onboarding-window")
        self.setWindowTitle(tr("Welcome to deskpet"))
        self.facts = facts or gather_facts()
        self._checker = checker
        self._speed_from: tuple[float, int] | None = None
        self._checking = ""

        self.pages = QStackedWidget()
        self.pages.addWidget(self._choose_page())
        self.pages.addWidget(self._download_page())
        self.pages.addWidget(self._waking_page())

        column = QVBoxLayout(self)
        column.setContentsMargins(28, 24, 28, 24)
        column.addWidget(self.pages)
        self.resize(600, 560)
        self.local_models.look()

    # -- the pages -------------------------------------------------------------------------------

    def _title(self, text: str, name: str) -> QLabel:
        title = QLabel(text)
        title.setObjectName(name)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() + 5)
        font.setBold(True)
        title.setFont(font)
        return title

    def _choose_page(self) -> QWidget:
        page = QWidget(objectName="page-choose")
        self.checks = QLabel(self._checks_html())
        self.checks.setObjectName("onboarding-checks")
        self.checks.setWordWrap(True)
        self.checks.setTextFormat(Qt.TextFormat.RichText)

        ask = QLabel(tr("Your pet needs a language model to talk. Choose one:"))
        self.download_button = QPushButton()
        self.download_button.setObjectName("download-model")
        self.download_button.setDefault(self.facts.apple_silicon)
        self.download_button.clicked.connect(self.on_download_chosen)
        self.set_download_offer()
        folder_button = QPushButton(tr("Use a model folder on this computer…"))
        folder_button.setObjectName("choose-model-folder")
        folder_button.clicked.connect(self._pick_folder)
        file_button = QPushButton(tr("Use a .gguf file…"))
        file_button.setObjectName("choose-model-file")
        file_button.clicked.connect(self._pick_file)
        # What other apps already downloaded: listed off the GUI thread as the window opens.
        self.local_models = LocalModelsPanel()
        self.local_models.on_model_picked.connect(self.choose_local_model)
        demo_button = QPushButton(tr("Start with the demo model (small, not very clever)"))
        demo_button.setObjectName("use-demo")
        demo_button.clicked.connect(self.on_demo_chosen)
        server_button = QPushButton(tr("Use a model server (Ollama, LM Studio, llama.cpp…)"))
        server_button.setObjectName("use-server")
        self.server_choice = ServerChoice()
        self.server_choice.hide()
        self.server_choice.on_chosen.connect(self.on_server_chosen)
        server_button.clicked.connect(self._show_servers)
        self._choices = [
            self.download_button,
            folder_button,
            file_button,
            self.local_models,
            demo_button,
            server_button,
        ]

        self.error = QLabel("")
        self.error.setObjectName("onboarding-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()

        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(12)
        column.addWidget(self._title(tr("Welcome to deskpet"), "onboarding-title"))
        column.addWidget(self.checks)
        column.addSpacing(6)
        column.addWidget(ask)
        column.addWidget(self.download_button)
        local = QHBoxLayout()
        local.addWidget(folder_button)
        local.addWidget(file_button)
        column.addLayout(local)
        column.addWidget(self.local_models)
        column.addWidget(demo_button)
        column.addWidget(server_button)
        column.addWidget(self.server_choice)
        column.addWidget(self.error)
        column.addStretch(1)
        return page

    def _download_page(self) -> QWidget:
        self.download_title = self._title(
            tr("Downloading {model}", model=RECOMMENDED_MODEL), "download-title"
        )
        self.progress = QProgressBar(objectName="download-progress")
        self.progress.setRange(0, 1000)
        self.progress_text = QLabel(tr("Asking the model hub…"), objectName="download-status")
        self.stop_button = QPushButton(tr("Stop"), objectName="stop-download")
        self.stop_button.clicked.connect(self._stop)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.stop_button)
        page, column = self._progress_page(
            "page-download",
            self.download_title,
            self.progress,
            self.progress_text,
            tr(
                "You can close this window: the download goes on, and if deskpet quits it picks"
                " up where it stopped next time."
            ),
        )
        column.addLayout(buttons)
        return page

    def _waking_page(self) -> QWidget:
        self.waking_title = self._title(tr("Your pet is waking up…"), "waking-title")
        bar = QProgressBar(objectName="waking-progress")
        bar.setRange(0, 0)  # busy: loading has no byte count
        self.waking_text = QLabel("", objectName="waking-status")
        page, _column = self._progress_page(
            "page-waking",
            self.waking_title,
            bar,
            self.waking_text,
            tr(
                "Your pet lives on the desktop: drag it anywhere, double-click it to chat."
                " deskpet's menu is in the menu bar."
            ),
        )
        return page

    @staticmethod
    def _progress_page(
        name: str, title: QLabel, bar: QProgressBar, status: QLabel, note: str
    ) -> tuple[QWidget, QVBoxLayout]:
        """A title, a bar, a status line and a dim note at the bottom; returns the page and
        its column, for buttons under the note."""
        page = QWidget(objectName=name)
        bar.setTextVisible(False)
        status.setWordWrap(True)
        hint = QLabel(note)
        hint.setWordWrap(True)
        hint.setStyleSheet(NOTE_STYLE)
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(12)
        column.addWidget(title)
        column.addSpacing(8)
        column.addWidget(bar)
        column.addWidget(status)
        column.addStretch(1)
        column.addWidget(hint)
        return page, column

    @property
    def page(self) -> str:
        return ("choose", "download", "waking")[self.pages.currentIndex()]

    # -- what the flow shows ---------------------------------------------------------------------

    def set_download_offer(self, have: int = 0, total: int = 0, downloaded: bool = False) -> None:
        """Word the recommended choice for what is already on disk."""
        if downloaded:
            text = tr("Use {model} (already downloaded, recommended)", model=RECOMMENDED_MODEL)
        elif have and total:
            text = tr(
                "Resume the download of {model} ({have} of {total} already here)",
                model=RECOMMENDED_MODEL,
                have=_size(have),
                total=_size(total),
            )
        elif have:
            text = tr(
                "Resume the download of {model} ({have} already here)",
                model=RECOMMENDED_MODEL,
                have=_size(have),
            )
        else:
            text = tr(
                "Download {model} (recommended, about {size})",
                model=RECOMMENDED_MODEL,
                size=_size(RECOMMENDED_BYTES),
            )
        self.download_button.setText(text)

    def show_choices(self, error: str = "") -> None:
        """Back to the three choices, with a reason in red when something went wrong."""
        self.pages.setCurrentIndex(0)
        self.setWindowTitle(tr("Welcome to deskpet"))
        self._set_error(error)

    def show_download(self, done: int = 0, total: int = 0) -> None:
        self.pages.setCurrentIndex(1)
        self.setWindowTitle(tr("Downloading {model}", model=RECOMMENDED_MODEL))
        self.stop_button.setEnabled(True)
        self._speed_from = None
        if total:
            self.set_progress(done, total)
        else:
            self.progress.setValue(0)
            self.progress_text.setText(tr("Asking the model hub…"))

    def _stop(self) -> None:
        # A stalled connection notices the stop only when its read gives up: say so meanwhile.
        self.stop_button.setEnabled(False)
        self.progress_text.setText(tr("Stopping… the bytes already here are kept."))
        self.on_download_stopped.emit()

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setValue(int(1000 * done / total) if total else 0)
        if not self.stop_button.isEnabled():
            return  # stopping: keep saying so
        now = time.monotonic()
        if self._speed_from is None:
            self._speed_from = (now, done)  # bytes from an earlier try do not count as speed
        started, first = self._speed_from
        elapsed = now - started
        speed = (done - first) / elapsed if elapsed >= 1.0 else None
        self.progress_text.setText(progress_line(done, total, speed))

    def show_waking(self, text: str, title: str = "") -> None:
        self.pages.setCurrentIndex(2)
        self.setWindowTitle(tr("Almost there"))
        if title:
            self.waking_title.setText(title)
        self.waking_text.setText(text)

    def set_waking_text(self, text: str) -> None:
        self.waking_text.setText(text)

    def _set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    # -- local models ----------------------------------------------------------------------------

    def _checks_html(self) -> str:
        rows = "<br>".join(
            f"{'✓' if good else '⚠'}&nbsp; {text}" for good, text in describe(self.facts)
        )
        return f"<p>{tr('Here is what deskpet found on this computer:')}</p><p>{rows}</p>"

    @property
    def checks_text(self) -> str:
        return "\n".join(text for _good, text in describe(self.facts))

    def choose_local_model(self, path: str | Path) -> None:
        """Accept a local model (on_model_chosen) only once the loader can read it; meanwhile
        the choices wait, and a refusal shows why, inline."""
        if self._checking:
            return
        name = Path(path).expanduser()
        self._checking = str(name)
        for button in self._choices:
            button.setEnabled(False)
        self.error.setStyleSheet(NOTE_STYLE)
        self._set_error(tr("Checking {name}…", name=name.name))
        self._checker(str(name))

    def model_checked(self, path: str, reason: str) -> None:
        """The checker's answer for `path`: "" (accepted) or why it was refused."""
        if path != self._checking:
            return
        self._checking = ""
        for button in self._choices:
            button.setEnabled(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self._set_error(tr("deskpet cannot use this model: {why}", why=reason) if reason else "")
        self.on_model_checked.emit(path, reason)
        if not reason:
            self.on_model_chosen.emit(path)

    def _show_servers(self) -> None:
        self.server_choice.show()
        self.server_choice.search()

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Choose a model folder"))
        if folder:
            self.choose_local_model(folder)

    def _pick_file(self) -> None:
        file, _filter = QFileDialog.getOpenFileName(
            self, tr("Choose a model file"), "", tr("GGUF models (*.gguf)")
        )
        if file:
            self.choose_local_model(file)
