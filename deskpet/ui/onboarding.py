"""OnboardingWindow: the first-launch window. It looks at the machine, says plainly what it
found, and offers three ways to get a model: download MiniCPM5-1B (recommended), use a model
already on this Mac (checked with the loader before it is accepted), or start with the demo.

The window only decides; the app does the download and the loading.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from deskpet import paths

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


def describe(facts: MachineFacts) -> list[tuple[bool, str]]:
    """Plain sentences about the machine, each with whether it is good news."""
    lines = []
    if facts.apple_silicon:
        lines.append((True, f"An Apple Silicon Mac with macOS {facts.macos or '(unknown version)'}"
                            ": models run on its GPU."))
    else:
        where = f"{facts.system} on {facts.machine}"
        lines.append((False, f"Not an Apple Silicon Mac ({where}): models run on the processor,"
                             " slowly. The demo model is the quick way to try deskpet here."))
    if facts.memory is None:
        lines.append((True, "Could not tell how much memory this computer has."))
    elif facts.memory >= RECOMMENDED_MEMORY:
        lines.append((True, f"{facts.memory / 1024**3:.0f} GB of memory: plenty for "
                            f"{RECOMMENDED_MODEL}."))
    else:
        lines.append((False, f"Only {facts.memory / 1024**3:.0f} GB of memory: "
                             f"{RECOMMENDED_MODEL} will work but may slow other apps."))
    if facts.free_disk is None:
        lines.append((True, "Could not tell how much disk space is free."))
    elif facts.free_disk >= 2 * RECOMMENDED_BYTES:
        lines.append((True, f"{_size(facts.free_disk)} free on disk: enough for the "
                            f"{_size(RECOMMENDED_BYTES)} download."))
    else:
        lines.append((False, f"Only {_size(facts.free_disk)} free on disk; the download needs "
                             f"{_size(RECOMMENDED_BYTES)} and room to spare."))
    return lines


def check_model(path: str | Path) -> str:
    """"" when deskpet can read the model at `path`, else the loader's reason."""
    from deskpet.inference.load import ModelLoadError, read_checkpoint

    try:
        read_checkpoint(path)
    except ModelLoadError as exc:
        return str(exc)
    except Exception as exc:  # anything else the loader trips on is still a refusal
        return f"{Path(path).name}: {exc}"
    return ""


class OnboardingWindow(QWidget):
    """The first-launch window (see the module docstring).

    Attributes:
        facts: the MachineFacts shown.
        checks: the label listing what was found.
        error: the red line under the choices when a local model was refused.

    Signals:
        on_download_chosen(): download the recommended model.
        on_model_chosen(str): use this local model (folder or .gguf), already checked.
        on_demo_chosen(): start with the built-in demo model.
    """

    on_download_chosen = Signal()
    on_model_chosen = Signal(str)
    on_demo_chosen = Signal()

    def __init__(self, facts: MachineFacts | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("onboarding-window")
        self.setWindowTitle("Welcome to deskpet")
        self.facts = facts or gather_facts()

        title = QLabel("Welcome to deskpet")
        title.setObjectName("onboarding-title")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() + 5)
        font.setBold(True)
        title.setFont(font)

        self.checks = QLabel(self._checks_html())
        self.checks.setObjectName("onboarding-checks")
        self.checks.setWordWrap(True)
        self.checks.setTextFormat(Qt.TextFormat.RichText)

        ask = QLabel("Your pet needs a language model to talk. Choose one:")
        self.download_button = QPushButton(
            f"Download {RECOMMENDED_MODEL} (recommended, about {_size(RECOMMENDED_BYTES)})")
        self.download_button.setObjectName("download-model")
        self.download_button.setDefault(self.facts.apple_silicon)
        self.download_button.clicked.connect(self.on_download_chosen)
        folder_button = QPushButton("Use a model folder on this computer…")
        folder_button.setObjectName("choose-model-folder")
        folder_button.clicked.connect(self._pick_folder)
        file_button = QPushButton("Use a .gguf file…")
        file_button.setObjectName("choose-model-file")
        file_button.clicked.connect(self._pick_file)
        demo_button = QPushButton("Start with the demo model (small, not very clever)")
        demo_button.setObjectName("use-demo")
        demo_button.clicked.connect(self.on_demo_chosen)

        self.error = QLabel("")
        self.error.setObjectName("onboarding-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()

        column = QVBoxLayout(self)
        column.setContentsMargins(28, 24, 28, 24)
        column.setSpacing(12)
        column.addWidget(title)
        column.addWidget(self.checks)
        column.addSpacing(6)
        column.addWidget(ask)
        column.addWidget(self.download_button)
        local = QHBoxLayout()
        local.addWidget(folder_button)
        local.addWidget(file_button)
        column.addLayout(local)
        column.addWidget(demo_button)
        column.addWidget(self.error)
        column.addStretch(1)
        self.resize(520, 380)

    def _checks_html(self) -> str:
        rows = "<br>".join(
            f"{'✓' if good else '⚠'}&nbsp; {text}" for good, text in describe(self.facts)
        )
        return f"<p>Here is what deskpet found on this computer:</p><p>{rows}</p>"

    @property
    def checks_text(self) -> str:
        return "\n".join(text for _good, text in describe(self.facts))

    def choose_local_model(self, path: str | Path) -> bool:
        """Accept a local model only if the loader can read it; else show why, inline."""
        reason = check_model(path)
        if reason:
            self.error.setText(f"deskpet cannot use this model: {reason}")
            self.error.show()
            return False
        self.error.hide()
        self.on_model_chosen.emit(str(Path(path).expanduser()))
        return True

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder")
        if folder:
            self.choose_local_model(folder)

    def _pick_file(self) -> None:
        file, _filter = QFileDialog.getOpenFileName(self, "Choose a model file", "",
                                                    "GGUF models (*.gguf)")
        if file:
            self.choose_local_model(file)
