"""Care for the owner's settings.yaml: comments and order survive a save, bad values and
broken files never stop deskpet, a read-only file is left alone, and leftovers of a killed
save are cleaned up."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from deskpet import safefile
from deskpet.settings import DEFAULTS, Settings, SettingsFileError

OWNERS_FILE = """\
# My deskpet settings: hands off my comments.
# A second line of the header.

narration: no   # narration is noise to me
# the model I like, quoted on purpose
model: "/Users/me/models/llama"
persona: neko
my_own_key: [1, 2]    # deskpet does not know this one

# where the pet sits
pet_positions:
  eDP-1@0,0 1440x900: [100, 200]   # the laptop
# the end
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DESKPET_HOME", str(home))
    return home


def write(home: Path, text: str | bytes) -> Path:
    path = home / "settings.yaml"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- comments and order -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "old_line", "new_line"),
    [
        ("persona", "shiba", "persona: neko", "persona: shiba"),
        # an inline comment keeps its column
        ("narration", True, "narration: no   #", "narration: true #"),
        (
            "pet_positions",
            {"eDP-1@0,0 1440x900": [300, 400]},
            "[100, 200]   # the laptop",
            "[300, 400]   # the laptop",
        ),
    ],
)
def test_a_save_changes_only_that_value_byte_for_byte(home, key, value, old_line, new_line):
    # GIVEN the owner's commented file, in the owner's order
    path = write(home, OWNERS_FILE)
    settings = Settings()
    # WHEN deskpet saves one setting (a persona switch, a drag of the pet)
    assert settings.put(key, value)
    # THEN every other byte is as the owner left it
    assert path.read_text(encoding="utf-8") == OWNERS_FILE.replace(old_line, new_line)
    assert (home / "settings.yaml.bak").read_text(encoding="utf-8") == OWNERS_FILE
    assert Settings().get(key) == value


def test_a_new_key_goes_below_the_owners_and_their_comments_stay(home):
    path = write(home, OWNERS_FILE)
    Settings().put("temperature", 0.8)
    assert path.read_text(encoding="utf-8") == OWNERS_FILE + "temperature: 0.8\n"


def test_the_commented_defaults_file_keeps_its_comments_after_a_save(home):
    path = Settings().ensure_file()
    listing = path.read_text(encoding="utf-8")
    Settings().put("persona", "shiba")
    assert path.read_text(encoding="utf-8") == listing + "persona: shiba\n"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("persona", "yes"),
        ("persona", "on"),
        ("persona", "1:30"),
        ("persona", "null"),
        ("model", "~"),
        ("temperature", 1e-05),
        ("pet_positions", {"on": [1, 2], "no@0,0 1x1": [0, -5]}),
    ],
)
def test_values_read_back_as_written(home, key, value):
    # PyYAML reads the file, ruamel.yaml edits it: a value must not change meaning between them
    write(home, OWNERS_FILE)
    Settings().put(key, value)
    assert Settings().get(key) == value


def test_a_reordered_position_keeps_its_comment(home):
    # The newest spot goes last (the pet window tries it first); its comment moves with it
    path = write(home, "pet_positions:\n  a@0,0 1x1: [1, 2]  # first\n  b@0,0 1x1: [3, 4]\n")
    Settings().put("pet_positions", {"b@0,0 1x1": [3, 4], "a@0,0 1x1": [5, 6]})
    text = path.read_text(encoding="utf-8")
    assert text == "pet_positions:\n  b@0,0 1x1: [3, 4]\n  a@0,0 1x1: [5, 6]  # first\n"
    assert list(Settings().get("pet_positions")) == ["b@0,0 1x1", "a@0,0 1x1"]


def test_a_file_that_cannot_be_edited_safely_is_refused_untouched(home):
    text = "loop: &a [1, *a]\npersona: neko\n"
    path = write(home, text)
    settings = Settings()
    with pytest.raises(SettingsFileError):
        settings.put("persona", "shiba")
    assert path.read_text(encoding="utf-8") == text
    assert settings.get("persona") == "neko"


