"""The pet's right-click menu offscreen: it opens on the pet's body only, every item is there by
object name, and each does what the same item in the menu bar does (the tray's actions)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction, QContextMenuEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu

from deskpet.personas.manager import PersonaManager
from deskpet.platform import DefaultPlatform
from deskpet.settings import Settings
from deskpet.ui.pet_life import PetLife
from deskpet.ui.pet_menu import PetMenu, screen_label
from deskpet.ui.pet_window import PetWindow
from deskpet.ui.tray import TrayMenu

ITEMS = [
    "open-chat",
    "sessions",
    "pet-persona",
    "do-not-disturb",
    "mini-mode",
    "hide-pet",
    "send-to-display",
    "bring-to-main-display",
    "settings",
    "quit",
]


@pytest.fixture
def menus(qtbot, ui_home):
    personas = PersonaManager()
    tray = TrayMenu(personas=personas.choices, agent_status=lambda _a: None)
    menu = PetMenu(tray)
    yield tray, menu
    menu.hide()
    tray.menu.hide()
    tray.hide()


def named(menu: QMenu) -> list[str]:
    return [a.objectName() for a in menu.actions() if not a.isSeparator()]


def test_every_item_is_there_in_order(menus):
    _tray, menu = menus
    assert menu.objectName() == "pet-menu"
    assert named(menu) == ITEMS


def test_items_are_the_tray_actions_and_emit_its_signals(qtbot, menus):
    tray, menu = menus
    act = {a.objectName(): a for a in menu.actions()}
    assert act["open-chat"] is tray.chat_action  # one action: both menus stay in step
    with qtbot.waitSignal(tray.on_open_chat, timeout=1000):
        act["open-chat"].trigger()
    with qtbot.waitSignal(tray.on_dnd_toggled, timeout=1000) as dnd:
        act["do-not-disturb"].trigger()
    assert dnd.args == [True] and tray.dnd_action.isChecked()
    with qtbot.waitSignal(tray.on_open_settings, timeout=1000):
        act["settings"].trigger()
    with qtbot.waitSignal(tray.on_quit, timeout=1000):
        act["quit"].trigger()
    with qtbot.waitSignal(tray.on_show_toggled, timeout=1000) as shown:
        act["hide-pet"].trigger()
    assert shown.args == [False] and not tray.show_action.isChecked()
    with qtbot.waitSignal(menu.on_mini_toggled, timeout=1000) as mini:
        act["mini-mode"].trigger()
    assert mini.args == [True]
    menu.set_mini(False)
    assert not menu.mini_action.isChecked()


def test_persona_submenu_lists_the_personas_and_picks_through_the_tray(qtbot, menus):
    tray, menu = menus
    tray.set_persona("deskpet")
    menu.persona_menu.aboutToShow.emit()
    items = {a.objectName(): a for a in menu.persona_menu.actions()}
    assert "pet-persona-neko" in items and items["pet-persona-deskpet"].isChecked()
    with qtbot.waitSignal(tray.on_persona_chosen, timeout=1000) as chosen:
        items["pet-persona-neko"].trigger()
    assert chosen.args == ["neko"]
    # Opening again rebuilds the list (no duplicates) with the new choice ticked.
    menu.persona_menu.aboutToShow.emit()
    again = [a for a in menu.persona_menu.actions() if a.isChecked()]
    assert [a.objectName() for a in again] == ["pet-persona-neko"]
    assert len(menu.persona_menu.actions()) == len(items)


def test_sessions_submenu_is_the_tray_list(menus):
    tray, menu = menus
    sessions = next(a for a in menu.actions() if a.objectName() == "sessions")
    assert sessions.menu() is tray.sessions_menu
    tray.sessions_menu.aboutToShow.emit()
    assert [a.objectName() for a in tray.sessions_menu.actions()] == ["session-none"]


def test_displays_submenu_lists_each_screen_and_sends_the_pet(qtbot, menus):
    _tray, menu = menus
    menu.aboutToShow.emit()
    screens = QGuiApplication.screens()
    items = menu.displays_menu.actions()
    assert [a.objectName() for a in items] == [f"display-{i}" for i in range(len(screens))]
    assert items[0].text() == screen_label(
        screens[0], screens[0] is QGuiApplication.primaryScreen()
    )
    assert menu.displays_menu.isEnabled() == (len(screens) > 1)
    with qtbot.waitSignal(menu.on_send_to_screen, timeout=1000) as sent:
        items[0].trigger()
    assert sent.args == [screens[0]]
    main = next(a for a in menu.actions() if a.objectName() == "bring-to-main-display")
    with qtbot.waitSignal(menu.on_send_to_screen, timeout=1000) as home:
        main.trigger()
    assert home.args == [QGuiApplication.primaryScreen()]


def test_a_right_click_on_the_body_asks_for_the_menu_and_a_transparent_one_does_not(qtbot, ui_home):
    pet = PetWindow(platform=DefaultPlatform())
    qtbot.addWidget(pet)
    pet.show()
    qtbot.waitExposed(pet)
    pet.move(200, 200)
    # What a desktop's window system sends for a right-click (offscreen Qt sends none itself).
    with qtbot.waitSignal(pet.on_menu_requested, timeout=1000) as asked:
        QApplication.sendEvent(
            pet,
            QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(64, 64), QPoint(264, 264)),
        )
    assert asked.args == [QPoint(264, 264)]
    with qtbot.assertNotEmitted(pet.on_menu_requested):
        QApplication.sendEvent(
            pet, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(2, 2), QPoint(202, 202))
        )


def test_the_mini_item_tucks_the_pet_and_brings_it_out(qtbot, ui_home):
    settings = Settings()
    personas = PersonaManager()
    tray = TrayMenu(personas=personas.choices, agent_status=lambda _a: None)
    menu = PetMenu(tray)
    pet = PetWindow(settings=settings, platform=DefaultPlatform())
    qtbot.addWidget(pet)
    life = PetLife(pet, settings)
    # As app.py wires them.
    menu.on_mini_toggled.connect(lambda on: life.enter_mini() if on else life.leave_mini())
    life.on_mini_changed.connect(menu.set_mini)
    pet.show()
    qtbot.waitExposed(pet)
    pet.move(150, 300)
    mini: QAction = menu.mini_action
    mini.trigger()
    assert life.mini_edge == "left" and pet.x() == -64 and mini.isChecked()
    mini.trigger()
    assert life.mini_edge is None and pet.x() == 0 and not mini.isChecked()
    tray.hide()
