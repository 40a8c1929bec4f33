"""Go to terminal from the pet: the tray's "needs you" line offers it while an agent waits, and
the agents controller brings the waiting session's tmux pane forward (a real tmux server), off
the GUI thread, saying in the bubble why when it cannot."""

from __future__ import annotations

import pytest
from helpers.tmux_server import needs_tmux, tmux_server
from PySide6.QtGui import QAction

from deskpet.bridge import events as ev
from deskpet.bridge.events import AgentEvent, Tool
from deskpet.bridge.terminal import JumpResult, Terminal
from deskpet.inference.generate import Sampling
from deskpet.pet import PetMachine
from deskpet.platform import DefaultPlatform
from deskpet.settings import Settings
from deskpet.ui.agents_controller import AgentsController
from deskpet.ui.relay import Relay
from deskpet.ui.tray import TrayMenu

WAITING = "Claude · myproject needs you"


@pytest.fixture
def tray(qtbot, ui_home):
    menu = TrayMenu(lambda: [("deskpet", "deskpet")], agent_status=lambda agent: None)
    yield menu
    menu.hide()


@pytest.fixture
def controller(qtbot, ui_home):
    """The real controller, listening to nothing (events are fed to it), model-free: narration
    is off, so it never asks the brain; do-not-disturb keeps the bell silent."""
    (ui_home / "settings.yaml").write_text("do_not_disturb: true\nnarration: false\n")
    said: list[str] = []
    agents = AgentsController(
        Relay(),
        None,
        PetMachine(),
        Settings.load(ui_home / "settings.yaml"),
        DefaultPlatform(),
        say=said.append,
        may_speak=lambda: False,
        pet_visible=lambda: True,
        style=lambda: "",
        sampling=Sampling.greedy,
    )
    agents.said = said
    yield agents
    agents.stop()


def action(tray: TrayMenu) -> QAction:
    found = tray.findChild(QAction, "go-to-terminal")
    assert found is not None
    return found


def permission(session: str, where: Terminal | None) -> AgentEvent:
    return AgentEvent(
        "claude",
        "hook",
        ev.PERMISSION_REQUEST,
        session,
        tool=Tool("Bash", "shell", "rm"),
        project="myproject",
        terminal=where,
    )


def test_go_to_terminal_is_offered_only_while_an_agent_waits(qtbot, tray):
    # GIVEN nobody waits THEN the menu does not offer it
    assert not action(tray).isEnabled() and not action(tray).isVisible()
    # WHEN an agent needs the owner THEN it is offered under that line, and a click asks for it
    tray.set_attention(WAITING)
    assert action(tray).isEnabled() and action(tray).isVisible()
    assert tray.menu.actions().index(action(tray)) == 1  # right under the status line
    with qtbot.waitSignal(tray.on_go_to_waiting_terminal, timeout=1000):
        action(tray).trigger()
    # WHEN it was answered THEN it goes again
    tray.set_attention("")
    assert not action(tray).isEnabled() and not action(tray).isVisible()


@needs_tmux
def test_the_needs_you_line_brings_the_waiting_sessions_pane_forward(qtbot, tray, controller):
    with tmux_server() as tmux:
        # GIVEN Claude waits in pane %0 while the owner looks at another window
        controller.on_attention.connect(tray.set_attention)
        tray.on_go_to_waiting_terminal.connect(controller.go_to_waiting_terminal)
        controller.feed(permission("s1", Terminal(tmux_socket=tmux.socket, tmux_pane="%0")))
        assert tray.attention == WAITING and action(tray).isEnabled()
        assert tmux.current() != "%0"
        # WHEN the owner clicks Go to Terminal in the menu
        with qtbot.waitSignal(controller.on_jumped, timeout=10_000) as jumped:
            action(tray).trigger()
        # THEN the pane is in front, and nothing is said (it worked)
        assert jumped.args == [JumpResult(True, "tmux pane %0 selected")]
        assert tmux.current() == "%0"
        assert controller.said == []


@needs_tmux
def test_a_card_or_row_asks_by_session_and_a_failure_is_said_in_one_line(qtbot, controller):
    with tmux_server() as tmux:
        controller.feed(permission("s1", Terminal(tmux_socket=tmux.socket, tmux_pane="%2")))
        tmux("select-window", "-t", "w:0")
        with qtbot.waitSignal(controller.on_jumped, timeout=10_000):
            controller.go_to_terminal("s1")
        assert tmux.current() == "%2"
        # a pane that has gone since: the bubble says why
        tmux("kill-pane", "-t", "%2")
        with qtbot.waitSignal(controller.on_jumped, timeout=10_000) as jumped:
            controller.go_to_terminal("s1")
        assert not jumped.args[0].ok
        assert len(controller.said) == 1 and "\n" not in controller.said[0]
        assert controller.said[0].startswith("I can't go to that terminal: tmux could not select")


def test_a_session_whose_terminal_is_unknown_says_so(qtbot, controller):
    controller.feed(permission("s2", None))  # e.g. a Codex rollout: no hook, no terminal
    with qtbot.waitSignal(controller.on_jumped, timeout=10_000):
        controller.go_to_waiting_terminal()
    assert controller.said == [
        "I can't go to that terminal: deskpet does not know this session's terminal yet"
    ]
