"""The sessions at a glance: the list beside the pet, the tray's Sessions menu, the single click
that opens it (never the first click of a double-click), and the busy look, offscreen.

Sessions come from real agent payloads (tests/bridge/fixtures), normalized by events.from_payload
and folded by a SessionTracker on a fake clock; the app-level tests feed them through the app's
own AgentsController.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from deskpet.bridge import events
from deskpet.bridge.sessions import SessionTracker
from deskpet.pet import BUSY, Display, State
from deskpet.ui.sessions_list import EMPTY_TEXT, SessionsList, elapsed, row_texts
from deskpet.ui.tray import TrayMenu

FIXTURES = Path(__file__).parents[1] / "bridge" / "fixtures"
CENTRE = QPoint(64, 64)  # an opaque pixel of the default pet


class FakeClock:
    def __init__(self) -> None:
        self.t = 5000.0

    def __call__(self) -> float:
        return self.t


def payload_event(name: str, project: str) -> events.AgentEvent:
    """A real payload from the fixtures, in the owner's project folder, normalized."""
    payload = json.loads((FIXTURES / name).read_text())
    payload["cwd"] = f"/Users/USER/code/{project}"
    return events.from_payload(name.split("_")[0], payload)


THREE = (
    ("claude_pretooluse_bash.json", "webshop", 95.0),
    ("codex_hook_userpromptsubmit.json", "api-server", 12.0),
    ("gemini_notification_toolpermission.json", "notes", 3.0),
)


@pytest.fixture
def three(qapp):
    clock = FakeClock()
    tracker = SessionTracker(clock=clock)
    for name, project, _ in THREE:
        tracker.feed(payload_event(name, project))
        clock.t += 10
    return tracker, clock


@pytest.fixture
def pet(qtbot):
    """Something for the list to stand beside (a plain window where the pet would be)."""
    widget = QWidget()
    widget.setObjectName("stand-in-pet")
    widget.resize(128, 128)
    widget.move(200, 300)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def shown_rows(view: SessionsList) -> list[tuple[str, str]]:
    return [
        (
            row.findChild(QLabel, "session-who").text(),
            row.findChild(QLabel, "session-state").text(),
        )
        for row in view.rows
    ]


def open_list(qtbot, tracker, pet, linger_ms=60_000) -> SessionsList:
    view = SessionsList(tracker.live, linger_ms=linger_ms)
    qtbot.addWidget(view)
    view.anchor_to(pet)
    view.open()
    qtbot.waitExposed(view)
    return view


def test_the_list_shows_three_sessions_from_three_agents(qtbot, three, pet, tmp_path):
    tracker, _ = three
    view = open_list(qtbot, tracker, pet)
    # Most urgent first; each row: agent and project, then state and time in that state.
    assert shown_rows(view) == [
        ("Gemini CLI · notes", "needs you: Shell · 10 s"),
        ("Claude Code · webshop", "working: Bash · 30 s"),
        ("Codex · api-server", "thinking · 20 s"),
    ]
    for label in view.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText
    # Beside the pet, not over it.
    assert not view.frameGeometry().intersects(pet.frameGeometry())
    # docs/sessions-list.png is this picture.
    assert view.grab().save(str(tmp_path / "sessions-list.png"))


def test_the_times_count_up_while_the_list_shows(qtbot, three, pet):
    tracker, clock = three
    view = open_list(qtbot, tracker, pet)
    clock.t += 60
    view.refresh()
    assert shown_rows(view)[1] == ("Claude Code · webshop", "working: Bash · 1 min")


def test_go_to_terminal_names_the_session_and_closes_the_list(qtbot, three, pet):
    tracker, _ = three
    view = open_list(qtbot, tracker, pet)
    button = view.rows[1].findChild(QPushButton, "go-to-terminal")
    with qtbot.waitSignal(view.on_go_to_terminal) as asked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == ["65ced290-2a08-43de-aa80-d0b049d7ce30"]
    assert not view.isVisible()


