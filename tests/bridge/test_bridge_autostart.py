"""'Start with an agent': the installers write --autostart into the hook's command line when the
owner asks, and the hook opens the installed Deskpet.app when a session starts and no pet
answers. Only on a Mac: here the command is checked as data, and the hook as a real subprocess
that exits 0 at once and prints nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import fixture_payload

from deskpet.bridge import hook, installers
from deskpet.settings import Settings


@pytest.fixture
def bundle(tmp_path) -> Path:
    """A Deskpet.app laid out as the packaged one: the hook beside the app in Contents/MacOS."""
    macos = tmp_path / "Applications" / "Deskpet.app" / "Contents" / "MacOS"
    macos.mkdir(parents=True)
    return macos.parents[1]


def test_a_session_start_on_a_mac_opens_the_bundle_in_the_background(bundle):
    executable = str(bundle / "Contents" / "MacOS" / "deskpet-hook")
    argv = ["--agent", "claude", "--autostart"]
    assert hook.start_command(argv, "SessionStart", executable, "darwin") == [
        "/usr/bin/open",
        "-g",
        "-a",
        str(bundle),
    ]
    assert hook.start_command(argv, "sessionStart", executable, "darwin")  # Cursor's name


@pytest.mark.parametrize(
    ("argv", "event", "where", "system"),
    [
        (["--agent", "claude"], "SessionStart", "bundle", "darwin"),  # the owner did not ask
        (["--agent", "claude", "--autostart"], "Stop", "bundle", "darwin"),  # not a start
        (["--agent", "claude", "--autostart"], "SessionStart", "bundle", "linux"),
        (["--agent", "claude", "--autostart"], "SessionStart", "venv", "darwin"),  # from source
        (["--agent", "claude", "--autostart"], "SessionStart", "gone", "darwin"),  # app deleted
    ],
)
def test_nothing_opens_otherwise(bundle, tmp_path, argv, event, where, system):
    executable = {
        "bundle": bundle / "Contents" / "MacOS" / "deskpet-hook",
        "venv": tmp_path / ".venv" / "bin" / "deskpet-hook",
        "gone": tmp_path / "Old" / "Deskpet.app" / "Contents" / "MacOS" / "deskpet-hook",
    }[where]
    assert hook.start_command(argv, event, str(executable), system) == []


def test_the_pet_is_started_detached_and_never_waited_for(tmp_path, capfd):
    done = tmp_path / "started"
    child = (
        f"import time, pathlib; time.sleep(1.0); print('chatter'); "
        f"pathlib.Path({str(done)!r}).touch()"
    )
    pid = hook.start_pet([sys.executable, "-c", child])
    assert pid is not None
    assert not done.exists()  # start_pet returned before the child finished
    assert os.waitpid(pid, 0)[1] == 0  # (the hook itself exits and leaves it to the system)
    assert done.exists()
    assert capfd.readouterr() == ("", "")  # what it prints never reaches the agent
    assert hook.start_pet([]) is None  # nothing to run
    assert hook.start_pet([str(tmp_path / "no-such-program")]) is None  # ignored


def test_the_hook_without_a_pet_exits_zero_silently(home, tmp_path, bundle):
    # The hook run as the packaged one would be: from inside the bundle (a link to Python).
    program = bundle / "Contents" / "MacOS" / "python3"
    program.symlink_to(sys.executable)
    payload = fixture_payload("claude_sessionstart.json")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    start = time.monotonic()
    proc = subprocess.run(
        [str(program), "-m", "deskpet.bridge.hook", "--agent", "claude", "--autostart"],
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=10,
        env=env,
    )
    elapsed = time.monotonic() - start
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")
    assert elapsed < 1.0


def test_the_installers_write_the_flag_only_when_asked(home):
    assert hook.AUTOSTART not in installers.hook_command("claude")
    Settings().put("start_with_agents", True)
    assert installers.hook_command("claude").endswith(" --agent claude --autostart")


def test_turning_it_on_repoints_installed_hooks(home):
    settings_file = home / ".claude" / "settings.json"
    settings_file.parent.mkdir()
    installers.install("claude")
    assert hook.AUTOSTART not in settings_file.read_text()
    Settings().put("start_with_agents", True)
    assert installers.repair() == ["claude: updated ~/.claude/settings.json"]
    commands = [
        h["command"]
        for groups in json.loads(settings_file.read_text())["hooks"].values()
        for group in groups
        for h in group["hooks"]
    ]
    assert commands and all(c.endswith("--autostart") for c in commands)
