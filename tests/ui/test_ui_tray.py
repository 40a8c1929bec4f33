"""TrayMenu: actions found by object name, personas rebuilt on opening, the Agents submenu."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction

from deskpet.personas.manager import PersonaManager
from deskpet.personas.persona import shipped_dir
from deskpet.ui.tray import TrayMenu, tray_icon


@dataclass
class FakeReport:
    installed: bool
    detected: bool = True
    ok: bool = True


@pytest.fixture
def persona_folder(tmp_path):
    """Only two shipped personas, so the test can add a third while the tray runs."""
    shipped = tmp_path / "shipped"
    for persona in ("deskpet", "neko"):
        shutil.copytree(shipped_dir() / persona, shipped / persona)
    return shipped


@pytest.fixture
def tray(qtbot, persona_folder):
    statuses = {
        "claude": FakeReport(True),
        "codex": FakeReport(False),
        "cursor": FakeReport(False, False),
        "gemini": FakeReport(False, False),
    }
    personas = PersonaManager(shipped=persona_folder, owner=persona_folder.parent / "owner")
    tray = TrayMenu(personas=personas.choices, agent_status=statuses.__getitem__)
    tray.statuses = statuses
    yield tray
    tray.menu.hide()
    tray.hide()


def find(tray, name) -> QAction:
    action = tray.findChild(QAction, name) or tray.menu.findChild(QAction, name)
    assert action is not None, f"no action {name!r}"
    return action


def open_menu(qtbot, menu):
    with qtbot.waitSignal(menu.aboutToShow, timeout=2000):
        menu.popup(QPoint(10, 10))
    menu.hide()


def test_every_action_has_an_object_name(tray):
    for name in (
        "status",
        "open-chat",
        "show-pet",
        "thinking-mode",
        "do-not-disturb",
        "agents",
        "quit",
        "persona-deskpet",
        "persona-neko",
    ):
        find(tray, name)
    assert all(action.objectName() for action in tray.menu.actions())


def test_choosing_a_persona_emits_and_checks_it_alone(qtbot, tray):
    tray.set_persona("deskpet")
    with qtbot.waitSignal(tray.on_persona_chosen) as chosen:
        find(tray, "persona-neko").trigger()
    assert chosen.args == ["neko"]
    assert find(tray, "persona-neko").isChecked()
    assert not find(tray, "persona-deskpet").isChecked()


def test_thinking_and_dnd_toggle(qtbot, tray):
    with qtbot.waitSignal(tray.on_thinking_toggled) as thinking:
        find(tray, "thinking-mode").trigger()
    assert thinking.args == [True]
    with qtbot.waitSignal(tray.on_dnd_toggled) as dnd:
        find(tray, "do-not-disturb").trigger()
    assert dnd.args == [True]
    with qtbot.waitSignal(tray.on_show_toggled) as shown:
        find(tray, "show-pet").trigger()
    assert shown.args == [False]
    with qtbot.waitSignal(tray.on_open_chat):
        find(tray, "open-chat").trigger()
    with qtbot.waitSignal(tray.on_quit):
        find(tray, "quit").trigger()
    # Showing a setting from outside does not echo it back as a choice.
    with qtbot.assertNotEmitted(tray.on_thinking_toggled):
        tray.set_thinking(False)
    assert not find(tray, "thinking-mode").isChecked()


def test_personas_are_rebuilt_each_time_the_menu_opens(qtbot, tray, persona_folder):
    open_menu(qtbot, tray.menu)
    assert tray.findChild(QAction, "persona-bolt") is None
    # GIVEN a new persona folder appears while deskpet runs
    shutil.copytree(shipped_dir() / "bolt", persona_folder / "bolt")
    # WHEN the menu opens again THEN it is listed, in place, and can be chosen
    tray.set_persona("neko")
    open_menu(qtbot, tray.menu)
    names = [a.objectName() for a in tray.menu.actions() if a.objectName().startswith("persona-")]
    assert names == ["persona-deskpet", "persona-bolt", "persona-neko"]
    assert find(tray, "persona-neko").isChecked()
    with qtbot.waitSignal(tray.on_persona_chosen) as chosen:
        find(tray, "persona-bolt").trigger()
    assert chosen.args == ["bolt"]


def test_agents_submenu_shows_status_and_install_actions(qtbot, tray):
    open_menu(qtbot, tray.agents_menu)
    texts = [a.text() for a in tray.agents_menu.actions()]
    assert "Claude Code: connected" in texts
    assert "Codex: not connected" in texts and "Cursor: not found" in texts
    assert "Gemini CLI: not found" in texts
    with qtbot.waitSignal(tray.on_agent_action) as action:
        find(tray, "agent-install-codex").trigger()
    assert action.args == ["install", "codex"]
    with qtbot.waitSignal(tray.on_agent_action) as action:
        find(tray, "agent-uninstall-claude").trigger()
    assert action.args == ["uninstall", "claude"]
    # The status is read again when the submenu opens again.
    tray.statuses["codex"] = FakeReport(True)
    open_menu(qtbot, tray.agents_menu)
    assert "Codex: connected" in [a.text() for a in tray.agents_menu.actions()]


def test_the_icon_is_a_template_mask(qapp):  # an icon's pixmaps need the application
    icon = tray_icon()
    assert not icon.isNull() and icon.isMask()
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert len(sizes) == 2
