"""The platform layer: macOS tricks only on macOS, a do-nothing default elsewhere."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

from deskpet.platform import DefaultPlatform, get_platform, keys
from deskpet.platform.hotkeys import HotKeys
from deskpet.settings import SHORTCUT_PATTERN, Settings
from deskpet.ui.shortcuts import ShortcutsController


@pytest.mark.skipif(sys.platform == "darwin", reason="checks the non-Mac choice")
def test_the_default_platform_is_chosen_here():
    platform = get_platform()
    assert type(platform) is DefaultPlatform
    assert platform.name == "default"
    assert platform.click_through is False


def test_other_systems_get_the_default():
    for name in ("linux", "win32", "freebsd14"):
        assert type(get_platform(name)) is DefaultPlatform


def test_macos_is_imported_only_when_asked_for():
    # A fresh interpreter: importing deskpet.platform and the pet window must not load it.
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "import deskpet.platform, deskpet.ui.pet_window\n"
        "deskpet.platform.get_platform('linux')\n"
        "assert 'deskpet.platform.macos' not in sys.modules\n"
        "assert 'objc' not in sys.modules\n"
        "assert 'deskpet.platform.hotkeys_macos' not in sys.modules\n"
        "assert 'quickmachotkey' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(importlib.util.find_spec("objc") is not None, reason="pyobjc is installed")
def test_asking_for_macos_without_pyobjc_fails_loudly():
    with pytest.raises(ImportError):
        get_platform("darwin")


def test_the_default_does_nothing(qapp, qtbot):
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    widget.setObjectName("plain")
    qtbot.addWidget(widget)
    platform = DefaultPlatform()
    platform.prepare_app(qapp)
    platform.attach_pet_window(widget, lambda _pos: True)
    platform.detach_pet_window(widget)


# -- shortcuts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "mask"),
    [
        # Qt's Ctrl is the Command key on a Mac (cmdKey 0x100), Meta is Control (0x1000).
        ("Ctrl+Shift+Space", 0x31, 0x0100 | 0x0200),
        ("Ctrl+Alt+Shift+Y", 0x10, 0x0100 | 0x0800 | 0x0200),
        ("Meta+Alt+N", 0x2D, 0x1000 | 0x0800),
        ("Shift+Ctrl+a", 0x00, 0x0100 | 0x0200),  # any order, any case
        ("Ctrl+F12", 0x6F, 0x0100),
        ("Ctrl+5", 0x17, 0x0100),  # the digit row is not in order on a Mac keyboard
        ("Alt+\\", 0x2A, 0x0800),
        ("Ctrl+Esc", 0x35, 0x0100),
    ],
)
def test_shortcut_text_becomes_the_macs_key_code_and_modifiers(text, code, mask):
    assert keys.parse(text).carbon() == (code, mask)


def test_the_key_table_covers_what_settings_accept():
    # Every key the settings' pattern lets through has a key code, and no two keys share one.
    for key in keys.CARBON_KEYCODES:
        assert re.fullmatch(SHORTCUT_PATTERN, f"Ctrl+{key}"), key
    assert len(set(keys.CARBON_KEYCODES.values())) == len(keys.CARBON_KEYCODES)
    assert keys.parse("Alt+Shift+Ctrl+Space").text == "Ctrl+Shift+Alt+Space"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Space", "needs Ctrl, Alt or Meta"),
        ("Shift+A", "Shift alone"),
        ("Ctrl+Ctrl+A", "twice"),
        ("Hyper+A", "not a modifier"),
        ("Ctrl+", "no key"),
        ("Ctrl+Shift+Home", "cannot be a shortcut"),
    ],
)
def test_shortcuts_deskpet_refuses_say_why(text, why):
    with pytest.raises(keys.ShortcutError, match=why):
        keys.parse(text)


@pytest.mark.skipif(sys.platform == "darwin", reason="checks the non-Mac choice")
def test_here_shortcuts_stay_app_wide_actions(qapp, qtbot):
    hot = get_platform().hot_keys()
    assert type(hot) is HotKeys and hot.works_in_other_apps is False
    chat = QAction("Chat…")
    hot.adopt("chat", chat)
    assert hot.bind("chat", "Ctrl+Shift+Space") == ""
    assert chat.shortcut() == QKeySequence("Ctrl+Shift+Space")
    assert chat.shortcutContext() == Qt.ShortcutContext.ApplicationShortcut


def test_a_shortcut_fires_from_a_deskpet_window(qapp, qtbot):
    hot = HotKeys()
    window = QWidget()
    qtbot.addWidget(window)
    assert hot.bind("allow", "Ctrl+Alt+Shift+Y") == ""
    window.addAction(hot.action("allow"))
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    with qtbot.waitSignal(hot.on_pressed) as pressed:
        qtbot.keyClick(
            window,
            Qt.Key.Key_Y,
            Qt.KeyboardModifier.ControlModifier
            | Qt.KeyboardModifier.AltModifier
            | Qt.KeyboardModifier.ShiftModifier,
        )
    assert pressed.args == ["allow"]


def test_inactive_shortcuts_hold_no_keys_and_a_refused_one_keeps_the_old(qapp):
    hot = HotKeys()
    assert hot.bind("chat", "Ctrl+Shift+Space") == ""
    # Allow is bound while no card shows: known, but no key is taken
    assert hot.bind("allow", "Ctrl+Alt+Shift+Y", active=False) == ""
    assert hot.keys("allow") == "Ctrl+Shift+Alt+Y"
    assert hot.action("allow").shortcut().isEmpty() and not hot.active("allow")
    assert hot.set_active("allow", True) == ""
    assert hot.action("allow").shortcut() == QKeySequence("Ctrl+Alt+Shift+Y")
    assert hot.set_active("allow", False) == ""
    assert hot.action("allow").shortcut().isEmpty()
    # a chord used by another name, or not a chord, is refused and the old one stays
    assert (
        hot.bind("allow", "Ctrl+Shift+Space") == "Ctrl+Shift+Space is already the shortcut for chat"
    )
    assert "Shift alone" in hot.bind("chat", "Shift+K")
    assert hot.keys("chat") == "Ctrl+Shift+Space" and hot.keys("allow") == "Ctrl+Shift+Alt+Y"
    assert hot.action("chat").shortcut() == QKeySequence("Ctrl+Shift+Space")
    # "" unbinds
    assert hot.bind("chat", "") == ""
    assert hot.action("chat").shortcut().isEmpty() and hot.keys("chat") == ""


class RefusingHotKeys(HotKeys):
    """The system's answer is the boundary: this one refuses every chord but the ones it holds
    free, as RegisterEventHotKey does for a chord another app registered."""

    free = {"Ctrl+Shift+Space", "Ctrl+Shift+K"}

    def _install(self, name, chord):
        if chord.text not in self.free:
            return f"{chord.text} is taken by another app"
        return super()._install(name, chord)


def test_a_chord_the_system_refuses_keeps_the_old_binding(qapp):
    hot = RefusingHotKeys()
    assert hot.bind("chat", "Ctrl+Shift+Space") == ""
    assert hot.bind("chat", "Ctrl+Alt+Space") == "Ctrl+Alt+Space is taken by another app"
    assert hot.keys("chat") == "Ctrl+Shift+Space" and hot.active("chat")
    assert hot.action("chat").shortcut() == QKeySequence("Ctrl+Shift+Space")
    assert hot.bind("chat", "Ctrl+Shift+K") == ""
    assert hot.action("chat").shortcut() == QKeySequence("Ctrl+Shift+K")


class RecordingCards:
    """The permission cards' side of the shortcuts (allow_top / deny_top), recorded."""

    def __init__(self) -> None:
        self.decided: list[str] = []

    def allow_top(self) -> None:
        self.decided.append("allow")

    def deny_top(self) -> None:
        self.decided.append("deny")


