"""The first launch, end to end and offscreen: `deskpet` with nothing configured opens
onboarding, and the owner's choice ends with a warm model and a greeting pet.

Real pieces throughout: the launch path `deskpet` runs (app_entry.launch, minus the event
loop that pytest-qt provides), the real worker loading the real demo model, a real hub on
loopback (tests/fake_hub.py) serving a tiny model over HTTP with Range, real files in a
temporary HOME. Only the hub's address is not the real one: this machine has no network.
"""

from __future__ import annotations

import argparse
import json
import socket
from pathlib import Path

import pytest
import yaml
from helpers.fake_hub import REPO, SHA
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from shiboken6 import isValid

from deskpet.app_entry import launch
from deskpet.inference.download_cli import ALTERNATIVES, for_terminal
from deskpet.pet import State
from deskpet.ui import first_run as fr
from deskpet.ui.onboarding import describe, gather_facts

LOAD_TIMEOUT = 120_000
ANSWER_TIMEOUT = 90_000


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    """A computer deskpet has never run on: empty data and model folders, a HOME of its own.
    Only the demo model's download is shared with the rest of the suite (PyPI is far)."""
    from deskpet import paths

    shared_demo = paths.cache_dir() / "demo"
    home = tmp_path / "data"
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "demo").symlink_to(shared_demo, target_is_directory=True)
    monkeypatch.setenv("DESKPET_HOME", str(home))
    monkeypatch.setenv("DESKPET_CACHE", str(cache))
    (tmp_path / "h").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "XDG_DATA_HOME", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return home


def settings_file(home: Path) -> dict:
    path = home / "settings.yaml"
    return yaml.safe_load(path.read_text()) or {} if path.exists() else {}


def start_pet(qtbot):
    """What `deskpet` does with no arguments, up to the event loop."""
    return launch(argparse.Namespace(model=None, demo=False))


def click(window, name: str) -> None:
    button = window.findChild(QPushButton, name)
    assert button is not None and button.isVisible() and button.isEnabled(), name
    button.click()


def test_a_fresh_first_launch_walks_to_a_chatting_pet(qtbot, demo_gguf, fresh_home):
    # GIVEN a computer deskpet has never run on
    app = start_pet(qtbot)
    try:
        # THEN onboarding opens by itself, says what it found, and the pet sleeps meanwhile
        first_run = app.model.first_run
        assert first_run is not None
        window = first_run.window
        qtbot.waitExposed(window)
        assert window.page == "choose"
        assert window.checks_text == "\n".join(line for _ok, line in describe(gather_facts()))
        assert app.machine.state is State.SLEEP
        assert app.model.info is None

        # WHEN the owner double-clicks the pet before choosing, onboarding comes forward
        window.hide()
        qtbot.mouseDClick(app.pet, Qt.MouseButton.LeftButton, pos=app.pet.rect().center())
        assert window.isVisible() and not app.bubble.isVisible()

        # WHEN they start with the demo model
        with qtbot.waitSignal(app.on_greeted, timeout=LOAD_TIMEOUT) as greeted:
            click(window, "use-demo")
            assert window.page == "waking"
            qtbot.waitUntil(lambda: app.machine.state is State.WAKING, timeout=10_000)
        # THEN the model is warm, saved for next time, and the pet greets its owner
        assert app.model.first_run is None
        qtbot.waitUntil(lambda: not isValid(window), timeout=5000)  # closed and freed
        assert settings_file(fresh_home)["model"] == "demo"
        assert greeted.args[0] == app.personas.get(app.chat.persona).greeting.get("en")
        assert app.bubble.isVisible() and app.bubble.narration == greeted.args[0]
        assert app.machine.state is not State.SLEEP

        # AND the pet chats (briefly: the demo model samples, and a rambling answer of the
        # default 512 tokens takes minutes on this CPU)
        app.settings.set("max_tokens", 24)
        app.open_chat()
        qtbot.keyClicks(app.bubble.input, "What is the capital of France?")
        with qtbot.waitSignal(app.bubble.on_answer_complete, timeout=ANSWER_TIMEOUT) as done:
            qtbot.keyClick(app.bubble.input, Qt.Key.Key_Return)
        assert done.args[0].strip()

        # WHEN the owner re-runs onboarding from Settings and picks a model that cannot load
        app.preferences.show().findChild(QPushButton, "rerun-onboarding").click()
        window = app.model.first_run.window
        assert window.isVisible() and window.page == "choose"
        app.model.first_run.use(str(fresh_home / "nowhere"))
        qtbot.waitUntil(lambda: window.page == "choose", timeout=30_000)
        # THEN the owner is told, and the pet keeps the model it had
        assert "could not load that model" in window.error.text()
        assert app.model.source == "demo" and settings_file(fresh_home)["model"] == "demo"
        app.open_chat()
        assert app.bubble.isVisible()  # chatting still works: no onboarding in the way

        # WHEN the owner types another model's path into Settings
        field = app.preferences.window.editors["model"]
        field.setText(str(demo_gguf))
        field.editingFinished.emit()
        # THEN it loads at once, replacing the demo
        qtbot.waitUntil(lambda: app.model.source == str(demo_gguf), timeout=LOAD_TIMEOUT)
        assert app.model.info["name"] == demo_gguf.name
        assert settings_file(fresh_home)["model"] == str(demo_gguf)

        # WHEN they type a path that does not load
        field.setText(str(fresh_home / "typo"))
        field.editingFinished.emit()
        # THEN the setting goes back to the model that still answers
        qtbot.waitUntil(
            lambda: settings_file(fresh_home)["model"] == str(demo_gguf), timeout=LOAD_TIMEOUT
        )
        assert app.model.source == str(demo_gguf) and field.text() == str(demo_gguf)
    finally:
        app.shutdown()

    # WHEN deskpet starts again, there is no onboarding: the saved model loads
    again = start_pet(qtbot)
    try:
        assert again.model.first_run is None
        qtbot.waitUntil(lambda: again.model.info is not None, timeout=LOAD_TIMEOUT)
    finally:
        again.shutdown()


