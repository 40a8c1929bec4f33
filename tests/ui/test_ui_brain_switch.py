"""Saving the brain settings switches the running pet's brain (ui/brain_switch.py), through the
app's own wiring and its settings window: stdlib model servers on loopback
(tests/helpers/fake_model_server.py), the real MLX worker and demo model for the local side,
the key in a real 0600 file in a temp DESKPET_HOME."""

from __future__ import annotations

import logging
import threading

import pytest
from helpers.bubble_chat import ask
from helpers.fake_model_server import FakeModelServer
from PySide6.QtCore import Qt

from deskpet.app import DeskpetApp
from deskpet.inference.generate import Sampling
from deskpet.inference.protocol import AdapterSwitched, ModelLoading
from deskpet.inference.server_brain import ServerBrain
from deskpet.inference.worker import InferenceWorker
from deskpet.platform import keychain

LOAD_TIMEOUT = 120_000
ANSWER_TIMEOUT = 90_000
STORY = "Write a long story about a brave little dragon."


@pytest.fixture
def servers():
    made: list[FakeModelServer] = []

    def make(*models: str) -> FakeModelServer:
        made.append(FakeModelServer(models=models))
        return made[-1]

    yield make
    for server in made:
        server.close()


def start(home, settings: str) -> DeskpetApp:
    (home / "settings.yaml").write_text(settings + "bubble_fade_seconds: 0\n")
    app = DeskpetApp(sampling=Sampling.greedy())
    app.start()
    return app


def start_long_answer(qtbot, app) -> None:
    qtbot.keyClicks(app.bubble.input, STORY)
    with qtbot.waitSignal(app.relay.on_token, timeout=ANSWER_TIMEOUT):
        qtbot.keyClick(app.bubble.input, Qt.Key.Key_Return)


def test_a_new_address_or_key_saved_in_settings_switches_servers_at_once(
    qtbot, qapp, ui_app_home, servers, monkeypatch
):
    first, second = servers("model-a"), servers("model-b")
    first.delay = 0.2  # a slow answer, still being written when the owner switches
    first.answer = ["Once", " upon", " a", " time"] * 20
    readers: list[str] = []
    real_key = keychain.server_key

    def key() -> str | None:  # the real key file, and which thread reads it
        readers.append(threading.current_thread().name)
        return real_key()

    monkeypatch.setattr(keychain, "server_key", key)
    app = start(ui_app_home, f"brain: server\nserver_url: {first.url}\nmax_tokens: 200\n")
    try:
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=10_000)
        old = app.worker
        window = app.preferences.show()
        app.open_chat()
        start_long_answer(qtbot, app)
        # WHEN the owner saves another server's address
        with qtbot.waitSignal(app.relay.on_finished, timeout=10_000) as cancelled:
            assert window.apply("server_url", second.url)
        # THEN the answer being written stops, the old brain ends, the new one answers
        assert cancelled.args[0].reason == "cancelled"
        assert first.gone.wait(5)
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=10_000)
        assert isinstance(app.worker, ServerBrain) and app.worker.url == second.url
        qtbot.waitUntil(lambda: not old.alive, timeout=10_000)
        assert app.tray.status_action.text() == "Awake with model-b"
        assert app.bubble.isVisible()
        # AND nothing of the conversation is lost: the cut answer is in the history and the
        # new server gets it with the next question
        question, partial = app.chat.history.turns(app.chat.persona)[-1][:2]
        assert question == STORY and partial == cancelled.args[0].text.strip() != ""
        assert ask(qtbot, app, "hi") == "stop"
        assert app.bubble.answer_text == "Hello there, friend."
        messages = second.bodies[-1]["messages"]
        assert {"role": "user", "content": STORY} in messages
        assert {"role": "assistant", "content": partial} in messages
        assert "Authorization" not in second.headers[-1]
        # WHEN a key is saved: the same server, asked with it from now on
        editor = window.server_key
        editor.field.setText("sk-live-switch")
        with qtbot.waitSignal(editor.on_saved, timeout=10_000):
            editor.save_button.click()
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=10_000)
        assert ask(qtbot, app, "hi again") == "stop"
        assert second.headers[-1]["Authorization"] == "Bearer sk-live-switch"
        # Each brain read the key on its own thread, never the GUI's.
        assert readers and all(name == "deskpet-server" for name in readers)
        # WHEN the address is emptied: no brain to build, the pet keeps this one and says so
        answering = app.worker
        with qtbot.waitSignal(app.switch.on_notice) as notice:
            assert window.apply("server_url", "")
        assert "not a server address" in notice.args[1] and "keeps its brain" in notice.args[1]
        assert app.worker is answering and answering.alive and app.model.info is not None
    finally:
        app.shutdown()