def test_a_click_elsewhere_closes_the_list_a_click_on_the_pet_does_not(qtbot, three, pet):
    tracker, _ = three
    elsewhere = QWidget()
    elsewhere.setObjectName("elsewhere")
    elsewhere.resize(100, 100)
    elsewhere.move(900, 100)
    qtbot.addWidget(elsewhere)
    elsewhere.show()
    qtbot.waitExposed(elsewhere)
    view = open_list(qtbot, tracker, pet)
    qtbot.mouseClick(pet, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert view.isVisible()  # the pet's own click decides (it toggles the list)
    with qtbot.waitSignal(view.on_closed, timeout=1000):
        qtbot.mouseClick(elsewhere, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert not view.isVisible()


def test_the_list_closes_by_itself_when_left_unhovered(qtbot, three, pet):
    tracker, _ = three
    view = open_list(qtbot, tracker, pet, linger_ms=50)
    with qtbot.waitSignal(view.on_closed, timeout=2000):
        pass
    assert not view.isVisible()


def test_no_sessions_is_one_plain_line(qtbot, pet):
    view = open_list(qtbot, SessionTracker(clock=FakeClock()), pet)
    assert view.rows == []
    assert view.empty.isVisible() and view.empty.text() == EMPTY_TEXT


def test_the_toggle_opens_and_closes(qtbot, three, pet):
    tracker, _ = three
    view = SessionsList(tracker.live)
    qtbot.addWidget(view)
    view.anchor_to(pet)
    view.toggle()
    assert view.isVisible()
    view.toggle()
    assert not view.isVisible()


def test_elapsed_words():
    assert [elapsed(s) for s in (0, 59, 60, 3599, 3600, 3660 * 2)] == [
        "0 s",
        "59 s",
        "1 min",
        "59 min",
        "1 h",
        "2 h 2 min",
    ]


# -- the tray ------------------------------------------------------------------------------------


def test_the_tray_lists_the_same_sessions(qtbot, three):
    tracker, _ = three
    tray = TrayMenu(personas=lambda: [], agent_status=lambda _a: None, sessions=tracker.live)
    tray.rebuild_sessions()
    actions = tray.sessions_menu.actions()
    assert [a.objectName() for a in actions] == ["session-0", "session-1", "session-2"]
    assert [a.text() for a in actions] == [" — ".join(row_texts(v)) for v in tracker.live()]
    assert actions[0].text() == "Gemini CLI · notes — needs you: Shell · 10 s"
    assert tray.sessions_menu.title() == "Sessions (3)"
    with qtbot.waitSignal(tray.on_go_to_terminal) as asked:
        tray.findChild(QAction, "session-1").trigger()
    assert asked.args == ["65ced290-2a08-43de-aa80-d0b049d7ce30"]


def test_a_tray_row_shows_an_ampersand_as_written(qtbot):
    clock = FakeClock()
    tracker = SessionTracker(clock=clock)
    tracker.feed(payload_event("codex_hook_userpromptsubmit.json", "R&D"))
    tray = TrayMenu(personas=lambda: [], agent_status=lambda _a: None, sessions=tracker.live)
    tray.rebuild_sessions()
    [row] = tray.sessions_menu.actions()
    assert row.text() == "Codex · R&&D — thinking · 0 s"  # Qt shows "&&" as one "&"


def test_the_tray_says_when_there_are_no_sessions(qtbot):
    tray = TrayMenu(personas=lambda: [], agent_status=lambda _a: None)
    tray.rebuild_sessions()
    [only] = tray.sessions_menu.actions()
    assert (only.objectName(), only.text(), only.isEnabled()) == ("session-none", EMPTY_TEXT, False)


# -- the pet's single click ----------------------------------------------------------------------


def test_a_single_click_waits_out_the_double_click_interval(qtbot, ui_pet_window):
    w = ui_pet_window
    with qtbot.waitSignal(w.on_single_clicked, timeout=3000):
        with qtbot.waitSignal(w.on_clicked, timeout=1000):
            qtbot.mouseClick(w, Qt.MouseButton.LeftButton, pos=CENTRE)


def test_a_double_click_is_never_a_single_click(qtbot, ui_pet_window):
    w = ui_pet_window
    singles = []
    w.on_single_clicked.connect(lambda: singles.append(1))
    with qtbot.waitSignal(w.on_double_clicked, timeout=1000):
        qtbot.mousePress(w, Qt.MouseButton.LeftButton, pos=CENTRE)
        qtbot.mouseRelease(w, Qt.MouseButton.LeftButton, pos=CENTRE)
        qtbot.mouseDClick(w, Qt.MouseButton.LeftButton, pos=CENTRE)
    qtbot.wait(QGuiApplication.styleHints().mouseDoubleClickInterval() + 100)
    assert singles == []


# -- in the app: the controller's sessions, the click, the bell, the busy look ------------------


@pytest.fixture
def app(qtbot, qapp, tmp_path, monkeypatch):
    """The real app, not started (no model, no socket): its controllers and windows only."""
    from deskpet.app import DeskpetApp
    from deskpet.platform import DefaultPlatform

    (tmp_path / "h").mkdir()
    monkeypatch.setenv("DESKPET_HOME", str(tmp_path / "d"))
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    app = DeskpetApp("demo", platform=DefaultPlatform())
    app.pet.show()
    qtbot.waitExposed(app.pet)
    try:
        yield app
    finally:
        app.shutdown()


def test_a_click_on_the_pet_lists_the_controllers_sessions(qtbot, app):
    for name, project, _ in THREE[:2]:
        app.agents.feed(payload_event(name, project))
    with qtbot.waitSignal(app.pet.on_single_clicked, timeout=3000):
        qtbot.mouseClick(app.pet, Qt.MouseButton.LeftButton, pos=CENTRE)
    assert app.sessions_list.isVisible()
    assert [who for who, _ in shown_rows(app.sessions_list)] == [
        "Claude Code · webshop",
        "Codex · api-server",
    ]
    # A second click on the pet closes it again.
    with qtbot.waitSignal(app.pet.on_single_clicked, timeout=3000):
        qtbot.mouseClick(app.pet, Qt.MouseButton.LeftButton, pos=CENTRE)
    assert not app.sessions_list.isVisible()


def test_go_to_terminal_from_a_row_or_the_tray_reaches_the_agents_controller(qtbot, app):
    # These sessions' hooks recorded no terminal: the answer says so, whoever asked.
    name, project, _ = THREE[0]
    event = payload_event(name, project)
    app.agents.feed(event)
    for ask in (app.sessions_list.on_go_to_terminal, app.tray.on_go_to_terminal):
        with qtbot.waitSignal(app.agents.on_jumped, timeout=5000) as jumped:
            ask.emit(event.session)
        assert not jumped.args[0].ok


def test_a_click_that_answers_the_bell_opens_no_list(qtbot, app):
    app.agents.feed(payload_event("gemini_notification_toolpermission.json", "notes"))
    app.machine.tick()
    assert app.machine.state is State.ATTENTION
    with qtbot.waitSignal(app.pet.on_single_clicked, timeout=3000):
        qtbot.mouseClick(app.pet, Qt.MouseButton.LeftButton, pos=CENTRE)
    assert app.machine.state is not State.ATTENTION
    assert not app.sessions_list.isVisible()


def test_two_sessions_working_make_the_pet_look_busy(qtbot, app):
    app.agents.feed(payload_event("claude_pretooluse_bash.json", "webshop"))
    app.machine.tick()
    assert app.machine.display == Display(State.WORKING, "shell")
    assert app.pet.display == app.machine.display
    # WHEN a second agent starts a tool, THEN the pet shows the busy look (after the working
    # look's minimum time: variants never flicker)
    app.agents.feed(payload_event("codex_hook_pretooluse_bash.json", "api-server"))
    qtbot.waitUntil(lambda: app.machine.tick().variant == BUSY, timeout=4000)
    assert app.pet.display == Display(State.WORKING, BUSY)
    assert app.pet.player.animation.name == "working_busy"
    assert app.pet.player.animation.theme_id == "deskpet"


def test_sessions_starting_work_never_bring_back_a_bell_already_answered(qtbot, app):
    # GIVEN a bell the owner answered, while one other agent works
    app.agents.feed(payload_event("claude_pretooluse_bash.json", "webshop"))
    app.agents.feed(payload_event("gemini_notification_toolpermission.json", "notes"))
    app.machine.tick()
    assert app.machine.state is State.ATTENTION
    app.machine.click()
    assert app.machine.state is not State.ATTENTION
    # WHEN a second agent starts working (the working count crosses the busy line)
    app.agents.feed(payload_event("codex_hook_pretooluse_bash.json", "api-server"))
    app.agents.tick()
    # THEN the answered bell stays answered, also once the poke is over
    later = time.monotonic() + 5
    assert app.machine.tick(later).state is not State.ATTENTION
