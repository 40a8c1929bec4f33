"""Hooks that survive other tools: the running pet notices another program rewriting an agent's
settings without deskpet's hooks, says so once and offers Reconnect; it never puts them back by
itself and never mistakes the owner's own uninstall (or one event taken out) for that.

A real AgentsController on a real socket in a throwaway HOME, its one-second clock running;
the "other program" writes the file as any program would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QAction

from deskpet.bridge import installers
from deskpet.bridge.events import TOOL_START, AgentEvent
from deskpet.bridge.hooks_watch import HooksWatch
from deskpet.pet import PetMachine
from deskpet.platform import DefaultPlatform
from deskpet.settings import Settings
from deskpet.ui.agents_controller import SILENT_HOOKS_SECONDS, TICK_MS, AgentsController
from deskpet.ui.relay import Relay
from deskpet.ui.tray import TrayMenu


@pytest.fixture
def settings_file(ui_agents_home) -> Path:
    """Claude Code's settings with the owner's own key and deskpet's hooks installed."""
    path = ui_agents_home / ".claude" / "settings.json"
    path.write_text(json.dumps({"model": "opus"}, indent=2))
    assert installers.install("claude").ok
    return path


@pytest.fixture
def pet(qtbot, ui_agents_home, settings_file):
    """The agents' side of a running pet, started (socket, rollouts, clock)."""
    controller = AgentsController(
        Relay(),
        None,  # no model: nothing here narrates
        PetMachine(),
        Settings(),
        DefaultPlatform(),
        say=lambda _line: None,
        may_speak=lambda: False,
        pet_visible=lambda: True,
        style=lambda: "",
        sampling=lambda: None,
    )
    controller.notices = []
    controller.on_notice.connect(lambda title, text: controller.notices.append((title, text)))
    controller.start()
    yield controller
    controller.stop()


def another_program_rewrites(path: Path, data: dict) -> None:
    """What a profile switcher does: the whole file, written anew."""
    path.write_text(json.dumps(data, indent=4))


def lost_notices(pet) -> list[str]:
    return [title for title, _text in pet.notices if "no longer tells deskpet" in title]


def test_a_rewrite_without_deskpets_hooks_is_said_once_and_reconnect_reinstalls(
    qtbot, pet, settings_file
):
    # GIVEN a running pet WHEN another program rewrites settings.json without deskpet's hooks
    with qtbot.waitSignal(pet.on_lost_hooks, timeout=5 * TICK_MS) as lost:
        another_program_rewrites(settings_file, {"model": "sonnet"})
    # THEN the pet says so once, offers Reconnect, and has not put anything back
    assert lost.args == [["claude"]]
    assert lost_notices(pet) == ["Claude Code no longer tells deskpet what it does"]
    assert "Reconnect Claude Code" in pet.notices[-1][1]
    for _ in range(3):
        pet.tick()
    assert len(lost_notices(pet)) == 1
    assert "deskpet" not in settings_file.read_text()
    # WHEN the owner chooses Reconnect THEN the hooks are back and nothing is pending
    with qtbot.waitSignal(pet.on_lost_hooks) as cleared:
        pet.reconnect("claude")
    assert cleared.args == [[]]
    assert installers.status("claude").installed
    assert json.loads(settings_file.read_text())["model"] == "sonnet"
    pet.tick()
    assert len(lost_notices(pet)) == 1


def test_a_second_rewrite_after_reconnect_is_said_again_never_fought(qtbot, pet, settings_file):
    another_program_rewrites(settings_file, {})
    pet.tick()
    pet.reconnect("claude")
    another_program_rewrites(settings_file, {"theme": "dark"})
    pet.tick()
    pet.tick()
    assert len(lost_notices(pet)) == 2
    assert "deskpet" not in settings_file.read_text()  # never re-added on its own


def test_clicking_the_notice_reconnects(pet, settings_file):
    another_program_rewrites(settings_file, {"model": "haiku"})
    pet.tick()
    title = lost_notices(pet)[0]
    pet.notice_clicked("deskpet agents")  # another notice: nothing happens
    assert "deskpet" not in settings_file.read_text()
    pet.notice_clicked(title)
    assert installers.status("claude").installed and pet.lost_hooks == []


def test_the_owners_uninstall_in_the_menu_is_no_news(pet, settings_file):
    pet.change_hooks("uninstall", "claude")
    pet.tick()
    assert lost_notices(pet) == []
    assert pet.lost_hooks == []


