"""Installers against real files in a temporary HOME: merge, refuse, restore byte for byte."""

from __future__ import annotations

import argparse
import json
import os
import queue
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from deskpet import config_merge, safefile
from deskpet.bridge import agents, agents_cli, installers
from deskpet.bridge.server import BridgeServer

OWNER_CLAUDE = (
    "{\n"
    '    "model":   "opus",\n'
    '    "statusLine": {"type": "command", "command": "echo \\u00e9t\\u00e9 🐱"},\n'
    '    "hooks": {\n'
    '        "Stop": [ {"hooks": [{"type": "command", "command": "say fertig"}]} ],\n'
    '        "PreToolUse": [{"matcher": "Bash",\n'
    '                        "hooks": [{"type": "command", "command": "~/guard.sh"}]}]\n'
    "    }\n"
    "}"
).encode()

OWNER_TOML = b"""# Codex config, hand-written
model = "gpt-5-codex"   # the good one

[projects."/Users/me/code"]
trust_level = "trusted"  # keep this
"""


@pytest.fixture
def claude_settings(home) -> Path:
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_bytes(OWNER_CLAUDE)
    return path


def commands(data: dict, event: str) -> list[str]:
    return [h["command"] for g in data["hooks"].get(event, []) for h in g.get("hooks", [])]


def test_install_merges_keeps_owner_hooks_and_uninstall_restores_bytes(claude_settings):
    os.chmod(claude_settings, 0o600)
    report = installers.install("claude")
    assert report.ok and report.changed == [claude_settings]
    data = json.loads(claude_settings.read_text())
    assert data["model"] == "opus" and data["statusLine"]["command"] == "echo été 🐱"
    assert commands(data, "Stop")[0] == "say fertig"
    assert commands(data, "PreToolUse")[0] == "~/guard.sh"
    for event in agents.get("claude").register:
        ours = [c for c in commands(data, event) if installers.is_ours(c)]
        assert ours == [installers.hook_command("claude")], event
    assert "WorktreeCreate" not in data["hooks"]
    assert all(h["type"] == "command" for g in sum(data["hooks"].values(), []) for h in g["hooks"])
    assert stat.S_IMODE(os.stat(claude_settings).st_mode) == 0o600  # permissions kept
    backup = safefile.backup_path(claude_settings)
    assert backup.read_bytes() == OWNER_CLAUDE

    installed = claude_settings.read_bytes()
    again = installers.install("claude")
    assert again.changed == [] and claude_settings.read_bytes() == installed  # twice = once
    assert installers.status("claude").installed

    removed = installers.uninstall("claude")
    assert removed.changed == [claude_settings]
    assert claude_settings.read_bytes() == OWNER_CLAUDE
    assert not backup.exists()
    assert not installers.status("claude").installed


def test_file_deskpet_created_is_removed_again(home):
    (home / ".cursor").mkdir()
    path = home / ".cursor" / "hooks.json"
    installers.install("cursor")
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert data["hooks"]["beforeSubmitPrompt"] == [{"command": installers.hook_command("cursor")}]
    assert not safefile.backup_path(path).exists()
    installers.uninstall("cursor")
    assert not path.exists()


def test_cursor_owner_entries_survive(home):
    path = home / ".cursor" / "hooks.json"
    path.parent.mkdir()
    original = (
        b'{"version": 1, "hooks": {"stop": [{"command": "./audit.sh"}], '
        b'"afterFileEdit": [{"command": "fmt"}]}}\n'
    )
    path.write_bytes(original)
    installers.install("cursor")
    data = json.loads(path.read_text())
    assert data["hooks"]["stop"][0] == {"command": "./audit.sh"}
    assert data["hooks"]["afterFileEdit"] == [{"command": "fmt"}]
    assert len(data["hooks"]["stop"]) == 2
    installers.uninstall("cursor")
    assert path.read_bytes() == original


def test_invalid_json_is_refused_and_untouched(home):
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    broken = b'{"hooks": {"Stop": [}, // not json\n'
    path.write_bytes(broken)
    report = installers.install("claude")
    assert not report.ok and report.changed == []
    assert any("cannot parse" in line for line in report.lines)
    assert path.read_bytes() == broken
    assert not safefile.backup_path(path).exists()
    assert installers.status("claude").files[path] == "refused"
    assert installers.uninstall("claude").ok is False and path.read_bytes() == broken


