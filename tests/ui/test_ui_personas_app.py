"""The Personas section in the running app's settings window: removing the persona the pet
talks as hands the pet to the default persona (its look, its name, the menu's check mark).

The app is built but not started (no model: nothing here needs an answer). The owner's "Yes"
is a patched QMessageBox.question (a modal dialog would block the test: the boundary)."""

from __future__ import annotations

import pytest
import yaml
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGroupBox, QMessageBox

from deskpet.app import DeskpetApp


@pytest.fixture
def app(qtbot, qapp, ui_app_home, monkeypatch):
    home = ui_app_home
    owl = home / "personas" / "owl"
    owl.mkdir(parents=True)
    (owl / "persona.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "owl",
                "format": 1,
                "name": "Owl",
                "description": "A wise owl.",
                "system_prompt": "You are Owl.",
                "greeting": "Hoo!",
                "theme": "sage",
            }
        )
    )
    (home / "settings.yaml").write_text("persona: owl\n")
    monkeypatch.setattr(QMessageBox, "question", lambda *_a: QMessageBox.StandardButton.Yes)
    app = DeskpetApp("demo")
    yield app
    app.shutdown()


def test_removing_the_current_persona_hands_the_pet_to_the_default_one(qtbot, app):
    assert app.chat.persona == "owl"
    window = app.preferences.show()
    qtbot.addWidget(window)
    page = app.preferences.personas_page
    assert window.findChild(QGroupBox, "section-personas") is page
    page.select("owl")
    with qtbot.waitSignal(app.chat.on_persona_changed) as changed:
        page.remove_button.click()
    assert changed.args == ["deskpet"]
    assert app.chat.persona == "deskpet" and app.bubble.title.text() == "Pip"
    assert app.pet.theme.id == "deskpet"
    app.tray.rebuild_personas()
    assert app.tray.findChild(QAction, "persona-owl") is None
    assert app.tray.findChild(QAction, "persona-deskpet").isChecked()
    assert app.settings.get("persona") == "deskpet"
