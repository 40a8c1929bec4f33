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
def ui_app_home(tmp_path, monkeypatch):
    """A data folder of its own (DESKPET_HOME, returned) and a HOME without agents: the app
    repairs agent hooks and follows Codex's files at start, never the real ones."""
    home = tmp_path / "data"
    home.mkdir()
    (tmp_path / "h").mkdir()
    monkeypatch.setenv("DESKPET_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
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


@pytest.fixture(autouse=True)
def ui_pointer_parked(qapp):
    """The pointer is global to the process: a test that moved it (the eyes, mini mode, a drag)
    would leave it over the next test's windows, which then count as hovered. Every Qt test
    starts with it in the screen's corner, away from where the tests put their windows."""
    from PySide6.QtGui import QCursor

    QCursor.setPos(0, 0)


@pytest.fixture
def ui_notices(monkeypatch):
    """Every notice a tray shows in this test, as (title, text): a spy on TrayMenu.notify that
    calls through (offscreen, Qt's tray shows no message that a test could read back)."""
    from deskpet.ui.tray import TrayMenu

    seen: list[tuple[str, str]] = []
    show = TrayMenu.notify

    def notify(self, title: str, text: str) -> None:
        seen.append((title, text))
        show(self, title, text)

    monkeypatch.setattr(TrayMenu, "notify", notify)
    return seen


@pytest.fixture
def ui_agents_home(monkeypatch):
    """A HOME with a ~/.claude folder (Claude Code is "installed") and deskpet's data beside it,
    under a short temp path: the bridge's Unix socket path must fit in 104 bytes. Yields HOME."""
    import shutil
    import tempfile
    from pathlib import Path

    root = Path(tempfile.mkdtemp(prefix="dp"))
    (root / "h" / ".claude").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(root / "h"))
    monkeypatch.setenv("DESKPET_HOME", str(root / "d"))
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    yield root / "h"
    shutil.rmtree(root, ignore_errors=True)
