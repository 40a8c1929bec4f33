"""The bubble on a server brain, through the app's own wiring (settings `brain: server`): a
real llama.cpp server serving the demo GGUF answers, and the stdlib fault server shows that a
failure is one friendly line and the error pose, and the next message works."""

from __future__ import annotations

import pytest
from helpers.bubble_chat import ask
from helpers.fake_model_server import FakeModelServer
from helpers.llama_server import LlamaServer, available
from PySide6.QtCore import Qt

from deskpet.app import DeskpetApp
from deskpet.inference.generate import Sampling
from deskpet.inference.server_brain import ServerBrain
from deskpet.inference.server_http import FRIENDLY, SERVER_ERROR
from deskpet.inference.worker import InferenceWorker
from deskpet.pet import State

TIMEOUT = 180_000


def start(home, url: str) -> DeskpetApp:
    (home / "settings.yaml").write_text(
        f"brain: server\nserver_url: {url}\nmax_tokens: 24\nbubble_fade_seconds: 0\n"
    )
    app = DeskpetApp(sampling=Sampling.greedy())
    app.seen_states = []
    app.machine.add_listener(lambda display: app.seen_states.append(display.state))
    app.start()
    return app


@pytest.mark.skipif(not available(), reason="llama-cpp-python[server] is not installed")
def test_the_bubble_answers_through_llama_cpp_and_esc_stops_it(qtbot, qapp, ui_app_home, demo_gguf):
    llama = LlamaServer(demo_gguf, log=ui_app_home / "llama.log").wait()
    app = start(ui_app_home, llama.url)
    try:
        assert isinstance(app.worker, ServerBrain)
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=TIMEOUT)
        app.open_chat()
        assert ask(qtbot, app, "What is the capital of France?", TIMEOUT) == "stop"
        assert "Paris" in app.bubble.answer_text
        assert app.chat.history.turns("deskpet")[-1][0] == "What is the capital of France?"
        # Esc closes the stream: the answer stops and the next question works.
        app.settings.set("max_tokens", 300)
        qtbot.keyClicks(app.bubble.input, "Write a long story about a brave little dragon.")
        with qtbot.waitSignal(app.relay.on_token, timeout=TIMEOUT):
            qtbot.keyClick(app.bubble.input, Qt.Key.Key_Return)
        with qtbot.waitSignal(app.relay.on_finished, timeout=TIMEOUT) as finished:
            qtbot.keyClick(app.bubble.input, Qt.Key.Key_Escape)
        assert finished.args[0].reason == "cancelled"
        assert finished.args[0].stats["generation_tokens"] < 20
        app.settings.set("max_tokens", 24)
        assert ask(qtbot, app, "What is the capital of France?", TIMEOUT) == "stop"
    finally:
        app.shutdown()
        llama.close()


def test_a_server_fault_is_one_line_and_the_error_pose(qtbot, qapp, ui_app_home):
    server = FakeModelServer()
    server.script = ["500"]
    app = start(ui_app_home, server.url)
    try:
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=10_000)
        app.open_chat()
        qtbot.keyClicks(app.bubble.input, "hello")
        with qtbot.waitSignal(app.relay.on_failed, timeout=10_000):
            qtbot.keyClick(app.bubble.input, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: app.bubble.status.text() == FRIENDLY[SERVER_ERROR])
        assert State.ERROR in app.seen_states
        assert not app.chat.answering
        assert ask(qtbot, app, "hello again", TIMEOUT) == "stop"
        assert app.bubble.answer_text == "Hello there, friend."
    finally:
        app.shutdown()
        server.close()


def test_onboarding_finds_a_server_and_the_pet_answers_through_it(
    qtbot, qapp, ui_app_home, monkeypatch
):
    import argparse

    import yaml
    from PySide6.QtWidgets import QPushButton

    from deskpet.app_entry import launch
    from deskpet.inference import server_discovery

    # GIVEN a fresh computer where a model server listens on one of the usual ports
    server = FakeModelServer(models=("qwen3:1.7b",))
    monkeypatch.setattr(server_discovery, "USUAL_PORTS", ((server.port, "Ollama"),))
    app = launch(argparse.Namespace(model=None, demo=False))
    try:
        assert not isinstance(app.worker, ServerBrain)
        window = app.model.first_run.window
        qtbot.waitExposed(window)
        # WHEN the owner asks for a model server, the search finds it off the GUI thread
        window.findChild(QPushButton, "use-server").click()
        choice = window.server_choice
        qtbot.waitUntil(lambda: len(choice.buttons) == 1, timeout=10_000)
        assert choice.buttons[0].text() == f"Ollama at {server.url} (qwen3:1.7b)"
        # AND picks it: the pet wakes on it and the choice is saved
        with qtbot.waitSignal(app.on_greeted, timeout=20_000):
            choice.buttons[0].click()
        assert isinstance(app.worker, ServerBrain) and app.brain.worker is app.worker
        saved = yaml.safe_load((ui_app_home / "settings.yaml").read_text())
        assert saved["brain"] == "server" and saved["server_url"] == server.url
        assert saved["server_model"] == "qwen3:1.7b" and "model" not in saved
        # THEN the bubble answers through the server
        app.settings.set("max_tokens", 24)
        app.open_chat()
        assert ask(qtbot, app, "hi", TIMEOUT) == "stop"
        assert app.bubble.answer_text == "Hello there, friend."
        assert server.bodies[-1]["model"] == "qwen3:1.7b"
    finally:
        app.shutdown()
        server.close()


def test_a_model_named_at_launch_runs_here_whatever_the_brain_setting(qapp, ui_app_home):
    # `deskpet --demo` with `brain: server` saved: the owner asked for this model, here.
    (ui_app_home / "settings.yaml").write_text("brain: server\nserver_url: http://127.0.0.1:9\n")
    named = DeskpetApp(model="demo")
    try:
        assert isinstance(named.worker, InferenceWorker)
    finally:
        named.shutdown()
    chosen = DeskpetApp()
    try:
        assert isinstance(chosen.worker, ServerBrain)
    finally:
        chosen.shutdown()
