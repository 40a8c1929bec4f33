#!/usr/bin/env python3
"""Render docs/mini-mode.png and docs/pet-menu.png from the real widgets, offscreen.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/pet_screenshots.py

Builds a PetWindow, PetLife and PetMenu as the app does (in a throwaway DESKPET_HOME), grabs
them and lays the grabs on a plain desktop backdrop; nothing is drawn by hand but the backdrop.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["DESKPET_HOME"] = tempfile.mkdtemp(prefix="deskpet-shots-")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QPoint, QRect  # noqa: E402
from PySide6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from deskpet.personas.manager import PersonaManager  # noqa: E402
from deskpet.pet import Display, State  # noqa: E402
from deskpet.platform import DefaultPlatform  # noqa: E402
from deskpet.settings import Settings  # noqa: E402
from deskpet.ui.pet_life import PetLife  # noqa: E402
from deskpet.ui.pet_menu import PetMenu  # noqa: E402
from deskpet.ui.pet_window import PetWindow  # noqa: E402
from deskpet.ui.tray import TrayMenu  # noqa: E402

DOCS = REPO / "docs"


def backdrop(width: int, height: int) -> QImage:
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    gradient = QLinearGradient(0, 0, width, height)
    gradient.setColorAt(0, QColor("#3b4a6b"))
    gradient.setColorAt(1, QColor("#7a8fb5"))
    painter.fillRect(image.rect(), gradient)
    painter.end()
    return image


def label(painter: QPainter, x: int, y: int, text: str) -> None:
    font = QFont("DejaVu Sans")
    font.setPixelSize(15)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#f4f6fb"))
    painter.drawText(x, y, text)


def mini_mode(app: QApplication) -> None:
    """Three panels: tucked at a right edge, peeking, and the bell in mini form at a left edge."""
    settings = Settings()
    pet = PetWindow(settings=settings, platform=DefaultPlatform())
    life = PetLife(pet, settings)
    pet.show()
    panel_w, panel_h, gap = 300, 260, 16
    image = backdrop(3 * panel_w + 4 * gap, panel_h + 2 * gap + 24)
    painter = QPainter(image)
    shots = [
        ("right", None, "Tucked at the edge"),
        ("right", "peek", "Peeking: the pointer is near"),
        ("left", State.ATTENTION, "An agent needs you (left edge)"),
    ]
    for i, (edge, what, title) in enumerate(shots):
        screen = QRect(gap + i * (panel_w + gap), gap + 24, panel_w, panel_h)
        pet.move(300, 300)
        pet.set_display(Display(State.IDLE))
        life.set_display(pet.display)
        life.enter_mini(edge, remember=False)
        if what == "peek":
            life._peek(True)
        elif what is not None:
            pet.set_display(Display(what))
            life.set_display(pet.display)
        app.processEvents()
        area = pet.current_screen().availableGeometry()
        # Where the tucked window stands relative to its screen's edge, moved into the panel.
        offset = pet.x() - (area.right() + 1) if edge == "right" else pet.x() - area.left()
        x = screen.right() + 1 + offset if edge == "right" else screen.left() + offset
        y = screen.top() + 90
        painter.save()
        painter.setClipRect(screen)
        painter.fillRect(screen, QColor(255, 255, 255, 28))
        painter.drawPixmap(QPoint(x, y), pet.grab())
        painter.restore()
        edge_x = screen.right() if edge == "right" else screen.left()
        painter.setPen(QColor(255, 255, 255, 160))
        painter.drawLine(edge_x, screen.top(), edge_x, screen.bottom())
        label(painter, screen.left() + 10, gap + 16, title)
        life.leave_mini()
    painter.end()
    image.save(str(DOCS / "mini-mode.png"))
    pet.close()
    print("wrote docs/mini-mode.png")


def pet_menu(app: QApplication) -> None:
    personas = PersonaManager()
    tray = TrayMenu(personas=personas.choices, agent_status=lambda _a: None)
    tray.set_persona(personas.current.id if personas.current else "deskpet")
    menu = PetMenu(tray)
    pet = PetWindow(settings=Settings(), platform=DefaultPlatform())
    pet.show()
    menu.popup(QPoint(0, 0))
    app.processEvents()
    shot = menu.grab()
    pet_shot = pet.grab()
    width = 40 + pet_shot.width() + 10 + shot.width() + 40
    height = max(shot.height(), pet_shot.height()) + 80
    image = backdrop(width, height)
    painter = QPainter(image)
    painter.drawPixmap(QPoint(40, 40 + shot.height() // 3), pet_shot)
    painter.drawPixmap(QPoint(40 + pet_shot.width() + 10, 40), shot)
    label(painter, 40, 26, "Right-click the pet")
    painter.end()
    image.save(str(DOCS / "pet-menu.png"))
    menu.hide()
    pet.close()
    tray.hide()
    print("wrote docs/pet-menu.png")


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    mini_mode(app)
    pet_menu(app)


if __name__ == "__main__":
    main()
