"""The pet's sounds: the gate (one cooldown, do-not-disturb, on/off, volume) on a fake clock,
the done chime's file, and the chime asked of the platform when a real hook says a turn ended.

The platform is the boundary to the speakers (offscreen Qt has none): the tests record what it
is asked to play and at what volume.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QKeySequenceEdit,
    QLabel,
    QSpinBox,
    QWidget,
)

from deskpet.bridge import events as ev
from deskpet.bridge.events import AgentEvent
from deskpet.bridge.sessions import DONE as FINISHED
from deskpet.pet import PetMachine
from deskpet.platform import DefaultPlatform
from deskpet.platform.hotkeys import HotKeys
from deskpet.settings import Settings
from deskpet.ui.agents_controller import AgentsController
from deskpet.ui.relay import Relay
from deskpet.ui.settings_window import SettingsWindow
from deskpet.ui.sounds import BELL, COOLDOWN, DONE, SoundGate, Sounds, bell_sound, done_sound

FIXTURES = Path(__file__).parents[1] / "bridge" / "fixtures"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingPlatform(DefaultPlatform):
    """The do-nothing platform, remembering each sound it is asked to play and how loud."""

    def __init__(self) -> None:
        self.played: list[tuple[Path, float]] = []

    def play_sound(self, path: Path, volume: float = 1.0) -> None:
        self.played.append((Path(path), volume))


# -- the gate ----------------------------------------------------------------------------------


def test_one_cooldown_is_shared_by_the_bell_and_the_chime():
    clock = Clock()
    gate = SoundGate(clock)
    assert gate.admit(DONE, volume=100) == 1.0
    clock.now += COOLDOWN - 0.1
    assert gate.admit(BELL, volume=100) == 0.0  # the chime just played: the bell waits
    assert gate.admit(DONE, volume=100) == 0.0
    clock.now += 0.1
    assert gate.admit(BELL, volume=100) == 1.0
    clock.now += 1
    assert gate.admit(DONE, volume=100) == 0.0  # and the bell holds the chime back too


def test_silent_in_do_not_disturb_off_or_at_zero_and_a_silence_keeps_no_cooldown():
    clock = Clock()
    gate = SoundGate(clock)
    assert gate.admit(BELL, volume=80, quiet=True) == 0.0
    assert gate.admit(DONE, volume=80, enabled=False) == 0.0
    assert gate.admit(DONE, volume=0) == 0.0
    # none of those played, so none started the cooldown
    assert gate.admit(DONE, volume=35) == pytest.approx(0.35)


def test_sounds_read_the_owners_settings(ui_home):
    clock = Clock()
    settings = Settings()
    played: list[tuple[Path, float]] = []
    sounds = Sounds(settings, lambda path, volume: played.append((path, volume)), clock)
    settings.put("sound_volume", 40)
    assert sounds.play(DONE)
    assert played == [(done_sound(), pytest.approx(0.4))]

    clock.now += COOLDOWN
    settings.put("done_sound", False)  # the chime is off; the bell is not
    assert not sounds.play(DONE)
    assert sounds.play(BELL)
    assert played[-1] == (bell_sound(), pytest.approx(0.4))

    clock.now += COOLDOWN
    settings.put("done_sound", True)
    settings.put("do_not_disturb", True)
    assert not sounds.play(DONE) and not sounds.play(BELL)
    assert len(played) == 2


def test_a_broken_speaker_is_a_log_line(ui_home, caplog):
    def broken(_path, _volume):
        raise OSError("no audio device")

    sounds = Sounds(Settings(), broken, Clock())
    assert not sounds.play(BELL)
    assert "could not play the bell sound: no audio device" in caplog.text


# -- the file ----------------------------------------------------------------------------------


def test_the_done_chime_is_a_short_valid_wav_of_its_own():
    with wave.open(str(done_sound())) as w:
        channels, width, rate, frames = (
            w.getnchannels(),
            w.getsampwidth(),
            w.getframerate(),
            w.getnframes(),
        )
        data = w.readframes(frames)
    assert (channels, width, rate) == (1, 2, 44100)
    assert 0.2 <= frames / rate <= 1.0
    samples = memoryview(data).cast("h")
    assert max(abs(s) for s in samples) > 1000  # not silence
    assert done_sound().read_bytes() != bell_sound().read_bytes()


def test_the_script_makes_the_committed_file(tmp_path):
    script = Path(__file__).parents[2] / "scripts" / "make_sounds.py"
    code = (
        "import importlib.util, sys, pathlib;"
        f"spec = importlib.util.spec_from_file_location('m', {str(script)!r});"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m);"
        f"m.write_done(pathlib.Path({str(tmp_path / 'done.wav')!r}))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert (tmp_path / "done.wav").read_bytes() == done_sound().read_bytes()


# -- through the agents controller -------------------------------------------------------------


@pytest.fixture
def short_home(monkeypatch):
    """HOME and DESKPET_HOME under a short /tmp path (a Unix socket path stays under 104
    bytes)."""
    root = Path(tempfile.mkdtemp(prefix="dps"))
    for name, sub in (("HOME", "h"), ("DESKPET_HOME", "d")):
        (root / sub).mkdir()
        monkeypatch.setenv(name, str(root / sub))
    for name in ("CODEX_HOME", "CLAUDE_CONFIG_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def listening(qtbot, short_home):
    """An AgentsController on its real socket, with a platform that records sounds."""
    relay = Relay()
    platform = RecordingPlatform()
    settings = Settings()
    settings.put("sound_volume", 70)
    controller = AgentsController(
        relay,
        None,  # no model: may_speak says no, so nothing is narrated
        PetMachine(),
        settings,
        platform,
        say=lambda _line: None,
        may_speak=lambda: False,
        pet_visible=lambda: True,
        style=lambda: "",
        sampling=lambda: None,
    )
    controller.start()
    try:
        yield controller, platform, settings
    finally:
        controller.stop()
        relay.deleteLater()


def run_hook(name: str, session: str = "5a1e0000-0000-4000-8000-000000000001") -> None:
    payload = json.loads((FIXTURES / name).read_text())
    payload.update(session_id=session, cwd="/tmp/work/myproject")
    proc = subprocess.run(
        [sys.executable, "-m", "deskpet.bridge.hook", "--agent", "claude"],
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=10,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b"")


def test_a_finished_turn_asks_the_platform_for_the_chime(qtbot, listening):
    controller, platform, _settings = listening
    assert controller.bridge is not None
    run_hook("claude_userpromptsubmit.json")
    run_hook("claude_stop.json")
    qtbot.waitUntil(lambda: bool(platform.played), timeout=5000)
    assert platform.played == [(done_sound(), pytest.approx(0.7))]


def test_a_headless_run_finishing_rings_no_chime(qtbot, listening):
    controller, platform, _settings = listening

    def run(session: str, detail: str) -> None:
        controller.feed(AgentEvent("codex", "rollout", ev.SESSION_START, session, detail=detail))
        controller.feed(AgentEvent("codex", "rollout", ev.TURN_COMPLETE, session, turn="t1"))

    # GIVEN a `codex exec` run (its start says so) finishing THEN nobody is told
    run("exec-run", "exec")
    assert platform.played == []
    # AND an owner's session finishing still chimes
    run("at-desk", "cli")
    assert platform.played == [(done_sound(), pytest.approx(0.7))]


def test_no_chime_in_do_not_disturb(qtbot, listening):
    controller, platform, settings = listening
    settings.put("do_not_disturb", True)
    run_hook("claude_userpromptsubmit.json")
    run_hook("claude_stop.json")
    # the turn did arrive (the pet knows it finished), and no sound was asked for
    qtbot.waitUntil(lambda: controller.mood.state == FINISHED, timeout=5000)
    assert platform.played == []


# -- in Settings -------------------------------------------------------------------------------


@pytest.fixture
def settings_window(qtbot, ui_home, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    hot = HotKeys()
    hot.bind("chat", "Ctrl+Shift+Space")
    window = SettingsWindow(checks={"shortcut_chat": lambda keys: hot.bind("chat", keys)})
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window, hot


def test_sounds_and_shortcuts_have_their_section(settings_window):
    window, _hot = settings_window
    section = window.findChild(QGroupBox, "section-sounds-and-shortcuts")
    assert section is not None
    for key in ("sound_volume", "done_sound", "shortcut_chat", "shortcut_allow", "shortcut_deny"):
        assert section.findChild(QWidget, f"setting-{key}") is not None, key
    volume = section.findChild(QSpinBox, "setting-sound_volume")
    assert (volume.minimum(), volume.maximum(), volume.value()) == (0, 100, 60)
    assert section.findChild(QCheckBox, "setting-done_sound").isChecked()
    chat = section.findChild(QKeySequenceEdit, "setting-shortcut_chat")
    assert chat.keySequence() == QKeySequence("Ctrl+Shift+Space")
    # here the shortcuts work only in deskpet's windows, and the pane says so
    note = window.findChild(QLabel, "setting-note-shortcut_chat")
    assert note is not None and "deskpet window" in note.text()
    start = window.findChild(QCheckBox, "setting-start_with_agents")
    assert start is not None and not start.isChecked()


def test_a_recorded_shortcut_is_bound_and_saved(qtbot, settings_window):
    window, hot = settings_window
    chat = window.editors["shortcut_chat"]
    chat.setKeySequence(QKeySequence("Ctrl+Alt+K"))
    with qtbot.waitSignal(window.on_setting_changed) as changed:
        chat.editingFinished.emit()
    assert changed.args == ["shortcut_chat", "Ctrl+Alt+K"]
    assert Settings().get("shortcut_chat") == "Ctrl+Alt+K"
    assert hot.keys("chat") == "Ctrl+Alt+K"


def test_a_refused_shortcut_keeps_the_old_one_and_says_why(qtbot, settings_window):
    window, hot = settings_window
    hot.bind("deny", "Ctrl+Alt+N")  # held by another binding: refused like a taken key
    chat = window.editors["shortcut_chat"]
    chat.setKeySequence(QKeySequence("Ctrl+Alt+N"))
    chat.editingFinished.emit()
    error = window.findChild(QLabel, "setting-error-shortcut_chat")
    assert error.isVisible() and error.text() == "Ctrl+Alt+N is already the shortcut for deny"
    assert chat.keySequence() == QKeySequence("Ctrl+Shift+Space")
    assert Settings().get("shortcut_chat") == "Ctrl+Shift+Space"
    assert hot.keys("chat") == "Ctrl+Shift+Space"
    # a plain key is refused by the setting itself, before anything is bound
    chat.setKeySequence(QKeySequence("K"))
    chat.editingFinished.emit()
    assert "not in the expected form" in error.text()
    assert hot.keys("chat") == "Ctrl+Shift+Space"