def test_a_key_store_that_fails_is_one_log_line_and_the_pet_still_answers(
    qtbot, qapp, ui_app_home, servers, monkeypatch, caplog
):
    class BrokenStore:
        where = "a broken store"

        def get(self, name):
            raise keychain.KeychainError("the keychain refused to read the server_api_key (51)")

    monkeypatch.setattr(keychain, "get_keychain", lambda platform=None: BrokenStore())
    server = servers("model-a")
    with caplog.at_level(logging.WARNING):
        app = start(ui_app_home, f"brain: server\nserver_url: {server.url}\nmax_tokens: 24\n")
        try:
            qtbot.waitUntil(lambda: app.model.info is not None, timeout=10_000)
            app.open_chat()
            assert ask(qtbot, app, "hi") == "stop"
        finally:
            app.shutdown()
    lines = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert "Authorization" not in server.headers[-1]


def test_local_to_server_to_local_switches_live_with_the_persona_and_the_chat(
    qtbot, qapp, ui_app_home, servers, demo_gguf
):
    server = servers("model-b")
    app = start(
        ui_app_home,
        f"model: demo\npersona: bolt\nmax_tokens: 200\nserver_url: {server.url}\n",
    )
    events: list = []
    app.relay.on_event.connect(events.append)
    try:
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=LOAD_TIMEOUT)
        local = app.worker
        assert isinstance(local, InferenceWorker)
        window = app.preferences.show()
        app.open_chat()
        start_long_answer(qtbot, app)
        # WHEN the owner chooses the server as the brain, mid-answer
        with qtbot.waitSignal(app.relay.on_finished, timeout=ANSWER_TIMEOUT) as cancelled:
            assert window.apply("brain", "server")
        assert cancelled.args[0].reason == "cancelled"
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=20_000)
        assert isinstance(app.worker, ServerBrain)
        qtbot.waitUntil(lambda: not local.alive, timeout=20_000)
        # THEN Bolt keeps talking as Bolt (with its prompt: no adapter is for the server's model)
        assert app.chat.model_source == server.url
        app.settings.set("max_tokens", 24)
        assert ask(qtbot, app, "hi") == "stop"
        messages = server.bodies[-1]["messages"]
        assert messages[0]["content"] == app.personas.get("bolt").system_prompt
        assert {"role": "user", "content": STORY} in messages  # the cut turn carried over
        # WHEN the owner goes back to the model on this computer
        served = app.worker
        switch_point = len(events)
        statuses: list[str] = []
        app.model.on_status.connect(statuses.append)
        assert window.apply("brain", "local")
        assert app.tray.status_action.text() == "Switching to the model on this computer…"
        assert app.bubble.status.text() == "Switching to the model on this computer…"
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=LOAD_TIMEOUT)
        # THEN the demo model loads again with its progress, and Bolt gets its adapter back
        assert isinstance(app.worker, InferenceWorker) and app.worker is not local
        later = events[switch_point:]
        assert any(isinstance(e, ModelLoading) for e in later)
        assert statuses[-1] == "Awake with the demo model"
        qtbot.waitUntil(
            lambda: any(
                isinstance(e, AdapterSwitched) and e.name == "bolt" for e in events[switch_point:]
            ),
            timeout=20_000,
        )
        qtbot.waitUntil(lambda: not served.alive, timeout=10_000)
        app.settings.set("max_tokens", 8)
        assert ask(qtbot, app, "What is the capital of France?") in ("stop", "length")
        assert app.bubble.answer_text.strip()
        assert app.chat.history.turns("bolt")[-1][0] == "What is the capital of France?"
    finally:
        app.shutdown()


