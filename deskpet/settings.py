"""deskpet's settings: one declared list, kept as YAML in the data folder.

`SETTINGS` is the single source of truth: defaults, types, labels and help texts for the
settings window and the command-line flags (`add_flags`, as in `deskpet chat --temperature`)
all come from it. `Settings` reads and writes `paths.data_dir() / "settings.yaml"` with these
promises to the owner:

- missing keys take their defaults, and keys deskpet does not know are kept as they are;
- a value of the wrong type, or out of range (a position of .inf), falls back to its default
  with a log line and a warning in `Settings.warnings`, and stays in the file untouched until
  the owner changes that setting;
- a file that cannot be read (not valid YAML, not UTF-8, a folder) is refused with an error
  naming the file and the problem, and never overwritten; `Settings.load()` starts with the
  defaults meanwhile, so the app and every command still start;
- a save changes only the values deskpet changed: comments, key order and quoting stay
  (ruamel.yaml edits the file, PyYAML reads the values);
- the file holds only what the owner chose (keys it already had and keys changed through
  deskpet), so a later deskpet's better defaults reach everything else;
- writes are atomic, and the file is backed up once (settings.yaml.bak) before deskpet's
  first change to it; a file the owner made read-only is not written.

Not thread-safe: the GUI thread owns the settings.
"""

from __future__ import annotations

import argparse
import copy
import logging
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from deskpet import i18n, paths, yaml_edit
from deskpet.i18n import Said
from deskpet.safefile import ParseRefused, atomic_write_bytes, backup_once, refuse_read_only

log = logging.getLogger(__name__)

FILE_NAME = "settings.yaml"
BACKUP_SUFFIX = ".bak"
_HEADER = "# deskpet settings. Keys left out use their defaults.\n"
# Settings are a few hundred bytes; a bigger file is something else, not read into memory.
MAX_FILE_BYTES = 1024 * 1024

# "" (no schedule) or HH:MM-HH:MM on a 24-hour clock; the range may cross midnight.
_CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d"
DND_SCHEDULE_PATTERN = rf"(?:{_CLOCK}-{_CLOCK})?"
# "" (none) or Qt's portable text of one key chord with at least one modifier, e.g.
# "Ctrl+Shift+Space": a plain key bound for the whole desktop would swallow typing.
_MODIFIER = r"(?:Ctrl|Shift|Alt|Meta)\+"
_KEY = (
    r"(?:[A-Z0-9]|F(?:[1-9]|1[0-2])|Space|Return|Tab|Esc|Backspace|Left|Right|Up|Down"
    r"|[-=\[\];',./\\`])"
)
SHORTCUT_PATTERN = rf"(?:(?:{_MODIFIER}){{1,4}}{_KEY})?"


class SettingValueError(ValueError):
    """A value that does not fit its setting. Raised with a Said: str() is the English line
    (logs, warnings), `i18n.shown(exc)` the owner's language."""


class SettingsFileError(ParseRefused):
    """settings.yaml exists but cannot be read as settings; deskpet leaves it untouched."""


