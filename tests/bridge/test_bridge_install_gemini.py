"""Gemini CLI's installer against real files in a temporary HOME, and its hook run for real."""

from __future__ import annotations

import argparse
import json
import os
import queue
import stat
import subprocess
from pathlib import Path

import pytest

from deskpet import safefile
from deskpet.bridge import agents, agents_cli, installers
from deskpet.bridge.server import BridgeServer

FIXTURES = Path(__file__).parent / "fixtures"
GEMINI = agents.get("gemini")

# An owner's settings: unknown keys, text beyond ASCII, their own hooks (one with a matcher),
# and the older hooks-level "disabled" list, which is not an event.
OWNER_SETTINGS = (
    "{\n"
    '\t"model": {"name": "gemini-2.5-pro"},\n'
    '\t"ui": {"theme": "GitHub", "customWittyPhrases": ["Réfléchis… 🐱"]},\n'
    '\t"hooksConfig": {"notifications": false},\n'
    '\t"hooks": {\n'
    '\t\t"disabled": ["old-linter"],\n'
    '\t\t"BeforeTool": [{"matcher": "write_file|replace", "hooks": [\n'
    '\t\t\t{"name": "guard", "type": "command", "command": "~/guard.sh", "timeout": 5000}]}],\n'
    '\t\t"AfterModel": [{"hooks": [{"type": "command", "command": "./redact.js"}]}]\n'
    "\t}\n"
    "}\n"
).encode()


@pytest.fixture
def settings(home) -> Path:
    path = home / ".gemini" / "settings.json"
    path.parent.mkdir()
    path.write_bytes(OWNER_SETTINGS)
    return path


def handlers(data: dict, event: str) -> list[dict]:
    return [h for group in data["hooks"].get(event, []) for h in group.get("hooks", [])]


def ours(data: dict, event: str) -> list[dict]:
    return [h for h in handlers(data, event) if installers.is_ours(h.get("command"))]


def test_install_merges_one_command_hook_per_event_and_uninstall_restores_bytes(settings):
    os.chmod(settings, 0o640)
    report = installers.install("gemini")
    assert report.ok and report.changed == [settings]
    data = json.loads(settings.read_text())
    # THEN the owner's settings and hooks are all still there
    assert data["model"] == {"name": "gemini-2.5-pro"}
    assert data["ui"]["customWittyPhrases"] == ["Réfléchis… 🐱"]
    assert "Réfléchis… 🐱" in settings.read_text(encoding="utf-8")  # not escaped
    assert data["hooksConfig"] == {"notifications": False}
    assert data["hooks"]["disabled"] == ["old-linter"]
    assert data["hooks"]["BeforeTool"][0]["matcher"] == "write_file|replace"
    assert handlers(data, "BeforeTool")[0]["command"] == "~/guard.sh"
    assert handlers(data, "AfterModel") == [{"type": "command", "command": "./redact.js"}]
    # AND deskpet has one command hook, no matcher, a timeout in milliseconds, per event
    command = installers.hook_command("gemini")
    for event in GEMINI.register:
        want = {"name": "deskpet", "type": "command", "command": command, "timeout": 10000}
        assert ours(data, event) == [want], event
        group = next(g for g in data["hooks"][event] if want in g["hooks"])
        assert "matcher" not in group
    for event in GEMINI.never_register:
        assert ours(data, event) == [], event
    assert settings.read_text().startswith('{\n\t"model"')  # the owner's tab indentation
    assert stat.S_IMODE(os.stat(settings).st_mode) == 0o640
    assert safefile.backup_path(settings).read_bytes() == OWNER_SETTINGS

    installed = settings.read_bytes()
    assert installers.install("gemini").changed == [] and settings.read_bytes() == installed
    assert installers.status("gemini").installed

    removed = installers.uninstall("gemini")
    assert removed.ok and removed.changed == [settings]
    assert settings.read_bytes() == OWNER_SETTINGS
    assert not safefile.backup_path(settings).exists()
    assert not installers.status("gemini").installed


def test_a_settings_file_deskpet_created_is_removed_again(home):
    (home / ".gemini").mkdir()
    path = home / ".gemini" / "settings.json"
    report = installers.install("gemini")
    assert report.ok and report.changed == [path]
    assert set(json.loads(path.read_text())) == {"hooks"}
    assert installers.uninstall("gemini").changed == [path]
    assert not path.exists() and list((home / ".gemini").iterdir()) == []


