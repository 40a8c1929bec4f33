"""Fixtures for the Qt tests (offscreen). Fixture names here start with `ui_`."""

from __future__ import annotations

import pytest


@pytest.fixture
def ui_home(tmp_path, monkeypatch):
    """A fresh DESKPET_HOME: settings (and remembered pet positions) start empty."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DESKPET_HOME", str(home))
    return home


@pytest.fixture
def ui_pet_window(qtbot, ui_home):
    """A shown PetWindow with the default theme, in a fresh DESKPET_HOME."""
    from deskpet.ui.pet_window import PetWindow

    window = PetWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window
