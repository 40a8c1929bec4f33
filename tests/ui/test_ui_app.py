"""DeskpetApp end to end: the real worker and demo model behind the bubble, the menu, a restart.

Every test starts its own app in its own DESKPET_HOME (`app_pet`: a fresh pet, its demo model
loaded); the restart test builds its first app itself and a second one on the same folder.
Answers are greedy and short: the demo model writes about 7 tokens a second on a CPU.
"""

from __future__ import annotations

import argparse

import pytest
from helpers.bubble_chat import ask
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction

from deskpet.app import DeskpetApp
from deskpet.app_entry import run_app
from deskpet.history import History
from deskpet.inference.generate import Sampling
from deskpet.pet import State
from deskpet.settings import Settings

LOAD_TIMEOUT = 120_000
ANSWER_TIMEOUT = 90_000
FRANCE = "What is the capital of France?"


@pytest.fixture
def app_home(ui_app_home):
    """ui_app_home with short answers and no fading bubble."""
    (ui_app_home / "settings.yaml").write_text("max_tokens: 24\nbubble_fade_seconds: 0\n")
    return ui_app_home


def start_app() -> DeskpetApp:
    """A started pet on the demo model, remembering every state its machine showed."""
    app = DeskpetApp("demo", sampling=Sampling.greedy())
    app.seen_states = []
    app.machine.add_listener(lambda display: app.seen_states.append(display.state))
    app.start()
    return app


@pytest.fixture
def app_pet(qtbot, qapp, app_home, demo_gguf):
    """A fresh pet on the demo model, awake (the model loaded), in its own DESKPET_HOME."""
    app = start_app()
    try:
        qtbot.waitUntil(lambda: app.model.info is not None, timeout=LOAD_TIMEOUT)
        yield app
    finally:
        app.shutdown()


def action(app, name) -> QAction:
    found = app.tray.findChild(QAction, name) or app.tray.menu.findChild(QAction, name)
    assert found is not None, name
    return found