@pytest.mark.parametrize(
    "content",
    [
        # Gemini CLI itself strips comments; rewriting the file would lose them, so: refuse.
        b'{\n  // my theme\n  "ui": {"theme": "GitHub"}\n}\n',
        b'{"hooks": {"AfterAgent": [}',
        b'{"hooks": {"AfterAgent": {"hooks": []}}}',
        b'["not", "an", "object"]',
    ],
    ids=["comments", "broken", "event-not-a-list", "not-an-object"],
)
def test_a_file_deskpet_cannot_read_is_refused_untouched(home, content):
    path = home / ".gemini" / "settings.json"
    path.parent.mkdir()
    path.write_bytes(content)
    report = installers.install("gemini")
    assert not report.ok and report.changed == []
    assert any("gemini: cannot parse ~/.gemini/settings.json" in line for line in report.lines)
    assert path.read_bytes() == content
    assert not safefile.backup_path(path).exists()
    assert installers.status("gemini").files[path] == installers.REFUSED
    installers.uninstall("gemini")
    assert path.read_bytes() == content


def test_gemini_cli_home_moves_the_settings(home, monkeypatch):
    elsewhere = home / "elsewhere"
    monkeypatch.setenv("GEMINI_CLI_HOME", str(elsewhere))
    (elsewhere / ".gemini").mkdir(parents=True)
    report = installers.install("gemini")
    assert report.changed == [elsewhere / ".gemini" / "settings.json"]
    assert not (home / ".gemini").exists()
    installers.uninstall("gemini")


def test_status_and_install_all_include_gemini(home):
    lines = [line for r in installers.run("status") for line in r.lines]
    assert "gemini: not found on this computer" in lines
    assert "gemini: hooks not installed (~/.gemini/settings.json)" in lines
    (home / ".gemini").mkdir()
    reports = {r.agent: r for r in installers.run("install", "all")}
    assert reports["gemini"].changed == [home / ".gemini" / "settings.json"]
    assert not reports["claude"].changed
    lines = [line for r in installers.run("status", "gemini") for line in r.lines]
    assert lines == ["gemini: hooks installed in ~/.gemini/settings.json"]
    assert [r.agent for r in installers.run("uninstall", "all")] == list(agents.ids())
    assert not (home / ".gemini" / "settings.json").exists()


def test_the_agents_command_installs_and_removes_gemini(home, capsys):
    (home / ".gemini").mkdir()
    parser = argparse.ArgumentParser()
    agents_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["agents", "install", "gemini"])
    assert args.run(args) == 0
    out = capsys.readouterr().out
    assert "gemini: updated ~/.gemini/settings.json" in out and "Restart running agents" in out
    args = parser.parse_args(["agents", "status", "gemini"])
    assert args.run(args) == 0
    assert capsys.readouterr().out == "gemini: hooks installed in ~/.gemini/settings.json\n"
    args = parser.parse_args(["agents", "uninstall", "gemini"])
    assert args.run(args) == 0
    assert "gemini: removed deskpet from ~/.gemini/settings.json" in capsys.readouterr().out
    assert not (home / ".gemini" / "settings.json").exists()


def test_repair_re_points_gemini_hooks_after_a_move(settings, monkeypatch):
    installers.install("gemini")
    data = json.loads(settings.read_text())
    for event in GEMINI.register:
        ours(data, event)[0]["command"] = '"/old/place/deskpet-hook" --agent gemini'
    settings.write_text(json.dumps(data, indent="\t"))
    assert installers.status("gemini").files[settings] == installers.OUTDATED
    assert any("gemini: updated" in line for line in installers.repair())
    assert installers.status("gemini").installed
    installers.uninstall("gemini")
    assert settings.read_bytes() == OWNER_SETTINGS


@pytest.mark.parametrize(
    ("fixture", "event", "kind"),
    [
        ("gemini_afteragent.json", "AfterAgent", "turn_complete"),
        ("gemini_notification_toolpermission.json", "Notification", "permission_request"),
        ("gemini_beforetool_shell.json", "BeforeTool", "tool_start"),
    ],
)
def test_the_installed_command_answers_gemini_and_reaches_the_pet(settings, fixture, event, kind):
    # GIVEN deskpet installed in Gemini's settings WHEN Gemini runs the command through a shell
    # with a real payload THEN it exits 0 printing only "{}" and the pet gets the event
    installers.install("gemini")
    command = ours(json.loads(settings.read_text()), event)[0]["command"]
    payload = (FIXTURES / fixture).read_bytes()
    got: queue.Queue = queue.Queue()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with BridgeServer(got.put):
        proc = subprocess.run(
            ["/bin/sh", "-c", command], input=payload, capture_output=True, timeout=10, env=env
        )
        received = got.get(timeout=2)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"{}", b"")
    assert (received.agent, received.kind) == ("gemini", kind)