# -- bad values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "pet_positions:\n  s@0,0 1x1: [.inf, 10]\n",
        "pet_positions:\n  s@0,0 1x1: [10, -.inf]\n",
        "pet_positions:\n  s@0,0 1x1: [.nan, .nan]\n",
        "pet_positions:\n  s@0,0 1x1: [1e308, 10]\n",
        "pet_positions:\n  s@0,0 1x1: [10, 100000000000000000000000000000]\n",
        "pet_positions: somewhere\n",
        "pet_positions: [100, 200]\n",
        "pet_positions:\n  s@0,0 1x1: {x: [1, {y: [z]}]}\n",
        "pet_positions:\n  s@0,0 1x1: [1, 2, 3]\n",
        "pet_positions:\n  s@0,0 1x1: [true, 2]\n",
        "pet_positions:\n  s@0,0 1x1: ['1', '2']\n",
        "pet_positions:\n  12: [1, 2]\n",
        "temperature: .nan\n",
        "top_p: .inf\n",
        "max_tokens: 1e308\n",
        "persona: [a, b]\n",
        "narration: {a: 1}\n",
    ],
)
def test_a_bad_value_is_ignored_with_a_warning_and_a_log_line(home, caplog, text):
    write(home, text)
    key = text.split(":")[0]
    with caplog.at_level(logging.WARNING, logger="deskpet.settings"):
        settings = Settings()
    assert settings.get(key) == DEFAULTS[key]
    assert len(settings.warnings) == 1 and key in settings.warnings[0]
    assert [r.name for r in caplog.records] == ["deskpet.settings"]


def test_a_warning_stays_short_whatever_the_file_holds(home):
    write(home, "pet_positions:\n  s@0,0 1x1: [" + ", ".join(["123456789"] * 5000) + "]\n")
    (warning,) = Settings().warnings
    assert len(warning) < 400


def test_a_file_too_big_to_be_settings_is_not_read(home):
    write(home, "pet_positions:\n" + "".join(f"  s{i}@0,0 1x1: [1, 2]\n" for i in range(60_000)))
    with pytest.raises(SettingsFileError, match="larger than"):
        Settings()


def test_the_pet_window_sits_on_the_screen_despite_garbage_positions(qtbot, home):
    from PySide6.QtGui import QGuiApplication

    from deskpet.ui.pet_window import PetWindow, screen_key

    # GIVEN positions for this very screen that are no place at all
    key = screen_key(QGuiApplication.primaryScreen())
    write(home, f"pet_positions:\n  '{key}': [.inf, .nan]\n  other: [1e308, 0]\n")
    # WHEN the pet window opens
    window = PetWindow(settings=Settings())
    qtbot.addWidget(window)
    window.restore_position()
    # THEN it sits inside the screen
    area = QGuiApplication.primaryScreen().availableGeometry()
    assert area.contains(window.frameGeometry())


# -- a file deskpet cannot read -----------------------------------------------------------------