def test_a_download_cut_by_quitting_resumes_at_the_next_launch(qtbot, fresh_home, hub, tiny_repo):
    # GIVEN a hub (a mirror set in Settings) whose connection stalls halfway through the weights
    fresh_home.mkdir(exist_ok=True)
    (fresh_home / "settings.yaml").write_text(f"hub_endpoint: {hub.url}\n")
    hub.stall.add("model.safetensors")
    app = start_pet(qtbot)
    window = app.model.first_run.window
    try:
        # WHEN the owner chooses the recommended download
        click(window, "download-model")
        assert window.page == "download"
        # THEN the bytes come in with progress, and the tray says so too
        models = fresh_home.parent / "cache" / "models"
        partial = models / f"MiniCPM5-1B-MLX@{SHA[:8]}.partial"
        weights = partial / "model.safetensors.incomplete"
        half = len(tiny_repo["model.safetensors"]) // 2
        qtbot.waitUntil(lambda: weights.exists() and weights.stat().st_size == half, timeout=30_000)
        qtbot.waitUntil(lambda: window.progress.value() > 0, timeout=10_000)
        assert " of " in window.progress_text.text()
        assert app.tray.status_action.text().startswith("Downloading MiniCPM5-1B")
        download = app.model.first_run.download
    finally:
        # WHEN deskpet quits in the middle of it
        app.shutdown()
    hub.release.set()
    assert download.wait(10)

    # THEN nothing claims a model yet, the bytes stay, and the step is remembered
    assert "model" not in settings_file(fresh_home) or not settings_file(fresh_home)["model"]
    assert weights.stat().st_size == half
    assert json.loads((fresh_home / "onboarding.json").read_text()) == {"step": "downloading"}

    # WHEN deskpet starts again
    hub.stall.clear()
    again = start_pet(qtbot)
    try:
        # THEN the download goes on by itself from where it stopped, and ends greeting
        assert again.model.first_run.window.page == "download"
        with qtbot.waitSignal(again.on_greeted, timeout=LOAD_TIMEOUT):
            pass
        assert ("GET", f"/{REPO}/resolve/{SHA}/model.safetensors", f"bytes={half}-") in hub.requests
        folder = models / f"MiniCPM5-1B-MLX@{SHA[:8]}"
        assert settings_file(fresh_home)["model"] == str(folder)
        assert (folder / "model.safetensors").read_bytes() == tiny_repo["model.safetensors"]
        assert not partial.exists() and not (fresh_home / "onboarding.json").exists()
        assert again.model.info["name"] == folder.name
    finally:
        again.shutdown()


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_an_unreachable_hub_says_so_and_leaves_the_other_choices(qtbot, fresh_home):
    fresh_home.mkdir(exist_ok=True)
    (fresh_home / "settings.yaml").write_text(f"hub_endpoint: {_refused_url()}\n")
    app = start_pet(qtbot)
    try:
        window = app.model.first_run.window
        click(window, "download-model")
        qtbot.waitUntil(lambda: window.page == "choose", timeout=60_000)
        assert window.error.isVisible()
        assert "cannot reach the model hub" in window.error.text()
        assert "choose another model above" in window.error.text()
        assert app.machine.state is State.SLEEP
        assert not (fresh_home / "onboarding.json").exists()
        for name in ("download-model", "choose-model-folder", "choose-model-file", "use-demo"):
            assert window.findChild(QPushButton, name).isEnabled()
    finally:
        app.shutdown()


