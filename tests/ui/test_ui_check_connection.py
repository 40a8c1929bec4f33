"""Settings → Check connection: the doctor runs off the GUI thread and its findings show in the
window; the tray offers the check while something is wrong. Real hooks, a real socket."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QLabel, QPushButton

from deskpet.bridge import installers
from deskpet.bridge.server import BridgeServer
from deskpet.platform import DefaultPlatform
from deskpet.settings import Settings
from deskpet.ui.settings_controller import SettingsController
from deskpet.ui.settings_window import ERROR_STYLE

CHECK_TIMEOUT = 30_000


@pytest.fixture
def controller(qtbot, ui_agents_home):
    controller = SettingsController(Settings(), DefaultPlatform(), personas=lambda: [])
    yield controller
    controller.close()


def check(qtbot, controller):
    window = controller.show()
    qtbot.waitExposed(window)
    button = window.findChild(QPushButton, "check-connection")
    with qtbot.waitSignal(controller.on_connection_checked, timeout=CHECK_TIMEOUT) as done:
        button.click()
        # THEN the GUI thread is free while the doctor runs: the button says so at once
        assert not button.isEnabled() and button.text() == "Checking…"
    assert button.isEnabled()
    return done.args[0], window.findChild(QLabel, "connection-findings").text()


def test_check_connection_with_a_running_pet(qtbot, controller, ui_agents_home):
    assert installers.install("claude").ok
    threads = []
    with BridgeServer(lambda _event: None) as bridge:
        bridge.about = lambda: threads.append(threading.current_thread()) or {"model": "demo"}
        result, shown = check(qtbot, controller)
    assert result.healthy, result.lines()
    assert (
        "<br>ok claude: the hook in ~/.claude/settings.json runs and its test event arrives<br>"
        in (shown)
    )
    assert shown.endswith("<br>All good.") and ERROR_STYLE not in shown
    assert threading.main_thread() not in threads


def test_check_connection_without_hooks_says_what_to_do(qtbot, controller):
    result, shown = check(qtbot, controller)
    assert not result.healthy
    # THEN the failed line, and only failed lines, are in the error colour
    failed = "!! claude: deskpet's hooks are not installed: run `deskpet agents install claude`"
    assert f'<span style="{ERROR_STYLE}">{failed}' in shown
    assert "Something needs fixing (the lines marked !!).</span>" in shown
    assert "<br>-- codex: Codex is not on this computer<br>" in shown