def test_the_settings_key_field_asks_the_keychain_off_the_gui_thread(qtbot, qapp, ui_app_home):
    from deskpet.ui.server_key import ServerKeyEditor

    release = threading.Event()
    askers: list[str] = []

    class SlowKeychain(keychain.FileKeychain):
        """The real key file, behind a keychain that takes its time (a prompt on a Mac)."""

        def get(self, name):
            askers.append(threading.current_thread().name)
            release.wait(10)
            return super().get(name)

    store = SlowKeychain()
    store.set(keychain.SERVER_KEY, "sk-held")
    editor = ServerKeyEditor(store)  # returns while the keychain still thinks
    qtbot.addWidget(editor)
    assert editor.field.placeholderText() == ""
    release.set()
    qtbot.waitUntil(lambda: editor.field.placeholderText().startswith("saved"), timeout=5_000)
    assert askers == ["deskpet-key-check"]


def test_a_switch_to_a_server_that_fails_says_why_in_plain_words(
    qtbot, qapp, ui_app_home, servers, caplog
):
    # GIVEN the pet on one server, and a second that wants a key the owner has not saved
    first, locked = servers("model-a"), servers("model-b")
    locked.require_key = "sk-wanted"
    app = start(ui_app_home, f"brain: server\nserver_url: {first.url}\n")
    try:
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=10_000)
        window = app.preferences.show()
        # WHEN the owner saves the locked server's address
        with caplog.at_level(logging.WARNING):
            assert window.apply("server_url", locked.url)
            qtbot.waitUntil(lambda: app.model.first_run is not None, timeout=10_000)
        # THEN onboarding says what to check in deskpet's words; the server's text is in the
        # log only
        error = app.model.first_run.window.error
        qtbot.waitUntil(error.isVisible, timeout=5_000)
        assert error.text() == (
            f"deskpet could not load {locked.url}: "
            "My model server turned down the API key. Check it in Settings."
        )
        assert "HTTP 401" in caplog.text
        # AND a server without the model asked for says so, the same way
        locked.require_key = None
        with caplog.at_level(logging.WARNING):
            assert window.apply("server_model", "no-such-model")
            qtbot.waitUntil(lambda: "no model by that name" in error.text(), timeout=10_000)
        assert "no-such-model" in caplog.text and "no-such-model" not in error.text()
    finally:
        app.shutdown()


def test_the_failed_switch_reason_is_in_the_owners_language(qtbot, qapp, ui_app_home, servers):
    from helpers.fake_model_server import free_port

    from deskpet import i18n

    first = servers("model-a")
    gone = f"http://127.0.0.1:{free_port()}"  # nothing listens: connection refused
    app = start(ui_app_home, f"brain: server\nserver_url: {first.url}\nlanguage: zh\n")
    try:
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=10_000)
        assert app.preferences.show().apply("server_url", gone)
        qtbot.waitUntil(lambda: app.model.first_run is not None, timeout=10_000)
        error = app.model.first_run.window.error
        qtbot.waitUntil(error.isVisible, timeout=5_000)
        assert error.text() == f"deskpet 无法加载 {gone}：" + i18n.tr(
            "I can't reach my model server. Is it running?"
        )
        assert "refused" not in error.text() and "模型服务器" in error.text()
    finally:
        app.shutdown()
        i18n.set_language("en")