def test_a_model_that_fails_to_load_goes_back_to_the_choices(qtbot, fresh_home, tmp_path):
    app = start_pet(qtbot)
    try:
        # GIVEN a model that vanished between the check and the load
        first_run = app.model.first_run
        first_run.use(str(tmp_path / "gone"))
        assert first_run.window.page == "waking"
        # THEN the owner is back at the choices with the reason, and nothing is saved
        qtbot.waitUntil(lambda: first_run.window.page == "choose", timeout=60_000)
        assert "could not load that model" in first_run.window.error.text()
        qtbot.waitUntil(lambda: app.machine.state is State.SLEEP, timeout=10_000)
        assert "model" not in settings_file(fresh_home)
        assert first_run.step == fr.CHOOSE
    finally:
        app.shutdown()


@pytest.mark.parametrize(
    "message, kind, cli, window",
    [
        (
            "cannot reach the model hub at https://hf.co (refused)",
            fr.dl.HUB,
            "cannot reach the model hub at https://hf.co (refused); " + ALTERNATIVES,
            "cannot reach the model hub at https://hf.co (refused). Try again later, or choose "
            "another model above.",
        ),
        (
            "the connection to https://hf.co broke while fetching model.safetensors (reset)",
            fr.dl.RESUME,
            "the connection to https://hf.co broke while fetching model.safetensors (reset); "
            "run again to resume",
            "the connection to https://hf.co broke while fetching model.safetensors (reset). "
            "Resume it above: the bytes already here are kept.",
        ),
        (
            "config.json does not match the hub's checksum (a corrupt download or a bad "
            "mirror); it was deleted",
            fr.dl.FETCH_ANEW,
            "config.json does not match the hub's checksum (a corrupt download or a bad "
            "mirror); it was deleted, run again to fetch it anew",
            "config.json does not match the hub's checksum (a corrupt download or a bad "
            "mirror); it was deleted. Try the download again.",
        ),
        (
            "a/b needs 600.0 MB more but only 10 bytes is free on the disk holding /m: free "
            "some space",
            fr.dl.DISK_FULL,
            "a/b needs 600.0 MB more but only 10 bytes is free on the disk holding /m: free "
            "some space and run again",
            "a/b needs 600.0 MB more but only 10 bytes is free on the disk holding /m: free "
            "some space, then resume it above.",
        ),
        (
            "openbmb/nope not found on https://hf.co",
            fr.dl.OTHER,
            "openbmb/nope not found on https://hf.co",
            "openbmb/nope not found on https://hf.co. Try again later, or choose another "
            "model above.",
        ),
    ],
)
def test_download_errors_are_worded_for_the_window(message, kind, cli, window):
    assert for_terminal(message, kind) == cli
    assert fr.for_window(message, kind) == window