def test_non_list_event_value(home):
    path = home / ".claude" / "settings.json"
    path.parent.mkdir()
    ours_broken = b'{"hooks": {"Stop": {"hooks": []}}}'
    path.write_bytes(ours_broken)
    assert not installers.install("claude").ok  # an event we must edit: refuse
    assert path.read_bytes() == ours_broken
    # A malformed event deskpet does not use is the owner's business: kept as it is.
    path.write_bytes(b'{"hooks": {"WorktreeRemove": "odd"}}')
    assert installers.install("claude").ok
    assert json.loads(path.read_text())["hooks"]["WorktreeRemove"] == "odd"
    installers.uninstall("claude")
    assert path.read_bytes() == b'{"hooks": {"WorktreeRemove": "odd"}}'


def test_codex_hooks_and_notify_in_a_commented_toml(home):
    codex = home / ".codex"
    codex.mkdir()
    (codex / "config.toml").write_bytes(OWNER_TOML)
    report = installers.install("codex")
    assert report.ok
    toml = (codex / "config.toml").read_text()
    assert "# Codex config, hand-written" in toml and "# keep this" in toml
    assert toml.index("notify =") < toml.index("[projects.")  # a top-level key
    hooks = json.loads((codex / "hooks.json").read_text())
    assert set(hooks["hooks"]) == set(agents.get("codex").register)
    assert any("/hooks" in line for line in report.lines)  # tells the owner to trust them
    # The notify line is the only change: in particular no hook trust hashes.
    notify_line = next(line for line in toml.splitlines(keepends=True) if line.startswith("notify"))
    assert toml.replace(notify_line, "").encode() == OWNER_TOML
    assert "hash" not in (codex / "hooks.json").read_text()
    assert installers.install("codex").changed == []
    installers.uninstall("codex")
    assert (codex / "config.toml").read_bytes() == OWNER_TOML
    assert not (codex / "hooks.json").exists()


def test_owner_notify_is_left_alone(home):
    codex = home / ".codex"
    codex.mkdir()
    mine = b'notify = ["terminal-notifier", "-title", "Codex"]\n'
    (codex / "config.toml").write_bytes(mine)
    report = installers.install("codex")
    assert (codex / "config.toml").read_bytes() == mine
    assert any("another program" in line for line in report.lines)
    installers.uninstall("codex")
    assert (codex / "config.toml").read_bytes() == mine


def test_paths_with_spaces_are_quoted_and_repair_follows_a_move(home, claude_settings, monkeypatch):
    old = home / "Application Support" / "deskpet" / "bin"
    old.mkdir(parents=True)
    script = old / "deskpet-hook"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(old / "python"))
    assert installers.hook_command("claude") == f'"{script}" --agent claude'
    installers.install("claude")

    moved = home / "Applications" / "deskpet.app" / "bin"
    moved.mkdir(parents=True)
    monkeypatch.setattr(sys, "executable", str(moved / "python"))  # no script here: -m fallback
    assert installers.status("claude").files[claude_settings] == installers.OUTDATED
    lines = installers.repair()
    assert any("updated" in line for line in lines)
    data = json.loads(claude_settings.read_text())
    want = f'"{moved / "python"}" -m deskpet.bridge.hook --agent claude'
    assert [c for c in commands(data, "Stop") if installers.is_ours(c)] == [want]
    assert commands(data, "Stop")[0] == "say fertig"
    assert installers.repair() == []  # nothing left to fix
    installers.uninstall("claude")
    assert claude_settings.read_bytes() == OWNER_CLAUDE


def test_repair_leaves_agents_without_deskpet_alone(home, claude_settings):
    assert installers.repair() == []
    assert claude_settings.read_bytes() == OWNER_CLAUDE


def test_symlinked_settings_stay_a_symlink(home):
    real = home / "dotfiles" / "claude.json"
    real.parent.mkdir()
    real.write_text("{}")
    (home / ".claude").mkdir()
    link = home / ".claude" / "settings.json"
    link.symlink_to(real)
    installers.install("claude")
    assert link.is_symlink() and "hooks" in json.loads(real.read_text())


