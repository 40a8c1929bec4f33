"""The owner's say over the agents' config files: what they took out stays out, uninstall gives
back their exact bytes, read-only files and strange escapes are respected, and a killed save
leaves nothing behind. Real files in a temporary HOME, for every agent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deskpet import cli, safefile
from deskpet.bridge import agents, installers

AGENTS = ("claude", "codex", "cursor", "gemini")


def hooks_file(agent: str) -> Path:
    return next(t.path for t in installers.targets(agent) if t.label == "hooks")


def ours(data: dict, event: str) -> list[str]:
    found = []
    for entry in data.get("hooks", {}).get(event, []):
        for handler in [entry, *entry.get("hooks", [])]:
            if installers.is_ours(handler.get("command")):
                found.append(handler["command"])
    return found


def move_deskpet(monkeypatch: pytest.MonkeyPatch, where: Path) -> None:
    """deskpet now runs from `where` (the app was moved): its hook command changes."""
    where.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(sys, "executable", str(where / "python"))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- repair re-points, never re-adds ------------------------------------------------------------


@pytest.mark.parametrize("agent", AGENTS)
def test_repair_keeps_out_an_event_the_owner_removed_and_re_points_the_rest(
    home, monkeypatch, agent
):
    # GIVEN deskpet installed from one place
    move_deskpet(monkeypatch, home / "old place")
    path = hooks_file(agent)
    path.parent.mkdir(exist_ok=True)
    assert installers.install(agent).ok
    # AND the owner took deskpet out of one event by editing the JSON
    data = json.loads(path.read_text())
    removed, *kept = agents.get(agent).register
    del data["hooks"][removed]
    path.write_text(json.dumps(data, indent=2))
    # WHEN the app has moved and repair runs at start
    move_deskpet(monkeypatch, home / "new place")
    lines = installers.repair()
    # THEN the removed event stays removed, and every other entry runs the new deskpet
    data = json.loads(path.read_text())
    assert removed not in data["hooks"]
    for event in kept:
        assert ours(data, event) == [installers.hook_command(agent)], event
    assert any("updated" in line for line in lines)
    assert installers.repair() == []  # nothing left that repair may fix


@pytest.mark.parametrize("agent", AGENTS)
def test_repair_changes_nothing_when_only_the_owners_removal_differs(home, agent):
    path = hooks_file(agent)
    path.parent.mkdir(exist_ok=True)
    installers.install(agent)
    data = json.loads(path.read_text())
    event = agents.get(agent).register[-1]
    data["hooks"][event] = [e for e in data["hooks"][event] if not ours({"hooks": {"x": [e]}}, "x")]
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    assert installers.repair() == []
    assert path.read_bytes() == before


def test_repair_does_not_put_back_a_notify_the_owner_removed(home, monkeypatch):
    move_deskpet(monkeypatch, home / "old place")
    (home / ".codex").mkdir()
    installers.install("codex")
    config = home / ".codex" / "config.toml"
    config.write_text('model = "o3"\n')  # the owner dropped deskpet's notify
    move_deskpet(monkeypatch, home / "new place")
    installers.repair()
    assert config.read_text() == 'model = "o3"\n'


# -- uninstall gives back the exact bytes -------------------------------------------------------


def _originals(agent: str) -> list[bytes]:
    event = agents.get(agent).register[-1]
    cases = [
        b'{"hooks": {}}',
        b'{"hooks": {"%s": []}}\n' % event.encode(),
        b'{\n  "theme": "dark",\n  "hooks": {}\n}\n',
        b"{}",
    ]
    if agent == "cursor":  # a Cursor file without "version"
        cases += [b'{"hooks": {"stop": [{"command": "./audit.sh"}]}}', b'{"hooks": {"stop": []}}']
    return cases


@pytest.mark.parametrize(
    ("agent", "original"),
    [(agent, original) for agent in AGENTS for original in _originals(agent)],
    ids=lambda v: v if isinstance(v, str) else v.decode().strip(),
)
def test_install_then_uninstall_gives_back_the_exact_bytes(home, agent, original):
    path = hooks_file(agent)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(original)
    assert installers.install(agent).changed
    assert installers.uninstall(agent).ok
    assert path.read_bytes() == original
    assert not safefile.backup_path(path).exists()


LONE_SURROGATE = b'{"statusLine": {"command": "echo \\ud800 half"}, "hooks": {}}\n'


@pytest.mark.parametrize("agent", AGENTS)
def test_a_lone_surrogate_escape_survives_install_and_uninstall(home, agent):
    path = hooks_file(agent)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(LONE_SURROGATE)
    report = installers.install(agent)
    assert report.ok and report.changed
    installed = path.read_bytes()
    installed.decode("utf-8")  # still UTF-8: the surrogate is still an escape
    assert b'"echo \\ud800 half"' in installed
    assert json.loads(installed)["statusLine"]["command"] == "echo \ud800 half"
    installers.uninstall(agent)
    assert path.read_bytes() == LONE_SURROGATE
    assert not safefile.backup_path(path).exists()


def test_a_lone_surrogate_in_codex_toml_is_refused_in_one_line(home):
    config = home / ".codex" / "config.toml"
    config.parent.mkdir()
    original = b'model = "o3"\nsummary = "\\ud800"\n'
    config.write_bytes(original)
    report = installers.install("codex")
    (problem,) = report.problems
    assert "config.toml" in problem and "\n" not in problem
    assert config.read_bytes() == original
    assert not safefile.backup_path(config).exists()


# -- read-only files ----------------------------------------------------------------------------


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_a_read_only_config_file_is_left_as_it_is(home, agent, action):
    path = hooks_file(agent)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b'{"hooks": {}, "mine": 1}\n')
    if action == "uninstall":
        installers.install(agent)
        safefile.backup_path(path).unlink()
    before = path.read_bytes()
    path.chmod(0o444)
    report = getattr(installers, action)(agent)
    assert f"{installers._home_relative(path)} is read-only; deskpet left it as it is" in (
        report.problems
    )
    assert path.read_bytes() == before
    assert (path.stat().st_mode & 0o777) == 0o444
    assert not safefile.backup_path(path).exists()


def test_repair_says_a_read_only_file_was_left_alone(home, monkeypatch):
    move_deskpet(monkeypatch, home / "old place")
    path = hooks_file("claude")
    path.parent.mkdir()
    installers.install("claude")
    installed = path.read_bytes()
    path.chmod(0o444)
    move_deskpet(monkeypatch, home / "new place")
    (line,) = installers.repair()
    assert "is read-only; deskpet left it as it is" in line
    assert path.read_bytes() == installed


# -- leftovers of a killed save -----------------------------------------------------------------

_KILLED_SAVE = """
import sys, time
from deskpet import safefile
safefile.os.replace = lambda *a: time.sleep(3600)   # killed before the rename
safefile.atomic_write_bytes(sys.argv[1], b'{"hooks": {}}')
"""


def _killed_save(target: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, str(target)], env=env)
    try:
        for _ in range(600):
            if leftovers(target.parent):
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def test_a_killed_save_in_an_agents_folder_is_cleaned_up_by_the_next_command(home):
    # GIVEN a save into ~/.claude killed half-way, beside a temp file of the owner's own
    path = hooks_file("claude")
    path.parent.mkdir()
    path.write_bytes(b'{"hooks": {}}')
    _killed_save(path)
    (left,) = leftovers(path.parent)
    owners = path.parent / ".settings.json.1234abcd.tmp"
    owners.write_text("not deskpet's")
    old = time.time() - 3600
    os.utime(owners, (old, old))
    # WHEN any deskpet command starts
    assert cli.main(["agents", "status"]) == 0
    # THEN deskpet's leftover is gone and everything else is as it was
    assert leftovers(path.parent) == [owners.name]
    assert path.read_bytes() == b'{"hooks": {}}'
    assert left.startswith(".settings.json.deskpet-")
