"""SizeEditor: the pet's size as three buttons (small, medium, large) and a slider between them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSlider, QWidget

from deskpet.i18n import N_, tr
from deskpet.settings import BY_KEY, PET_SIZES

# PET_SIZES's names as shown (translated where shown).
SIZE_NAMES = {"Small": N_("Small"), "Medium": N_("Medium"), "Large": N_("Large")}

STEP = 8  # px per slider step: finer sizes look the same


class SizeEditor(QWidget):
    """Buttons for the named sizes and a slider over the allowed range.

    The slider applies when it is let go (or moved with the keys), not at every pixel of a drag,
    so settings.yaml is written once per choice.

    Attributes:
        slider: the QSlider ("pet-size-slider").
        buttons: {name: its QPushButton ("pet-size-small", ...)}.

    Signals:
        on_size_chosen(int): the owner chose a size (px).
    """

    on_size_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        setting = BY_KEY["pet_size"]
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        for name, size in PET_SIZES.items():
            button = QPushButton(tr(SIZE_NAMES.get(name, name)))
            button.setObjectName(f"pet-size-{name.lower()}")
            button.setCheckable(True)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, s=size: self._choose(s))
            row.addWidget(button)
            self.buttons[name] = button
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("pet-size-slider")
        self.slider.setRange(int(setting.minimum), int(setting.maximum))
        self.slider.setSingleStep(STEP)
        self.slider.setPageStep(STEP * 4)
        self.slider.setMinimumWidth(140)
        self.slider.setToolTip(setting.help)
        self.slider.sliderReleased.connect(lambda: self._choose(self.slider.value()))
        # Keys and clicks on the groove move it without a press-and-release of the handle.
        self.slider.valueChanged.connect(self._moved)
        row.addWidget(self.slider, 1)

    def value(self) -> int:
        return self.slider.value()

    def setValue(self, size: int) -> None:  # noqa: N802 (reads like the Qt editors beside it)
        blocked = self.slider.blockSignals(True)
        self.slider.setValue(size)
        self.slider.blockSignals(blocked)
        self._mark(size)

    def _moved(self, size: int) -> None:
        self._mark(size)
        if not self.slider.isSliderDown():
            self.on_size_chosen.emit(size)

    def _choose(self, size: int) -> None:
        self.setValue(size)
        self.on_size_chosen.emit(size)

    def _mark(self, size: int) -> None:
        for name, button in self.buttons.items():
            button.setChecked(PET_SIZES[name] == size)