@dataclass(frozen=True)
class Setting:
    """One setting: everything a settings window or a CLI flag needs to offer it.

    Attributes:
        key: the YAML key (and, with dashes, the CLI flag).
        default: used when the file lacks the key or holds a bad value.
        type: bool, int, float, str or dict; an int is accepted for a float.
        label: short name for the settings window.
        help: one sentence for tooltips and `--help`.
        choices: the only values allowed, when there is a fixed set.
        minimum, maximum: inclusive bounds for numbers.
        pattern: a regular expression a string must match in full.
        visible: False for state deskpet keeps for itself (the pet's position).
        inside: checks what a dict holds; raises SettingValueError for a bad entry.
    """

    key: str
    default: Any
    type: type
    label: str
    help: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    visible: bool = True
    inside: Callable[[dict], None] | None = None

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. "--top-p"."""
        return "--" + self.key.replace("_", "-")

    def check(self, value: Any) -> Any:
        """Return `value` in this setting's type, or raise SettingValueError saying why."""
        kind = self.type
        # bool is an int in Python; a YAML `true` must not pass for a number (or the reverse).
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise SettingValueError(
                Said(
                    "{key} must be {kind}, not {found} {value}",
                    key=self.key,
                    kind=_type_name(kind),
                    found=type(value).__name__,
                    value=_short(value),
                )
            )
        if kind is float and not math.isfinite(value):
            raise SettingValueError(
                Said(
                    "{key} must be a finite number, not {value}", key=self.key, value=_short(value)
                )
            )
        if self.choices is not None and value not in self.choices:
            raise SettingValueError(
                Said(
                    "{key} must be one of {choices}, not {value}",
                    key=self.key,
                    choices=list(self.choices),
                    value=_short(value),
                )
            )
        if self.minimum is not None and value < self.minimum:
            raise SettingValueError(
                Said(
                    "{key} must be at least {minimum}, not {value}",
                    key=self.key,
                    minimum=self.minimum,
                    value=repr(value),
                )
            )
        if self.maximum is not None and value > self.maximum:
            raise SettingValueError(
                Said(
                    "{key} must be at most {maximum}, not {value}",
                    key=self.key,
                    maximum=self.maximum,
                    value=repr(value),
                )
            )
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise SettingValueError(
                Said(
                    "{key}: {value} is not in the expected form: {help}",
                    key=self.key,
                    value=_short(value),
                    help=Said(self.help),  # each help is in the catalog already
                )
            )
        if self.inside is not None:
            self.inside(value)
        return value

    def parse(self, text: str) -> Any:
        """Read a value typed by a person (a CLI flag), then check it."""
        kind = self.type
        try:
            if kind is bool:
                words = {"true": True, "yes": True, "on": True, "1": True}
                words |= {"false": False, "no": False, "off": False, "0": False}
                value: Any = words[text.strip().lower()]
            elif kind in (int, float):
                value = kind(text)
            elif kind is str:
                value = text
            else:
                value = yaml.safe_load(text)
        except (KeyError, ValueError, yaml.YAMLError):
            raise SettingValueError(
                Said(
                    "{key}: cannot read {text} as {kind}",
                    key=self.key,
                    text=repr(text),
                    kind=_type_name(kind),
                )
            ) from None
        return self.check(value)


def _short(value: Any) -> str:
    # A value from the file goes into warnings and the log: keep a garbage one short.
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# Screen coordinates are a few thousand pixels; anything beyond this is not a place on a screen.
MAX_COORDINATE = 100_000


def check_positions(value: dict) -> None:
    """pet_positions: "screen key": [x, y] in pixels, each number finite and on a screen's scale."""
    for key, point in value.items():
        if not isinstance(key, str):
            raise SettingValueError(
                Said(
                    "{key}: screen {screen} is not a name", key="pet_positions", screen=_short(key)
                )
            )
        if not (
            isinstance(point, list)
            and len(point) == 2
            and all(
                isinstance(v, int | float)
                and not isinstance(v, bool)
                and math.isfinite(v)
                and abs(v) <= MAX_COORDINATE
                for v in point
            )
        ):
            raise SettingValueError(
                Said(
                    "pet_positions: {screen} must be [x, y] in pixels, not {value}",
                    screen=_short(key),
                    value=_short(point),
                )
            )


MINI_EDGES = ("left", "right")
# Sizes the settings window offers as buttons beside its slider.
PET_SIZES = {"Small": 96, "Medium": 128, "Large": 176}


def check_mini(value: dict) -> None:
    """pet_mini: "screen key": "left" or "right", the edge the pet is tucked into there."""
    for key, edge in value.items():
        if not isinstance(key, str):
            raise SettingValueError(
                Said("{key}: screen {screen} is not a name", key="pet_mini", screen=_short(key))
            )
        if edge not in MINI_EDGES:
            raise SettingValueError(
                Said(
                    "{key} must be one of {choices}, not {value}",
                    key=f"pet_mini: {_short(key)}",
                    choices=list(MINI_EDGES),
                    value=_short(edge),
                )
            )


