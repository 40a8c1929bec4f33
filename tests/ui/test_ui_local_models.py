"""Models already on this computer, in onboarding and in Settings: listed off the GUI thread
from real store layouts in a temporary HOME, picked, checked and used."""

from __future__ import annotations

import pytest
from helpers.local_stores import put_in_ollama, write_gguf
from PySide6.QtWidgets import QPushButton

from deskpet.inference.worker import InferenceWorker
from deskpet.settings import Settings
from deskpet.ui.local_models_list import LocalModelsPanel
from deskpet.ui.onboarding import MachineFacts, OnboardingWindow
from deskpet.ui.relay import Relay
from deskpet.ui.settings_window import SettingsWindow

MAC = MachineFacts("darwin", "arm64", "14.5", 16 * 1024**3, 200 * 1000**3)
WAIT = 30_000


@pytest.fixture
def home(tmp_path, monkeypatch, ui_home):
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    return user


def texts(panel: LocalModelsPanel) -> dict[str, list[str]]:
    tree = panel.tree
    rows = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    return {row.text(0): [row.text(c) for c in range(1, 5)] for row in rows}


@pytest.mark.slow
def test_onboarding_lists_what_is_here_and_uses_an_ollama_model(qtbot, home, demo_gguf):
    # GIVEN the demo model pulled into Ollama, and a Qwen GGUF in LM Studio's folder
    blob = put_in_ollama(home / ".ollama" / "models", "smollm2", "135m", demo_gguf.read_bytes())
    write_gguf(home / ".lmstudio/models/Qwen/Qwen-GGUF/qwen-q8_0.gguf", arch="qwen2")
    relay = Relay()
    worker = InferenceWorker(relay.post).start()
    try:
        # WHEN onboarding opens (it looks at once, off the GUI thread)
        window = OnboardingWindow(MAC, checker=worker.check)
        relay.on_model_checked.connect(lambda _id, path, why: window.model_checked(path, why))
        qtbot.addWidget(window)
        panel = window.local_models
        qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 2, timeout=WAIT)

        # THEN both are listed with their facts, and only the runnable one can be used
        rows = texts(panel)
        assert rows["smollm2:135m"][:1] + rows["smollm2:135m"][2:] == [
            "Ollama",
            "GGUF Q4_1",
            "can run",
        ]
        assert rows["Qwen/Qwen-GGUF/qwen-q8_0.gguf"][0] == "LM Studio"
        assert rows["Qwen/Qwen-GGUF/qwen-q8_0.gguf"][3].startswith("cannot run: a qwen2 model")
        use = window.findChild(QPushButton, "use-local-model")
        panel.select("Qwen/Qwen-GGUF/qwen-q8_0.gguf")
        assert not use.isEnabled()
        panel.select("smollm2:135m")
        assert use.isEnabled()

        # WHEN it is used, the worker checks the blob like any chosen model, and it is chosen
        with qtbot.waitSignal(window.on_model_chosen, timeout=WAIT) as chosen:
            use.click()
        assert chosen.args == [str(blob)]
    finally:
        assert worker.shutdown(5)


def test_settings_look_on_request_and_put_the_pick_in_the_model_field(qtbot, home, ui_home):
    # GIVEN a GGUF in LM Studio's older folder
    gguf = write_gguf(home / ".cache/lm-studio/models/pub/Tiny-GGUF/tiny-Q8_0.gguf")
    window = SettingsWindow()
    qtbot.addWidget(window)
    panel = window.local_models
    assert panel.tree.isHidden()  # Settings looks only when asked

    # WHEN the owner asks, then picks it
    with qtbot.waitSignal(panel.on_listed, timeout=WAIT) as listed:
        window.findChild(QPushButton, "find-local-models").click()
    assert listed.args == [1]
    assert texts(panel)["pub/Tiny-GGUF/tiny-Q8_0.gguf"][2:] == ["GGUF Q8_0", "can run"]
    panel.select("pub/Tiny-GGUF/tiny-Q8_0.gguf")
    with qtbot.waitSignal(window.on_setting_changed) as changed:
        window.findChild(QPushButton, "use-local-model").click()

    # THEN its path is the model setting, saved and shown
    assert changed.args == ["model", str(gguf)]
    assert Settings().get("model") == str(gguf)
    assert window.editors["model"].text() == str(gguf)


def test_a_failed_look_is_one_line(qtbot, home):
    def broken():
        raise PermissionError("no")

    panel = LocalModelsPanel(finder=broken)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.on_listed, timeout=WAIT) as listed:
        panel.look()
    assert listed.args == [0]
    assert "could not look" in panel.status.text()
    assert panel.look_button.isEnabled()
