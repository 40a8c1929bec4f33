"""Diagnostics in the GUI: the crash notice at the next launch (told once, its click opens the
logs), Show Logs… in the tray and in Settings, Reveal model folder, Delete downloaded model.

Two boundaries stand in for the owner: the desktop that opens folders is a URL handler for
file: URLs registered with QDesktopServices (Qt's own hook; no Finder here), and the answer
to the "Delete?" question is a patched QMessageBox.question (a modal dialog would block).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QMessageBox, QPushButton

from deskpet import paths
from deskpet.app import CRASH_TITLE, DeskpetApp
from deskpet.platform import DefaultPlatform
from deskpet.settings import Settings
from deskpet.ui.settings_controller import SettingsController, downloaded_folder

THREAD_RAISES = """
import threading
from deskpet import logs
logs.configure(command="thread-test")

def work():
    raise LookupError("raised in a worker thread")

worker = threading.Thread(target=work)
worker.start()
worker.join()
"""


class Opener(QObject):
    """Receives the file: URLs deskpet asks the desktop to open."""

    def __init__(self):
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url):
        self.opened.append(url.toLocalFile())


@pytest.fixture
def opener():
    handler = Opener()
    QDesktopServices.setUrlHandler("file", handler, "open")
    yield handler
    QDesktopServices.unsetUrlHandler("file")


@pytest.fixture
def app_home(tmp_path, monkeypatch, ui_home):
    """A HOME without agents and a cache of its own (downloaded models go there)."""
    (tmp_path / "h").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    monkeypatch.setenv("DESKPET_CACHE", str(tmp_path / "cache"))
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    return ui_home


def started_app(demo_gguf) -> DeskpetApp:
    # The demo model is read from deskpet's real cache, wherever the test's cache is.
    app = DeskpetApp(str(demo_gguf))
    app.start()
    return app


def crash_notices(notices: list[tuple[str, str]]) -> list[str]:
    return [f"{title}: {text}" for title, text in notices if title == CRASH_TITLE]


def test_the_launch_after_a_crash_says_so_once_and_its_click_opens_the_logs(
    qtbot, qapp, app_home, demo_gguf, opener, ui_notices
):
    # GIVEN a deskpet process that died of an uncaught exception in a worker thread
    crashed = subprocess.run(
        [sys.executable, "-c", THREAD_RAISES], capture_output=True, text=True, timeout=120
    )
    assert "LookupError" in crashed.stderr
    assert (paths.logs_dir() / "crash.log").stat().st_size > 0
    # WHEN the pet starts next
    app = started_app(demo_gguf)
    try:
        # THEN it says so, naming what happened, and a click on the notice opens the logs
        assert crash_notices(ui_notices) == [
            f"{CRASH_TITLE}: LookupError: raised in a worker thread. "
            "Click here or use Show Logs… to see why."
        ]
        app.tray.icon.messageClicked.emit()
        assert opener.opened == [str(paths.logs_dir())]
    finally:
        app.shutdown()
    # AND the launch after that says nothing more
    ui_notices.clear()
    again = started_app(demo_gguf)
    try:
        assert crash_notices(ui_notices) == []
        again.tray.icon.messageClicked.emit()  # another notice's click opens nothing
        assert opener.opened == [str(paths.logs_dir())]
    finally:
        again.shutdown()


def test_show_logs_in_the_tray_opens_the_logs_folder(qtbot, qapp, app_home, demo_gguf, opener):
    app = started_app(demo_gguf)
    try:
        show_logs = app.tray.findChild(QAction, "show-logs")
        assert show_logs in app.tray.menu.actions() and show_logs.text() == "Show Logs…"
        show_logs.trigger()
        assert opener.opened == [str(paths.logs_dir())]
        assert paths.logs_dir().is_dir()
    finally:
        app.shutdown()


def controller(qtbot, model_in_use: str) -> SettingsController:
    preferences = SettingsController(
        Settings(), DefaultPlatform(), lambda: [], model_in_use=lambda: model_in_use
    )
    window = preferences.show()
    qtbot.addWidget(window)
    return preferences


def click(preferences: SettingsController, name: str) -> None:
    button = preferences.window.findChild(QPushButton, name)
    assert button is not None, name
    button.click()


def test_show_logs_in_settings_opens_the_logs_folder(qtbot, app_home, opener):
    preferences = controller(qtbot, "")
    click(preferences, "show-logs")
    assert opener.opened == [str(paths.logs_dir())]


def downloaded(name: str = "MiniCPM5-1B-MLX@0123abc"):
    """A model folder as deskpet's download leaves it in its models folder."""
    folder = paths.models_dir() / name
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    return folder


def test_reveal_model_folder_opens_the_folder_of_the_model_in_use(
    qtbot, app_home, opener, tmp_path
):
    folder = downloaded()
    click(controller(qtbot, str(folder)), "reveal-model-folder")
    gguf = tmp_path / "mine" / "model.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF")
    click(controller(qtbot, str(gguf)), "reveal-model-folder")
    assert opener.opened == [str(folder), str(gguf.parent)]


@pytest.fixture
def answer(monkeypatch):
    """The owner's answer to "Delete?" (QMessageBox.question, patched: the boundary)."""
    asked = []
    reply = {"button": QMessageBox.StandardButton.Yes}

    def question(parent, title, text, *_args):
        asked.append(text)
        return reply["button"]

    monkeypatch.setattr(QMessageBox, "question", question)
    reply["asked"] = asked
    return reply


def test_delete_downloaded_model_asks_then_deletes_deskpets_own_copy(qtbot, app_home, answer):
    folder = downloaded()
    preferences = controller(qtbot, str(folder))
    preferences.save("model", str(folder))
    notices = []
    preferences.on_notice.connect(lambda title, text: notices.append((title, text)))
    # WHEN the owner says No, nothing is deleted
    answer["button"] = QMessageBox.StandardButton.No
    click(preferences, "delete-downloaded-model")
    assert folder.is_dir() and len(answer["asked"]) == 1 and notices == []
    # WHEN the owner says Yes, the folder goes, the setting is cleared, and what next is said
    answer["button"] = QMessageBox.StandardButton.Yes
    click(preferences, "delete-downloaded-model")
    assert not folder.exists() and paths.models_dir().is_dir()
    assert Settings().get("model") == ""
    assert notices[-1][0] == "Model deleted" and "next launch opens onboarding" in notices[-1][1]


@pytest.mark.parametrize("kind", ["owner-folder", "owner-file", "symlink-in-models", "demo"])
def test_delete_downloaded_model_never_touches_what_the_owner_pointed_at(
    qtbot, app_home, answer, tmp_path, kind
):
    mine = tmp_path / "my-models" / "Llama@local"
    mine.mkdir(parents=True)
    (mine / "config.json").write_text("{}")
    source = {
        "owner-folder": str(mine),
        "owner-file": str(mine / "config.json"),
        "symlink-in-models": str(paths.models_dir() / "Linked@abc"),
        "demo": "demo",
    }[kind]
    if kind == "symlink-in-models":
        paths.models_dir().mkdir(parents=True)
        os.symlink(mine, source)
    preferences = controller(qtbot, source)
    notices = []
    preferences.on_notice.connect(lambda title, text: notices.append(title))
    click(preferences, "delete-downloaded-model")
    assert answer["asked"] == []  # refused before asking
    assert notices == ["deskpet did not delete the model"]
    assert (mine / "config.json").read_text() == "{}"
    assert downloaded_folder(source) is None