def _type_name(kind: type) -> Said:
    words = {bool: Said("true or false"), int: Said("a whole number"), float: Said("a number")}
    return words.get(kind, Said("a {kind}", kind=kind.__name__))


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "model", "", str, "Model",
        "Folder or .gguf file of the model to chat with; empty: onboarding asks at the next start.",
    ),
    Setting(
        "hub_endpoint", "", str, "Model hub mirror",
        "Address of a Hugging Face mirror for model and adapter downloads; empty uses the hub "
        "itself.",
        pattern=r"(?:https?://\S+)?",
    ),
    Setting(
        "brain", "local", str, "Brain",
        "local: deskpet runs the model itself; server: an OpenAI-compatible model server "
        "answers (llama.cpp, Ollama, LM Studio, vLLM, SGLang).",
        choices=("local", "server"),
    ),
    Setting(
        "server_url", "", str, "Model server",
        "Address of the model server when the brain is server, e.g. http://127.0.0.1:8080 "
        "(its API key is kept in the keychain, not here).",
        pattern=r"(?:https?://\S+)?",
    ),
    Setting(
        "server_model", "", str, "Server model",
        "The model to ask the server for; empty: the first one it lists.",
    ),
    Setting("persona", "default", str, "Persona", "The persona the pet starts with."),
    Setting(
        "language", "auto", str, "Language",
        "The language deskpet speaks: auto follows the system. Takes effect at the next start.",
        choices=i18n.CHOICES,
    ),
    Setting(
        "thinking_default", False, bool, "Think before answering",
        "Let the model think step by step before it answers (slower, sometimes better).",
    ),
    Setting(
        "narration", True, bool, "Narrate agents",
        "Say in one sentence what a coding agent just did.",
    ),
    Setting(
        "do_not_disturb", False, bool, "Do not disturb",
        "No sounds and no narration; the pet still shows what agents do.",
    ),
    Setting(
        "permission_cards", True, bool, "Answer agents from the pet",
        "Show Allow / Deny cards beside the pet when Claude Code or Codex asks permission.",
    ),
    Setting(
        "permission_wait_seconds", 60, int, "Card waits for you (s)",
        "Seconds a permission card waits for your click before the agent's own prompt decides"
        " (Codex: at most 20).",
        minimum=5, maximum=120,
    ),
    Setting(
        "dnd_schedule", "", str, "Quiet hours",
        "HH:MM-HH:MM (24-hour clock) when do-not-disturb turns on by itself, e.g. 22:00-08:00",
        pattern=DND_SCHEDULE_PATTERN,
    ),
    Setting(
        "sound_volume", 60, int, "Sound volume",
        "Loudness of the pet's sounds (the bell and the done chime), 0 for silence.",
        minimum=0, maximum=100,
    ),
    Setting(
        "done_sound", True, bool, "Chime when done",
        "Play a soft chime when an agent finishes its turn (never in do-not-disturb).",
    ),
    Setting(
        "shortcut_chat", "Ctrl+Shift+Space", str, "Open or close the chat",
        "Keys that open or close the chat; on a Mac they work in any app (Ctrl is Command).",
        pattern=SHORTCUT_PATTERN,
    ),
    Setting(
        "shortcut_allow", "Ctrl+Alt+Shift+Y", str, "Allow the request",
        "Keys that allow the permission request on top, only while one shows.",
        pattern=SHORTCUT_PATTERN,
    ),
    Setting(
        "shortcut_deny", "Ctrl+Alt+Shift+N", str, "Deny the request",
        "Keys that deny the permission request on top, only while one shows.",
        pattern=SHORTCUT_PATTERN,
    ),
    Setting(
        "start_with_agents", False, bool, "Start with an agent",
        "Open the pet when a coding agent session starts and no pet runs (the installed app).",
    ),
    Setting(
        "temperature", 0.6, float, "Temperature",
        "Sampling temperature; lower is steadier, higher is livelier.",
        minimum=0.0, maximum=2.0,
    ),
    Setting(
        "top_p", 0.95, float, "Top-p",
        "Sample only from the most likely tokens that together hold this probability.",
        minimum=0.01, maximum=1.0,
    ),
    Setting(
        "repetition_penalty", 1.05, float, "Repetition penalty",
        "Above 1.0 discourages the model from repeating itself.",
        minimum=1.0, maximum=2.0,
    ),
    Setting(
        "max_tokens", 512, int, "Longest answer",
        "Most tokens the model may write in one answer.",
        minimum=1, maximum=32768,
    ),
    Setting(
        "context_window", 4096, int, "Memory (tokens)",
        "How many tokens of conversation the model keeps in view.",
        minimum=256, maximum=131072,
    ),
    Setting(
        "bubble_fade_seconds", 20, int, "Bubble fades after (s)",
        "Seconds a finished speech bubble stays; 0 keeps it until dismissed.",
        minimum=0, maximum=3600,
    ),
    Setting(
        "launch_at_login", False, bool, "Open at login",
        "Start deskpet when you log in.",
    ),
    Setting(
        "pet_size", 128, int, "Pet size",
        "Width of the pet in points: small 96, medium 128, large 176, or anything in between.",
        minimum=64, maximum=256,
    ),
    Setting(
        "eyes_follow", True, bool, "Eyes follow the pointer",
        "The pet watches the pointer when it comes near (never while asleep).",
    ),
    Setting(
        "pet_walks", False, bool, "Walk now and then",
        "While idle the pet sometimes walks a short way along where it sits, on its own screen.",
    ),
    Setting(
        "pet_mini", {}, dict, "Mini mode",
        "The side edge the pet is tucked into on each screen, by screen name.",
        visible=False, inside=check_mini,
    ),
    Setting(
        "pet_positions", {}, dict, "Pet positions",
        "Where the pet sits on each screen, by screen name.",
        visible=False, inside=check_positions,
    ),
)  # fmt: skip

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
DEFAULTS: dict[str, Any] = {s.key: s.default for s in SETTINGS}