def test_the_chat_shortcut_opens_the_bubble_from_the_pet(qtbot, app_pet):
    app_pet.bubble.hide()
    qtbot.keyClick(
        app_pet.pet,
        Qt.Key.Key_Space,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(app_pet.bubble.isVisible, timeout=2000)


def test_the_answer_streams_into_the_bubble(qtbot, app_pet):
    app = app_pet
    # GIVEN the pet on the desktop and the chat opened from the menu
    assert app.pet.isVisible()
    action(app, "open-chat").trigger()
    assert app.bubble.isVisible()
    tokens = []
    app.relay.on_token.connect(lambda rid, conv, ev: tokens.append(ev.text))
    # WHEN the owner asks
    with qtbot.waitSignal(app.chat.on_turn_saved, timeout=ANSWER_TIMEOUT):
        reason = ask(qtbot, app, FRANCE)
    # THEN the answer was typed out (many frames, each showing more) and names Paris
    assert reason == "stop"
    assert "Paris" in app.bubble.answer_text
    assert app.bubble.shown_text == app.bubble.answer_text
    assert len(tokens) > 1 and app.bubble.render_count > 1
    # the pet thought, then talked (waking may be outranked by the question if it came first)
    assert app.model.info is not None
    assert app.seen_states.index(State.THINKING) < app.seen_states.index(State.TALKING)
    assert app.chat.history.turns("deskpet")[-1][0] == FRANCE


def test_esc_stops_the_answer_and_the_next_question_works(qtbot, app_pet):
    app = app_pet
    app.settings.set("max_tokens", 200)
    try:
        qtbot.keyClicks(app.bubble.input, "Write a long story about a brave little dragon.")
        with qtbot.waitSignal(app.relay.on_token, timeout=ANSWER_TIMEOUT):
            qtbot.keyClick(app.bubble.input, Qt.Key.Key_Return)
        with qtbot.waitSignal(app.relay.on_finished, timeout=ANSWER_TIMEOUT) as finished:
            qtbot.keyClick(app.bubble.input, Qt.Key.Key_Escape)
        assert finished.args[0].reason == "cancelled"
        assert finished.args[0].stats["generation_tokens"] < 20
        assert not app.chat.answering and not app.bubble.answering
        assert app.bubble.status.text() == "Stopped."
    finally:
        app.settings.set("max_tokens", 24)
    assert ask(qtbot, app, FRANCE) == "stop"
    assert "Paris" in app.bubble.answer_text


def test_an_answer_replaced_by_a_new_message_is_still_saved(qtbot, app_pet):
    app = app_pet
    app.settings.set("max_tokens", 200)
    dragon = "Write a long story about a brave little dragon."
    try:
        # GIVEN an answer being written
        with qtbot.waitSignal(app.relay.on_token, timeout=ANSWER_TIMEOUT):
            app.chat.send(dragon)
        # WHEN the owner asks something else before it ends
        with qtbot.waitSignal(app.chat.on_turn_saved, timeout=ANSWER_TIMEOUT):
            app.chat.send(FRANCE)
        # THEN the part the model wrote is saved with its own question, as the model keeps it
        question, answer = app.chat.history.turns(app.chat.persona)[-1]
        assert question == dragon and answer.strip()
    finally:
        app.settings.set("max_tokens", 24)
    qtbot.waitUntil(
        lambda: app.chat.history.turns(app.chat.persona)[-1][0] == FRANCE, timeout=ANSWER_TIMEOUT
    )
    assert not app.chat.answering


def test_menu_switches_persona_thinking_and_dnd(qtbot, app_pet, app_home):
    app = app_pet
    with qtbot.waitSignal(app.chat.on_persona_changed) as changed:
        action(app, "persona-neko").trigger()
    assert changed.args == ["neko"]
    assert app.chat.persona == "neko" and app.pet.theme.id == "neko"
    # The old persona's answer is gone; the new one greets the owner in its own words.
    assert app.bubble.answer_text == app.personas.get("neko").greeting.get("en")
    assert app.bubble.title.text() == "Neko"
    # Neko was trained without thinking: the menu says so and offers no switch.
    assert action(app, "thinking-mode").text() == "Thinking: off for Neko"
    assert not action(app, "thinking-mode").isEnabled()
    action(app, "persona-sage").trigger()
    with qtbot.waitSignal(app.tray.on_thinking_toggled):
        action(app, "thinking-mode").trigger()
    with qtbot.waitSignal(app.tray.on_dnd_toggled):
        action(app, "do-not-disturb").trigger()
    on_disk = Settings()
    assert on_disk.get("persona") == "sage"
    assert on_disk.get("thinking_default") is True and on_disk.get("do_not_disturb") is True
    with qtbot.waitSignal(app.tray.on_show_toggled):
        action(app, "show-pet").trigger()
    assert not app.pet.isVisible()
    action(app, "show-pet").trigger()
    assert app.pet.isVisible()


def test_switching_persona_changes_look_voice_and_greeting(qtbot, app_pet):
    from deskpet.inference.protocol import AdapterSwitched, Chat, LoadAdapter

    app = app_pet
    switched = []
    app.relay.on_event.connect(
        lambda e: switched.append(e) if isinstance(e, AdapterSwitched) else None
    )
    sent = []
    real_submit = app.worker.submit
    app.worker.submit = lambda request, **kw: (sent.append(request), real_submit(request, **kw))[1]
    try:
        action(app, "persona-bolt").trigger()
        assert app.pet.theme.id == "bolt"
        # Bolt ships an adapter for the demo model: it is loaded from the persona's folder and
        # becomes the voice.
        qtbot.waitUntil(lambda: any(e.name == "bolt" for e in switched), timeout=20_000)
        loads = [r for r in sent if isinstance(r, LoadAdapter)]
        assert loads and str(loads[-1].path).endswith("bolt/adapters/smollm2-135m-instruct")
        assert app.bubble.answer_text == app.personas.get("bolt").greeting.get("en")
        app.chat.send("Hi!")
        chat = [r for r in sent if isinstance(r, Chat)][-1]
        assert chat.system_prompt == app.personas.get("bolt").system_prompt
        qtbot.waitUntil(lambda: app.chat.request is None, timeout=ANSWER_TIMEOUT)
    finally:
        app.worker.submit = real_submit


def test_settings_action_opens_the_window_and_its_file_button_the_file(qtbot, app_pet, app_home):
    from PySide6.QtCore import QObject, QUrl, Slot
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QPushButton

    class Opener(QObject):  # stands in for the owner's editor (no desktop here)
        def __init__(self):
            super().__init__()
            self.opened = []

        @Slot(QUrl)
        def open(self, url):
            self.opened.append(url.toLocalFile())

    opener = Opener()
    before = (app_home / "settings.yaml").read_bytes()
    action(app_pet, "settings").trigger()
    window = app_pet.preferences.window
    assert window is not None and window.isVisible()
    QDesktopServices.setUrlHandler("file", opener, "open")
    try:
        window.findChild(QPushButton, "edit-settings-file").click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert opener.opened == [str(app_home / "settings.yaml")]
    assert (app_home / "settings.yaml").read_bytes() == before
    window.close()


def test_the_settings_window_and_the_menu_stay_in_step(qtbot, app_pet):
    app = app_pet
    window = app.preferences.show()
    thinking = window.editors["thinking_default"]
    was = app.settings.get("thinking_default")
    # GIVEN the window open WHEN thinking is ticked there THEN the menu's check mark follows
    thinking.click()
    assert action(app, "thinking-mode").isChecked() is (not was)
    # WHEN do-not-disturb is switched from the menu THEN the window's box follows
    dnd = action(app, "do-not-disturb")
    dnd.trigger()
    assert window.editors["do_not_disturb"].isChecked() is dnd.isChecked()
    dnd.trigger()
    thinking.click()
    assert app.settings.get("thinking_default") is was
    window.close()


def test_agents_menu_connects_an_agent(app_pet, tmp_path, monkeypatch):
    app = app_pet
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / ".claude"))
    (tmp_path / ".claude").mkdir()
    app.tray.rebuild_agents()
    assert action(app, "agent-status-claude").text() == "Claude Code: not connected"
    action(app, "agent-install-claude").trigger()
    assert "deskpet" in (tmp_path / ".claude" / "settings.json").read_text()
    app.tray.rebuild_agents()
    assert action(app, "agent-status-claude").text() == "Claude Code: connected"
    action(app, "agent-uninstall-claude").trigger()
    app.tray.rebuild_agents()
    assert action(app, "agent-status-claude").text() == "Claude Code: not connected"