def test_the_owners_uninstall_from_the_command_line_is_no_news(qtbot, pet, settings_file):
    # Another process (the CLI) uninstalls while the pet watches.
    done = subprocess.run(
        [sys.executable, "-m", "deskpet", "agents", "uninstall", "claude"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    assert "deskpet" not in settings_file.read_text()
    qtbot.wait(2 * TICK_MS)  # the real clock ticks over the change
    pet.tick()
    assert lost_notices(pet) == []


def test_removing_one_event_is_no_news(pet, settings_file):
    data = json.loads(settings_file.read_text())
    del data["hooks"]["Stop"]
    another_program_rewrites(settings_file, data)
    pet.tick()
    assert lost_notices(pet) == []
    assert installers.status("claude").files[settings_file] == installers.OUTDATED


def test_a_file_deskpet_never_installed_into_is_no_news(ui_agents_home):
    watch = HooksWatch()
    settings = ui_agents_home / ".claude" / "settings.json"
    another_program_rewrites(settings, {"hooks": {}})
    watch.poll()
    another_program_rewrites(settings, {"model": "opus"})
    assert watch.poll() == []


def test_unchanged_files_are_only_stat_ed(settings_file):
    watch = HooksWatch()
    watch.poll()
    first = watch.reads
    for _ in range(20):
        assert watch.poll() == []
    assert watch.reads == first  # nothing read again: the per-tick cost is a few stats


def test_a_huge_rewritten_file_is_not_parsed_on_the_tick(settings_file, monkeypatch):
    import deskpet.bridge.hooks_watch as hooks_watch

    watch = HooksWatch()
    watch.poll()
    # GIVEN another program leaves a settings file over the bound (the bound lowered for the test)
    monkeypatch.setattr(hooks_watch, "MAX_WATCHED_BYTES", 64)
    another_program_rewrites(settings_file, {"model": "opus", "padding": "x" * 200})
    parsed = []
    monkeypatch.setattr(installers.Target, "load", lambda self: parsed.append(self) or ({}, {}))
    # THEN the tick only stats it: no parse, and no news it cannot vouch for
    assert watch.poll() == [] and parsed == []


def codex_event(source: str) -> AgentEvent:
    return AgentEvent(agent="codex", source=source, kind=TOOL_START, session="s1", turn=source)


def quiet_controller(clock) -> AgentsController:
    return AgentsController(
        Relay(),
        None,
        PetMachine(),
        Settings(),
        DefaultPlatform(),
        say=lambda _line: None,
        may_speak=lambda: False,
        pet_visible=lambda: True,
        style=lambda: "",
        sampling=lambda: None,
        clock=clock,
    )


def test_codex_working_with_installed_hooks_that_never_run_is_trouble(qtbot, ui_agents_home):
    # GIVEN Codex's hooks installed, and Codex working (its session files) with no hook heard
    (ui_agents_home / ".codex").mkdir()
    assert installers.install("codex").ok
    now = [1000.0]
    controller = quiet_controller(lambda: now[0])
    silent = []
    controller.on_silent_hooks.connect(silent.append)
    controller.feed(codex_event("rollout"))
    now[0] += SILENT_HOOKS_SECONDS - 1
    controller.tick()
    assert silent == []
    # WHEN it goes on that way past the grace THEN the pet says so, once
    now[0] += 2
    controller.tick()
    controller.feed(codex_event("rollout"))
    now[0] += 2 * SILENT_HOOKS_SECONDS
    controller.tick()
    assert silent == ["codex"]


def test_codex_whose_hooks_run_is_no_trouble(qtbot, ui_agents_home):
    (ui_agents_home / ".codex").mkdir()
    assert installers.install("codex").ok
    now = [1000.0]
    controller = quiet_controller(lambda: now[0])
    silent = []
    controller.on_silent_hooks.connect(silent.append)
    controller.feed(codex_event("rollout"))
    controller.feed(codex_event("hook"))
    now[0] += 2 * SILENT_HOOKS_SECONDS
    controller.tick()
    assert silent == []


def test_codex_without_deskpets_hooks_is_no_trouble(qtbot, ui_agents_home):
    now = [1000.0]
    controller = quiet_controller(lambda: now[0])
    silent = []
    controller.on_silent_hooks.connect(silent.append)
    controller.feed(codex_event("rollout"))
    now[0] += 2 * SILENT_HOOKS_SECONDS
    controller.tick()
    assert silent == []


def test_the_tray_offers_reconnect_and_check_connection(qtbot):
    tray = TrayMenu(personas=lambda: [])
    check = tray.findChild(QAction, "check-connection")
    assert not check.isVisible()
    tray.set_connection_trouble(True)
    assert check.isVisible()
    tray.set_lost_hooks(["claude"])
    reconnect = tray.findChild(QAction, "reconnect-claude")
    assert reconnect.text() == "Reconnect Claude Code"
    with qtbot.waitSignal(tray.on_reconnect) as chosen:
        reconnect.trigger()
    assert chosen.args == ["claude"]
    tray.set_lost_hooks([])
    assert tray.findChild(QAction, "reconnect-claude") is None