def press(qtbot, window, key):
    mods = (
        Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.AltModifier
        | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.keyClick(window, key, mods)


def test_allow_and_deny_act_on_the_top_card_only_while_one_shows(qapp, qtbot, ui_home):
    shortcuts = ShortcutsController(Settings(), DefaultPlatform())
    cards = RecordingCards()
    shortcuts.cards = cards
    shortcuts.start()
    window = QWidget()
    qtbot.addWidget(window)
    shortcuts.attach(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    # no card: the keys are not taken
    press(qtbot, window, Qt.Key.Key_Y)
    assert cards.decided == []
    assert shortcuts.hot_keys.action("allow").shortcut().isEmpty()
    # a card shows: the default keys decide it
    shortcuts.cards_showing(True)
    press(qtbot, window, Qt.Key.Key_Y)
    press(qtbot, window, Qt.Key.Key_N)
    assert cards.decided == ["allow", "deny"]
    shortcuts.cards_showing(False)
    press(qtbot, window, Qt.Key.Key_Y)
    assert cards.decided == ["allow", "deny"]


def test_a_clash_in_the_settings_is_said_once_at_start(qapp, ui_home):
    settings = Settings()
    settings.put("shortcut_deny", "Ctrl+Shift+Space")  # the chat's keys
    shortcuts = ShortcutsController(settings, DefaultPlatform())
    notices = []
    shortcuts.on_notice.connect(lambda title, text: notices.append((title, text)))
    shortcuts.start()
    assert notices == [("deskpet shortcuts", "Ctrl+Shift+Space is already the shortcut for chat")]
    assert shortcuts.hot_keys.keys("chat") == "Ctrl+Shift+Space"
    assert shortcuts.hot_keys.keys("deny") == ""