def test_position_settings_and_history_survive_a_restart(qtbot, qapp, app_home, demo_gguf):
    # GIVEN a pet that answered once, was switched to neko with thinking and do-not-disturb
    # on, and was moved (as a drag leaves it)
    first = start_app()
    try:
        qtbot.waitUntil(lambda: first.model.info is not None, timeout=LOAD_TIMEOUT)
        first.open_chat()
        with qtbot.waitSignal(first.chat.on_turn_saved, timeout=ANSWER_TIMEOUT):
            ask(qtbot, first, FRANCE)
        action(first, "thinking-mode").trigger()
        action(first, "persona-neko").trigger()
        action(first, "do-not-disturb").trigger()
        first.pet.move(QPoint(120, 140))
        first.pet.remember_position()
        where = first.pet.pos()
        saved_turns = first.chat.history.turns("deskpet")
        assert saved_turns
    finally:
        # and the app quit
        first.shutdown()
    assert not first.worker.alive

    # WHEN deskpet starts again on the same data folder
    second = DeskpetApp("demo", sampling=Sampling.greedy())
    try:
        restored = []
        second.relay.on_conversation_reset.connect(lambda rid, conv: restored.append(conv))
        with qtbot.waitSignal(second.relay.on_conversation_reset, timeout=ANSWER_TIMEOUT):
            second.start()
        # THEN the pet is where it was, with the chosen persona and modes
        assert second.pet.pos() == where
        assert second.chat.persona == "neko" and second.pet.theme.id == "neko"
        assert action(second, "persona-neko").isChecked()
        # thinking is on, held off while Neko (trained without it) talks
        assert Settings().get("thinking_default") is True
        assert not action(second, "thinking-mode").isEnabled()
        assert action(second, "do-not-disturb").isChecked()
        # and the saved conversations (one per persona used) went back to the model
        qtbot.waitUntil(lambda: "deskpet" in restored, timeout=ANSWER_TIMEOUT)
        assert History(app_home / "history.sqlite3").turns("deskpet") == saved_turns
        second.chat.set_persona("deskpet")
        assert action(second, "thinking-mode").isChecked()
        second.open_chat()
        assert ask(qtbot, second, FRANCE) in ("stop", "length")
        assert second.bubble.answer_text.strip()
    finally:
        second.shutdown()
    assert not second.worker.alive


def test_quit_from_the_menu_shuts_the_worker_down(qtbot, qapp, app_home, monkeypatch):
    app = DeskpetApp("demo")
    quits = []
    monkeypatch.setattr("deskpet.app.QCoreApplication.quit", lambda: quits.append(True))
    app.start()
    with qtbot.waitSignal(app.on_shutdown):
        action(app, "quit").trigger()
    assert quits == [True] and not app.worker.alive
    assert qapp.quitOnLastWindowClosed() is False


def test_without_a_display_deskpet_says_so_in_one_line(capsys, monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert run_app(argparse.Namespace(demo=False, model=None)) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "no display" in err and "deskpet chat" in err


def test_the_pet_menu_size_and_mini_mode_through_the_app(qtbot, app_pet):
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication, QSlider

    app = app_pet
    pet = app.pet
    pet.move(300, 300)
    # GIVEN a right-click on the pet's body WHEN the desktop asks for its menu THEN it opens
    centre = QPoint(pet.width() // 2, pet.height() // 2)
    QApplication.sendEvent(
        pet,
        QContextMenuEvent(QContextMenuEvent.Reason.Mouse, centre, pet.mapToGlobal(centre)),
    )
    qtbot.waitUntil(app.pet_menu.isVisible, timeout=2000)
    # WHEN Mini Mode is picked THEN the pet tucks into the nearer edge, the item ticked
    app.pet_menu.mini_action.trigger()
    app.pet_menu.hide()
    assert app.life.mini_edge == "left" and pet.x() == -pet.width() // 2
    assert app.pet_menu.mini_action.isChecked()
    # WHEN a click lands on the tucked pet THEN it comes out and is no poke (no sessions list)
    grab = next(
        QPoint(x, y)
        for y in range(40, pet.height() - 10, 4)
        for x in range(pet.width() // 2 + 4, pet.width() - 4)
        if pet.is_opaque_at(pet.mapToGlobal(QPoint(x, y)))
    )
    qtbot.mouseClick(pet, Qt.MouseButton.LeftButton, pos=grab)
    assert app.life.mini_edge is None and pet.x() == 0
    assert State.POKED not in app.seen_states[-3:]
    # WHEN the size slider in Settings moves THEN the pet grows at once
    window = app.preferences.show()
    slider = window.findChild(QSlider, "pet-size-slider")
    slider.setValue(200)
    assert (pet.width(), pet.height()) == (200, 200)
    assert app.settings.get("pet_size") == 200
    window.close()