def in_quiet_hours(schedule: str, now: datetime) -> bool:
    """Whether `now` falls in a "HH:MM-HH:MM" range (start included, end not; it may cross
    midnight). "" or a malformed schedule means no quiet hours."""
    if not re.fullmatch(DND_SCHEDULE_PATTERN, schedule) or not schedule:
        return False
    start, end = (
        int(h) * 60 + int(m) for h, m in (part.split(":") for part in schedule.split("-"))
    )
    minute = now.hour * 60 + now.minute
    if start <= end:
        return start <= minute < end
    return minute >= start or minute < end


def settings_path() -> Path:
    return paths.data_dir() / FILE_NAME


def _read(path: Path) -> bytes | None:
    """The file's bytes, None when there is no file; SettingsFileError when it cannot be read
    (a folder, a pipe, no permission, too big)."""
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise SettingsFileError(path, Said("a folder, not a file"))
        if not stat.S_ISREG(mode):  # a pipe would block the start for ever
            raise SettingsFileError(path, Said("not a regular file"))
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SettingsFileError(
            path, Said("cannot read it ({why})", why=exc.strerror or exc)
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise SettingsFileError(
            path, Said("larger than {kb} KB, not settings", kb=MAX_FILE_BYTES // 1024)
        )
    return data


def _yaml_problem(exc: yaml.YAMLError) -> str | Said:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "cannot be read"
    if mark is None:
        return str(problem)
    # The problem is PyYAML's own English; where it is, the owner's language.
    return Said(
        "line {line}, column {column}: {problem}",
        line=mark.line + 1,
        column=mark.column + 1,
        problem=problem,
    )


def _parse(path: Path, data: bytes) -> dict[Any, Any]:
    """The file's top-level mapping; raises SettingsFileError when there is none to read."""
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SettingsFileError(path, Said("not UTF-8 text (at byte {at})", at=exc.start)) from exc
    except yaml.YAMLError as exc:
        # Where and what, never the text around it: the message goes to notices and the log.
        raise SettingsFileError(
            path, Said("not valid YAML ({problem})", problem=_yaml_problem(exc))
        ) from exc
    if doc is None:  # an empty file (or only comments)
        return {}
    if not isinstance(doc, dict):
        found = {list: Said("a list"), str: Said("plain text")}.get(type(doc), type(doc).__name__)
        raise SettingsFileError(
            path, Said("expected 'setting: value' lines at the top, found {found}", found=found)
        )
    return doc


def _edited(path: Path, current: bytes | None, changes: Mapping[str, Any]) -> bytes:
    """The file with `changes` written in, all else as the owner left it (yaml_edit)."""
    if current is None:
        return yaml_edit.new_text(_HEADER, changes).encode("utf-8")
    try:
        return yaml_edit.edit(current.decode("utf-8"), changes).encode("utf-8")
    except yaml_edit.CannotEdit as exc:
        raise SettingsFileError(path, str(exc)) from None


class Settings:
    """The owner's settings, loaded from `path` (default: settings.yaml in the data folder).

    Attributes:
        path: the YAML file.
        warnings: problems found in the file (bad values replaced by defaults, or a file that
            cannot be read at all), for the UI: each a Said, English as a str (the log's) and
            in the owner's language through `i18n.shown` (the language may be chosen after
            the settings are read, so it is said late).

    Raises SettingsFileError on construction when the file exists but cannot be read or
    parsed; `Settings.load()` starts with the defaults instead.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else settings_path()
        self.warnings: list[str] = []
        self._values: dict[str, Any] = copy.deepcopy(DEFAULTS)
        self._unknown: dict[Any, Any] = {}
        self._changed: set[str] = set()
        data = _read(self.path)
        if data is not None:
            self._take(_parse(self.path, data))

    @classmethod
    def load(cls, path: Path | str | None = None) -> Settings:
        """The settings, never refusing to start: a file deskpet cannot read gives the
        defaults and one warning saying why. That file is never written: every save reads it
        again and is refused (SettingsFileError) until the owner fixes or moves it."""
        try:
            return cls(path)
        except SettingsFileError as exc:
            log.warning("%s; using the defaults", exc)
            settings = cls.__new__(cls)
            settings.path = Path(path) if path is not None else settings_path()
            settings._values, settings._unknown = copy.deepcopy(DEFAULTS), {}
            settings._changed = set()
            settings.warnings = [
                Said("{problem}; using the defaults until it is fixed", problem=exc)
            ]
            return settings

    def _take(self, doc: Mapping[Any, Any]) -> None:
        values = copy.deepcopy(DEFAULTS)
        unknown = {}
        warnings = []
        for key, raw in doc.items():
            setting = BY_KEY.get(key)
            if setting is None:
                unknown[key] = raw
                continue
            try:
                values[key] = setting.check(raw)
            except SettingValueError as exc:
                message = Said(
                    "{path}: {problem}; using the default {default}",
                    path=self.path,
                    problem=exc,
                    default=repr(setting.default),
                )
                log.warning("%s", message)
                warnings.append(message)
        self._values, self._unknown, self.warnings = values, unknown, warnings

    # -- reading -------------------------------------------------------------------------------

    def get(self, key: str) -> Any:
        """The value of a declared setting (a copy, for the dict ones)."""
        self._setting(key)
        return copy.deepcopy(self._values[key])

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def do_not_disturb(self, now: datetime | None = None) -> bool:
        """Do-not-disturb is on: switched on, or inside the quiet hours (`dnd_schedule`)."""
        if self._values["do_not_disturb"]:
            return True
        return in_quiet_hours(self._values["dnd_schedule"], now or datetime.now())

    def as_dict(self) -> dict[str, Any]:
        """Every declared setting with its current value."""
        return copy.deepcopy(self._values)

    @property
    def unknown(self) -> dict[Any, Any]:
        """Keys in the file that this deskpet does not know (kept when saving)."""
        return copy.deepcopy(self._unknown)

    # -- changing ------------------------------------------------------------------------------

    def set(self, key: str, value: Any) -> None:
        """Change one setting in memory; `save()` writes it. Bad values raise, nothing changes."""
        self.update({key: value})

    def update(self, values: Mapping[str, Any] | None = None, /, **more: Any) -> None:
        """Change several settings at once: all of them, or none if one is bad."""
        changes = {**(values or {}), **more}
        checked = {key: self._setting(key).check(value) for key, value in changes.items()}
        for key, value in checked.items():
            self._values[key] = copy.deepcopy(value)
            self._changed.add(key)

    def put(self, key: str, value: Any) -> bool:
        """Change one setting and save it at once. If it cannot be saved (the file became
        unreadable, the disk refused) it is not changed at all, in memory either, and the
        error is raised; a later save will not write it behind the owner's back."""
        old = copy.deepcopy(self._values[self._setting(key).key])
        was_changed = key in self._changed
        self.set(key, value)
        try:
            return self.save()
        except BaseException:
            self._values[key] = old
            if not was_changed:
                self._changed.discard(key)
            raise

    def save(self) -> bool:
        """Write the changed settings into the file as it is on disk now, keeping the owner's
        comments, key order and quoting.

        Keys changed elsewhere since loading (the owner editing the file) survive unless
        deskpet changed the same key. Returns False when there was nothing to write. Raises
        SettingsFileError, writing nothing, if the file has become unreadable or the owner
        made it read-only.
        """
        if not self._changed:
            return False
        try:
            current = _read(self.path)
            if current is not None:
                _parse(self.path, current)
            changes = {s.key: self._values[s.key] for s in SETTINGS if s.key in self._changed}
            data = _edited(self.path, current, changes)
            if data != current and current is not None:
                refuse_read_only(self.path)
        except ParseRefused as exc:
            log.warning("settings not saved: %s", exc)
            raise
        if data != current:
            if current is not None:
                backup_once(self.path, suffix=BACKUP_SUFFIX)
            atomic_write_bytes(self.path, data)
        self._changed.clear()
        self._take(_parse(self.path, data))
        return data != current

    def ensure_file(self) -> Path:
        """Create settings.yaml, if absent, listing every setting commented out with its
        default and help, so an owner opening it sees what can be set. Anything already at
        that path (even a folder) is never touched."""
        if not os.path.lexists(self.path):
            lines = [_HEADER.rstrip("\n")]
            for setting in SETTINGS:
                if setting.visible:
                    default = (
                        yaml.safe_dump({setting.key: setting.default}, default_flow_style=True)
                        .strip()
                        .strip("{}")
                    )
                    lines.append(f"# {default}    # {setting.help}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.path, ("\n".join(lines) + "\n").encode("utf-8"))
        return self.path

    def _setting(self, key: str) -> Setting:
        try:
            return BY_KEY[key]
        except KeyError:
            raise KeyError(f"no setting named {key!r}; known: {', '.join(BY_KEY)}") from None


def language_setting(path: Path | None = None) -> str:
    """The `language` setting as the file holds it ("auto" when unset, bad or unreadable),
    read without a log line: a command chooses its language before its log is set up."""
    path = path or settings_path()
    try:
        data = _read(path)
        raw = _parse(path, data).get("language", "auto") if data is not None else "auto"
        return BY_KEY["language"].check(raw)
    except (SettingsFileError, SettingValueError):
        return "auto"


# -- command-line flags ----------------------------------------------------------------------


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def add_flags(parser: argparse.ArgumentParser, keys: Iterable[str]) -> None:
    """Offer the named settings as command-line flags (`Setting.flag`, read with
    `Setting.parse`, help from the declaration). A flag left out is None, meaning "the
    setting's value": `fill_flags` puts that in once the command runs."""
    for key in keys:
        setting = BY_KEY[key]

        def read(text: str, setting: Setting = setting) -> Any:
            try:
                return setting.parse(text)
            except SettingValueError as e:
                raise argparse.ArgumentTypeError(i18n.shown(e)) from None

        parser.add_argument(
            setting.flag,
            dest=key,
            type=read,
            default=None,
            help=f"{setting.help} Default: your {key} setting.".replace("%", "%%"),
        )


def fill_flags(
    args: argparse.Namespace, keys: Iterable[str], *, say: Callable[[str], None] = _to_stderr
) -> None:
    """Give each flag of `add_flags` the command line left out its setting's value. With a
    settings file deskpet cannot read, `say` tells why and the declared defaults answer."""
    keys = [key for key in keys if getattr(args, key, None) is None]
    if not keys:
        return
    try:
        values = Settings().as_dict()
    except SettingsFileError as e:
        say(
            i18n.tr(
                "deskpet: {problem}; using the default {keys}",
                problem=i18n.shown(e),
                keys=", ".join(keys),
            )
        )
        values = DEFAULTS
    for key in keys:
        setattr(args, key, copy.deepcopy(values[key]))