def test_installed_command_runs_and_reaches_the_pet(home, claude_settings):
    # GIVEN deskpet installed in Claude's settings WHEN Claude runs the command through a shell
    # THEN the pet gets the event
    installers.install("claude")
    data = json.loads(claude_settings.read_text())
    command = [c for c in commands(data, "Stop") if installers.is_ours(c)][0]
    payload = (Path(__file__).parent / "fixtures" / "claude_stop.json").read_bytes()
    got: queue.Queue = queue.Queue()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with BridgeServer(got.put):
        proc = subprocess.run(
            ["/bin/sh", "-c", command], input=payload, capture_output=True, timeout=10, env=env
        )
        event = got.get(timeout=2)
    assert (proc.returncode, proc.stdout) == (0, b"")
    assert event.kind == "turn_complete" and event.agent == "claude"


def test_install_all_skips_missing_agents_and_status_is_truthful(home):
    (home / ".claude").mkdir()
    reports = {r.agent: r for r in installers.run("install", "all")}
    assert reports["claude"].changed and not reports["codex"].changed
    assert not (home / ".codex").exists() and not (home / ".cursor").exists()
    lines = [line for r in installers.run("status") for line in r.lines]
    assert "claude: hooks installed in ~/.claude/settings.json" in lines
    assert "codex: not found on this computer" in lines
    with pytest.raises(ValueError):
        installers.run("install", "vim")


def test_agents_cli(home, capsys):
    (home / ".cursor").mkdir()
    parser = argparse.ArgumentParser()
    agents_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["agents", "install", "cursor"])
    assert args.run(args) == 0
    assert "cursor: updated ~/.cursor/hooks.json" in capsys.readouterr().out
    args = parser.parse_args(["agents", "status", "cursor"])
    assert args.run(args) == 0
    assert "cursor: hooks installed in ~/.cursor/hooks.json" in capsys.readouterr().out
    (home / ".cursor" / "hooks.json").write_text("nope")
    assert args.run(args) == 1
    assert "cannot read" in capsys.readouterr().out


def test_an_agent_rewriting_its_settings_meanwhile_is_not_overwritten(claude_settings):
    # GIVEN Claude rewriting settings.json after deskpet read it (the merge is the moment)
    # WHEN deskpet writes THEN it merges into the new bytes, so the agent's change survives
    target = installers.targets("claude")[0]
    real_add, real_remove, rewrites = target.add, target.remove, []

    def agent_rewrites(real, model):
        def step(data):
            if not rewrites:  # once: the merge that follows must succeed
                on_disk = json.loads(claude_settings.read_text())
                on_disk["model"] = model
                claude_settings.write_text(json.dumps(on_disk, indent=4))
                rewrites.append(model)
            real(data)

        return step

    target.add = agent_rewrites(real_add, "sonnet")
    assert target.install() is True
    data = json.loads(claude_settings.read_text())
    assert data["model"] == "sonnet" and target.state(data) == installers.INSTALLED
    assert commands(data, "Stop")[0] == "say fertig"

    rewrites.clear()
    target.remove = agent_rewrites(real_remove, "haiku")
    assert target.uninstall() is True
    data = json.loads(claude_settings.read_text())
    assert data["model"] == "haiku" and target.state(data) == installers.ABSENT


def test_a_file_that_keeps_changing_is_left_to_the_agent(claude_settings):
    target = installers.targets("claude")[0]
    real_add, writes = target.add, []

    def agent_rewrites(data):
        writes.append(f"model-{len(writes)}")
        claude_settings.write_text(json.dumps({"model": writes[-1]}))
        real_add(data)

    target.add = agent_rewrites
    with pytest.raises(config_merge.FileChanged, match="changed while deskpet"):
        target.install()
    assert isinstance(config_merge.FileChanged(claude_settings), OSError)  # _change reports it
    assert len(writes) == 2  # merged again once, then gave up
    assert json.loads(claude_settings.read_text()) == {"model": "model-1"}
