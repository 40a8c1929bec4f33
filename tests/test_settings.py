"""Settings: declared defaults, YAML round trip, and care for the owner's file."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

import pytest
import yaml

from deskpet.settings import (
    BY_KEY,
    DEFAULTS,
    SETTINGS,
    Setting,
    Settings,
    SettingsFileError,
    SettingValueError,
    add_flags,
    fill_flags,
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("DESKPET_HOME", str(home))
    return home


def settings_file(home: Path) -> Path:
    return home / "settings.yaml"


def write(home: Path, text: str) -> bytes:
    home.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    settings_file(home).write_bytes(data)
    return data


def on_disk(home: Path) -> dict:
    return yaml.safe_load(settings_file(home).read_text(encoding="utf-8"))


# -- the declaration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "default"),
    [
        ("model", ""),
        ("persona", "default"),
        ("thinking_default", False),
        ("narration", True),
        ("do_not_disturb", False),
        ("dnd_schedule", ""),
        ("temperature", 0.6),
        ("top_p", 0.95),
        ("repetition_penalty", 1.05),
        ("max_tokens", 512),
        ("pet_positions", {}),
        ("launch_at_login", False),
        ("bubble_fade_seconds", 20),
        ("context_window", 4096),
        ("pet_size", 128),
        ("eyes_follow", True),
        ("pet_walks", False),  # a walking pet is opt-in
        ("pet_mini", {}),
    ],
)
def test_declared_defaults(key: str, default: object) -> None:
    assert DEFAULTS[key] == default
    assert type(DEFAULTS[key]) is type(default)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.key)
def test_each_declaration_is_usable(setting: Setting) -> None:
    assert setting.check(setting.default) == setting.default
    assert setting.label and setting.help
    assert setting.flag == "--" + setting.key.replace("_", "-")


def test_keys_are_unique_and_position_is_hidden() -> None:
    assert len(BY_KEY) == len(SETTINGS)
    assert [s.key for s in SETTINGS if not s.visible] == ["pet_mini", "pet_positions"]


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("temperature", 1, True),  # an int is a fine float
        ("temperature", True, False),  # but a bool is not a number
        ("temperature", "0.7", False),
        ("temperature", float("nan"), False),
        ("temperature", -0.1, False),
        ("top_p", 1.5, False),
        ("max_tokens", True, False),
        ("max_tokens", 512.0, False),
        ("max_tokens", 0, False),
        ("narration", 1, False),
        ("narration", False, True),
        ("dnd_schedule", "22:00-08:00", True),
        ("dnd_schedule", "", True),
        ("dnd_schedule", "25:00-08:00", False),
        ("dnd_schedule", "10pm-8am", False),
        ("pet_positions", {"Built-in Retina Display": [10, 20]}, True),
        ("pet_positions", [10, 20], False),
        ("pet_size", 63, False),
        ("pet_size", 257, False),
        ("pet_size", 200, True),
        ("pet_mini", {"Built-in Retina Display@0,0 1512x982": "right"}, True),
        ("pet_mini", {"main": "top"}, False),
        ("pet_mini", {"main": ["left"]}, False),
    ],
)
def test_values_are_type_checked(key: str, value: object, ok: bool) -> None:
    if ok:
        assert BY_KEY[key].check(value) == value
    else:
        with pytest.raises(SettingValueError, match=key):
            BY_KEY[key].check(value)


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("narration", "no", False),
        ("launch_at_login", "TRUE", True),
        ("max_tokens", "256", 256),
        ("top_p", "0.9", 0.9),
        ("persona", "neko", "neko"),
        ("pet_positions", "{main: [1, 2]}", {"main": [1, 2]}),
    ],
)
def test_cli_text_is_parsed(key: str, text: str, value: object) -> None:
    assert BY_KEY[key].parse(text) == value


@pytest.mark.parametrize(("key", "text"), [("narration", "maybe"), ("max_tokens", "1.5")])
def test_bad_cli_text_is_refused(key: str, text: str) -> None:
    with pytest.raises(SettingValueError, match=key):
        BY_KEY[key].parse(text)


# -- loading and saving ----------------------------------------------------------------------


def test_defaults_without_a_file_and_nothing_written(home: Path) -> None:
    settings = Settings()
    assert settings.path == settings_file(home)
    assert settings.as_dict() == DEFAULTS
    assert settings.warnings == []
    assert settings.save() is False  # nothing changed: nothing to write
    assert not home.exists()


def test_round_trip(home: Path) -> None:
    settings = Settings()
    changes = {
        "model": "/models/minicpm5-1b-4bit",
        "persona": "neko",
        "temperature": 0.8,
        "max_tokens": 256,
        "dnd_schedule": "22:00-08:00",
        "pet_positions": {"Built-in Retina Display": [1200, 40], "DELL U2720Q": [0, 900]},
        "launch_at_login": True,
    }
    settings.update(changes)
    assert settings.save() is True
    again = Settings()
    assert again.as_dict() == {**DEFAULTS, **changes}
    assert again.warnings == []
    # The file holds the owner's choices only; everything else keeps following the defaults.
    assert set(on_disk(home)) == set(changes)


def test_empty_file_means_defaults(home: Path) -> None:
    write(home, "# nothing yet\n")
    assert Settings().as_dict() == DEFAULTS


def test_unknown_keys_are_preserved(home: Path) -> None:
    write(home, "future_feature:\n  level: 3\ntemperature: 0.7\n42: answer\n")
    settings = Settings()
    assert settings.unknown == {"future_feature": {"level": 3}, 42: "answer"}
    assert settings.get("temperature") == 0.7
    settings.set("narration", False)
    settings.save()
    assert on_disk(home) == {
        "future_feature": {"level": 3},
        "temperature": 0.7,
        42: "answer",
        "narration": False,
    }


def test_bad_value_falls_back_with_a_warning_and_stays_in_the_file(home: Path) -> None:
    original = write(home, "temperature: hot\nmax_tokens: true\npersona: neko\n")
    settings = Settings()
    assert settings.get("temperature") == DEFAULTS["temperature"]
    assert settings.get("max_tokens") == DEFAULTS["max_tokens"]
    assert settings.get("persona") == "neko"
    assert len(settings.warnings) == 2
    assert all(str(settings_file(home)) in w for w in settings.warnings)
    assert "temperature" in settings.warnings[0] and "max_tokens" in settings.warnings[1]
    assert settings_file(home).read_bytes() == original  # loading never writes

    # Changing something else keeps the owner's bad value for them to fix.
    settings.set("narration", False)
    settings.save()
    assert on_disk(home)["temperature"] == "hot"
    assert len(Settings().warnings) == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("temperature: [0.6\nnarration: true\n", "YAML"),
        ("persona: neko\n  bad indent: here\n", "YAML"),
        ("- a list\n- of things\n", "list"),
        ("just a sentence\n", "plain text"),
    ],
)
def test_unreadable_file_is_refused_and_untouched(home: Path, text: str, problem: str) -> None:
    original = write(home, text)
    with pytest.raises(SettingsFileError) as caught:
        Settings()
    message = str(caught.value)
    assert str(settings_file(home)) in message
    assert problem in message
    assert settings_file(home).read_bytes() == original
    assert sorted(p.name for p in home.iterdir()) == ["settings.yaml"]


def test_file_broken_while_running_is_not_overwritten(home: Path) -> None:
    write(home, "persona: neko\n")
    settings = Settings()
    broken = write(home, "persona: neko\ntemperature: {oops\n")  # the owner is mid-edit
    settings.set("narration", False)
    with pytest.raises(SettingsFileError, match="YAML"):
        settings.save()
    assert settings_file(home).read_bytes() == broken


def test_edits_made_on_disk_meanwhile_survive(home: Path) -> None:
    write(home, "persona: default\n")
    settings = Settings()
    write(home, "persona: neko\nnarration: false\n")  # the owner edits by hand
    settings.set("temperature", 0.3)
    settings.save()
    assert on_disk(home) == {"persona": "neko", "narration": False, "temperature": 0.3}
    assert settings.get("persona") == "neko"


def test_write_is_atomic_and_leaves_no_temp_files(home: Path) -> None:
    settings = Settings()
    settings.set("persona", "neko")
    settings.save()
    settings.set("persona", "robot")
    settings.save()
    assert sorted(p.name for p in home.iterdir()) == ["settings.yaml", "settings.yaml.bak"]


def test_a_new_file_gets_the_umask_mode_without_touching_the_umask(home: Path) -> None:
    # The app is multithreaded: a umask changed for a moment would apply to every thread's files.
    calls = []

    def watch(frame, event, arg):
        if event == "c_call" and arg is os.umask:
            calls.append(frame.f_code.co_name)

    old = os.umask(0o027)
    sys.setprofile(watch)
    try:
        settings = Settings()
        settings.set("persona", "neko")
        settings.save()
    finally:
        sys.setprofile(None)
        os.umask(old)
    assert calls == []
    assert stat.S_IMODE(settings_file(home).stat().st_mode) == 0o640
    os.chmod(settings_file(home), 0o600)
    settings.set("persona", "robot")
    settings.save()
    assert (
        stat.S_IMODE(settings_file(home).stat().st_mode) == 0o600
    )  # an existing file's mode stays


def test_failed_write_keeps_the_old_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = write(home, "persona: neko\n")
    (home / "settings.yaml.bak").write_bytes(original)  # backed up on an earlier day

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    settings = Settings()
    settings.set("persona", "robot")
    with pytest.raises(OSError, match="disk full"):
        settings.save()
    monkeypatch.undo()
    assert settings_file(home).read_bytes() == original
    assert sorted(p.name for p in home.iterdir()) == ["settings.yaml", "settings.yaml.bak"]


def test_backup_is_made_once_before_the_first_change(home: Path) -> None:
    original = write(home, "# my own notes\npersona: neko\n")
    backup = home / "settings.yaml.bak"
    settings = Settings()
    assert settings.save() is False
    assert not backup.exists()  # nothing changed yet: no backup either

    settings.set("max_tokens", 128)
    settings.save()
    assert backup.read_bytes() == original
    assert settings_file(home).read_bytes() != original

    settings.set("max_tokens", 64)
    settings.save()
    assert backup.read_bytes() == original  # the owner's version, not deskpet's first one
    assert Settings().get("max_tokens") == 64


def test_no_backup_of_a_file_that_did_not_exist(home: Path) -> None:
    settings = Settings()
    settings.set("persona", "neko")
    settings.save()
    assert not (home / "settings.yaml.bak").exists()


def test_saving_what_is_already_there_writes_nothing(home: Path) -> None:
    settings = Settings()
    settings.set("persona", "neko")
    settings.save()
    before = settings_file(home).stat().st_mtime_ns
    settings.set("persona", "neko")
    assert settings.save() is False
    assert settings_file(home).stat().st_mtime_ns == before
    assert not (home / "settings.yaml.bak").exists()


# -- the in-memory API -----------------------------------------------------------------------


def test_bad_set_raises_and_changes_nothing(home: Path) -> None:
    settings = Settings()
    with pytest.raises(SettingValueError, match="top_p"):
        settings.set("top_p", 2.0)
    with pytest.raises(KeyError, match="tempreature"):
        settings.set("tempreature", 0.5)
    with pytest.raises(KeyError):
        settings.get("tempreature")
    # update() is all or nothing.
    with pytest.raises(SettingValueError):
        settings.update({"persona": "neko"}, max_tokens="many")
    assert settings.as_dict() == DEFAULTS
    assert settings.save() is False


def test_set_stores_the_checked_value(home: Path) -> None:
    settings = Settings()
    settings.set("temperature", 1)
    assert settings["temperature"] == 1.0
    assert isinstance(settings["temperature"], float)


def test_dict_values_are_copies(home: Path) -> None:
    settings = Settings()
    positions = settings.get("pet_positions")
    positions["main"] = [1, 2]
    assert settings.get("pet_positions") == {}
    assert DEFAULTS["pet_positions"] == {}


def test_ensure_file_writes_commented_defaults_once(tmp_path):
    from deskpet.settings import SETTINGS, Settings

    path = tmp_path / "settings.yaml"
    settings = Settings(path)
    assert settings.ensure_file() == path
    text = path.read_text()
    assert all(line.startswith("#") for line in text.splitlines())
    assert "# temperature: 0.6" in text
    assert Settings(path).as_dict() == {s.key: s.default for s in SETTINGS}
    path.write_text("temperature: 0.3\n")
    Settings(path).ensure_file()
    assert path.read_text() == "temperature: 0.3\n"


# -- command-line flags --------------------------------------------------------------------


def flags_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deskpet chat")
    add_flags(parser, ("max_tokens", "temperature"))
    return parser


def test_flags_come_from_the_declarations() -> None:
    parser = flags_parser()
    assert vars(parser.parse_args([])) == {"max_tokens": None, "temperature": None}
    args = parser.parse_args(["--max-tokens", "40", "--temperature", "0"])
    assert (args.max_tokens, args.temperature) == (40, 0.0)
    assert type(args.max_tokens) is int and type(args.temperature) is float
    text = " ".join(parser.format_help().split())
    for key in ("max_tokens", "temperature"):
        assert BY_KEY[key].flag in text and BY_KEY[key].help in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-tokens", "1.5"], "max_tokens: cannot read '1.5' as a whole number"),
        (["--max-tokens", "0"], "max_tokens must be at least 1"),
        (["--temperature", "3"], "temperature must be at most 2.0"),
    ],
)
def test_flags_refuse_what_the_setting_refuses(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        flags_parser().parse_args(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_flags_left_out_take_the_owners_settings(home: Path) -> None:
    write(home, "max_tokens: 99  # short answers\n")
    args = flags_parser().parse_args(["--temperature", "0.3"])
    fill_flags(args, ("max_tokens", "temperature"))
    assert (args.max_tokens, args.temperature) == (99, 0.3)
    args = flags_parser().parse_args([])
    fill_flags(args, ("max_tokens",))
    assert (args.max_tokens, args.temperature) == (99, None)


def test_flags_take_the_defaults_when_the_settings_file_is_unreadable(home: Path) -> None:
    data = write(home, "max_tokens: [unclosed\n")
    said: list[str] = []
    args = flags_parser().parse_args([])
    fill_flags(args, ("max_tokens", "temperature"), say=said.append)
    assert (args.max_tokens, args.temperature) == (DEFAULTS["max_tokens"], DEFAULTS["temperature"])
    assert len(said) == 1 and "settings.yaml" in said[0]
    assert settings_file(home).read_bytes() == data