def test_stop_keeps_the_bytes_and_offers_to_resume(qtbot, fresh_home, hub, tiny_repo):
    fresh_home.mkdir(exist_ok=True)
    (fresh_home / "settings.yaml").write_text(f"hub_endpoint: {hub.url}\n")
    hub.stall.add("model.safetensors")
    app = start_pet(qtbot)
    try:
        window = app.model.first_run.window
        click(window, "download-model")
        weights = (
            fresh_home.parent
            / "cache"
            / "models"
            / f"MiniCPM5-1B-MLX@{SHA[:8]}.partial"
            / "model.safetensors.incomplete"
        )
        half = len(tiny_repo["model.safetensors"]) // 2
        qtbot.waitUntil(lambda: weights.exists() and weights.stat().st_size == half, timeout=30_000)
        # WHEN the owner presses Stop (the stalled connection then delivers its next bytes)
        click(window, "stop-download")
        hub.release.set()
        qtbot.waitUntil(lambda: window.page == "choose", timeout=30_000)
        # THEN back at the choices, nothing lost, nothing to resume by itself next time
        assert window.error.isHidden()
        assert window.download_button.text().startswith("Resume the download of MiniCPM5-1B")
        assert weights.stat().st_size == half
        assert not (fresh_home / "onboarding.json").exists()
        assert app.machine.state is State.SLEEP
    finally:
        app.shutdown()


def test_a_saved_model_that_is_gone_reopens_onboarding_with_the_reason(qtbot, fresh_home, tmp_path):
    # GIVEN a model folder that was moved away since the last run
    fresh_home.mkdir(exist_ok=True)
    gone = tmp_path / "External" / "MiniCPM5-1B-MLX"
    (fresh_home / "settings.yaml").write_text(f"model: {gone}\n")
    app = start_pet(qtbot)
    try:
        # THEN onboarding opens with the reason and the choices, and the pet sleeps
        qtbot.waitUntil(
            lambda: app.model.first_run is not None and app.model.first_run.window.isVisible(),
            timeout=60_000,
        )
        window = app.model.first_run.window
        assert window.page == "choose"
        assert f"deskpet could not load {gone}" in window.error.text()
        qtbot.waitUntil(lambda: app.machine.state is State.SLEEP, timeout=10_000)
        # AND the setting is kept, for when the disk is back
        assert settings_file(fresh_home)["model"] == str(gone)
    finally:
        app.shutdown()


def test_onboarding_is_brought_to_the_front(qtbot, fresh_home):
    # The Mac's version activates the menu-bar-only app first; that part needs a Mac.
    from deskpet.platform import DefaultPlatform

    class Recording(DefaultPlatform):
        def __init__(self):
            self.fronted = []

        def bring_to_front(self, window):
            self.fronted.append(window.objectName())
            super().bring_to_front(window)

    platform = Recording()
    first_run = fr.FirstRun(checker=lambda _path: None, platform=platform)
    qtbot.addWidget(first_run.window)
    first_run.open()
    assert platform.fronted == ["onboarding-window"] and first_run.window.isVisible()


def test_a_gone_model_with_a_remembered_download_shows_the_choices(
    qtbot, fresh_home, hub, tmp_path
):
    # GIVEN a saved model that is gone, and a download deskpet quit in the middle of
    fresh_home.mkdir(exist_ok=True)
    (fresh_home / "settings.yaml").write_text(
        f"model: {tmp_path / 'gone'}\nhub_endpoint: {hub.url}\n"
    )
    (fresh_home / "onboarding.json").write_text('{"step": "downloading"}')
    app = start_pet(qtbot)
    try:
        qtbot.waitUntil(lambda: app.model.first_run is not None, timeout=60_000)
        # THEN the owner sees why, with every choice, and nothing starts behind their back
        window = app.model.first_run.window
        assert window.page == "choose" and app.model.first_run.step == fr.CHOOSE
        assert "deskpet could not load" in window.error.text()
        assert app.model.first_run.download is None
    finally:
        app.shutdown()


def test_a_history_from_a_newer_deskpet_is_left_alone_and_the_pet_still_starts(
    qtbot, fresh_home, ui_notices
):
    import sqlite3

    from deskpet.history import history_path

    # GIVEN a chat history written by a newer deskpet
    fresh_home.mkdir(exist_ok=True)
    (fresh_home / "settings.yaml").write_text("model: demo\n")
    with sqlite3.connect(history_path()) as db:
        db.execute("PRAGMA user_version=99")
    before = history_path().read_bytes()
    app = start_pet(qtbot)
    try:
        # THEN the pet starts, says why chats are not saved, and the file is untouched
        assert any(title == "deskpet cannot save chats this time" for title, _ in ui_notices)
        assert history_path().read_bytes() == before
    finally:
        app.shutdown()
    assert history_path().read_bytes() == before