def _broken(home: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = home / "settings.yaml"
    if kind == "folder":
        path.mkdir()
        (path / "inside").write_text("the owner's")
    elif kind == "pipe":
        os.mkfifo(path)
    elif kind == "not utf-8":
        path.write_bytes(b"persona: \xff\xfe neko\n")
    elif kind == "unreadable":
        # Tests run as root, which chmod cannot stop: the one open() of the file is refused.
        path.write_text("persona: neko\n")

        def refused(*args, **kwargs):
            raise PermissionError(13, "Permission denied", str(args[0]))

        monkeypatch.setattr("deskpet.settings.open", refused, raising=False)
    return path


def _snapshot(path: Path) -> object:
    if path.is_fifo():
        return "a pipe"
    if path.is_dir():
        return sorted((p.name, p.read_bytes()) for p in path.iterdir())
    return path.read_bytes()


@pytest.mark.parametrize("kind", ["folder", "pipe", "not utf-8", "unreadable"])
def test_a_settings_file_deskpet_cannot_read_is_one_clear_error(home, monkeypatch, kind):
    path = _broken(home, kind, monkeypatch)
    with pytest.raises(SettingsFileError) as caught:
        Settings()
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_yaml_error_says_where_and_never_quotes_the_file(home):
    # The message goes to notices and the log, which never carry the owner's file contents.
    path = home / "settings.yaml"
    path.write_text("persona: neko\napi_note: sk-secret-words: here\n")
    with pytest.raises(SettingsFileError) as caught:
        Settings()
    message = str(caught.value)
    assert "not valid YAML (line 2, column" in message and "\n" not in message
    assert "sk-secret" not in message and "api_note" not in message


@pytest.mark.parametrize("kind", ["folder", "pipe", "not utf-8", "unreadable"])
def test_with_an_unreadable_file_deskpet_starts_with_defaults_and_never_writes_it(
    home, monkeypatch, caplog, kind
):
    path = _broken(home, kind, monkeypatch)
    before = _snapshot(path)
    # WHEN the app starts
    with caplog.at_level(logging.WARNING, logger="deskpet.settings"):
        settings = Settings.load()
    # THEN it has the defaults and says why, once
    assert settings.as_dict() == DEFAULTS
    assert len(settings.warnings) == 1 and str(path) in settings.warnings[0]
    assert len(caplog.records) == 1
    # AND every save is refused with that reason, changing nothing, in memory either
    with pytest.raises(SettingsFileError):
        settings.put("persona", "shiba")
    assert settings.get("persona") == DEFAULTS["persona"]
    assert settings.ensure_file() == path
    monkeypatch.undo()
    assert _snapshot(path) == before
    assert sorted(p.name for p in home.iterdir()) == ["settings.yaml"]


def test_commands_take_the_defaults_and_say_why_when_the_file_is_a_folder(home):
    import argparse

    from deskpet.settings import fill_flags

    (home / "settings.yaml").mkdir()
    args = argparse.Namespace(temperature=None)
    said: list[str] = []
    fill_flags(args, ["temperature"], say=said.append)
    assert args.temperature == DEFAULTS["temperature"]
    assert len(said) == 1 and "settings.yaml" in said[0]


# -- read-only ----------------------------------------------------------------------------------


def test_a_read_only_settings_file_is_not_saved_over(home, caplog):
    path = write(home, OWNERS_FILE)
    path.chmod(0o444)
    settings = Settings()
    with caplog.at_level(logging.WARNING, logger="deskpet.settings"):
        with pytest.raises(safefile.ReadOnly, match="is read-only; deskpet left it as it is"):
            settings.put("persona", "shiba")
    assert caplog.records
    assert path.read_text(encoding="utf-8") == OWNERS_FILE
    assert (path.stat().st_mode & 0o777) == 0o444
    assert not (home / "settings.yaml.bak").exists()
    assert settings.get("persona") == "neko"


# -- leftovers of a killed save -----------------------------------------------------------------

_SLOW_SAVE = """
import sys, time
from deskpet import safefile
safefile.os.replace = lambda *a: time.sleep(3600)   # killed before the rename
safefile.atomic_write_bytes(sys.argv[1], b"persona: half\\n")
"""


def _killed_save(target: Path) -> list[str]:
    """A real deskpet save, killed with SIGKILL while its temporary file is on disk."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_SAVE, str(target)], env=env)
    try:
        for _ in range(600):
            if leftovers(target.parent):
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return leftovers(target.parent)


def test_the_temp_file_of_a_killed_save_is_removed_at_the_next_start(home):
    path = write(home, OWNERS_FILE)
    left = _killed_save(path)
    assert len(left) == 1 and safefile.TEMP_PATTERN.fullmatch(left[0])
    assert safefile.remove_stale_temps(home) == [home / left[0]]
    assert leftovers(home) == []
    assert path.read_text(encoding="utf-8") == OWNERS_FILE


def test_only_deskpets_own_stale_temps_are_removed(home):
    now = time.time()
    mine = os.getpid()
    names = {
        f".settings.yaml.deskpet-{mine}-0123abcd.tmp": "a save in progress here",
        f".settings.yaml.deskpet-{mine}-4567abcd.tmp": "old",
        ".settings.yaml.0123abcd.tmp": "someone else's",
        "settings.yaml.deskpet-1-0123abcd.tmp": "not hidden: not deskpet's pattern",
        ".settings.yaml.deskpet-x-0123abcd.tmp": "no pid",
        "notes.tmp": "the owner's",
    }
    for name in names:
        (home / name).write_text(names[name])
    os.utime(home / f".settings.yaml.deskpet-{mine}-4567abcd.tmp", (now - 120, now - 120))
    (home / f".gone.deskpet-{mine}-89abcdef.tmp").mkdir()  # a folder is never a temp file
    os.utime(home / f".gone.deskpet-{mine}-89abcdef.tmp", (now - 120, now - 120))

    removed = safefile.remove_stale_temps(home, now=now)

    assert removed == [home / f".settings.yaml.deskpet-{mine}-4567abcd.tmp"]
    assert all((home / name).exists() for name in names if "4567" not in name)


def test_a_settings_write_names_its_temp_with_deskpets_pattern(home, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr(safefile.os, "replace", spy)
    Settings().put("persona", "shiba")
    (name,) = seen
    match = safefile.TEMP_PATTERN.fullmatch(name)
    assert match and int(match.group(1)) == os.getpid()
    assert yaml.safe_load((home / "settings.yaml").read_text())["persona"] == "shiba"
