"""deskpet's settings: one declared list, kept as YAML in the data folder.

`SETTINGS` is the single source of truth: defaults, types, labels and help texts for the
settings window and the command-line flags (`add_flags`, as in `deskpet chat --temperature`)
all come from it. `Settings` reads and writes `paths.data_dir() / "settings.yaml"` with these
promises to the owner:

- missing keys take their defaults, and keys deskpet does not know are kept as they are;
- a value of the wrong type falls back to its default with a warning in `Settings.warnings`,
  and stays in the file untouched until the owner changes that setting;
- a file that is not valid YAML is refused with an error naming the file and the problem,
  and never overwritten;
- the file holds only what the owner chose (keys it already had and keys changed through
  deskpet), so a later deskpet's better defaults reach everything else;
- writes are atomic, and the file is backed up once (settings.yaml.bak) before deskpet's
  first change to it.

Not thread-safe: the GUI thread owns the settings.
"""

from __future__ import annotations

import argparse
import copy
import logging
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from deskpet import paths
from deskpet.safefile import ParseRefused, atomic_write_bytes, backup_once, read_bytes

log = logging.getLogger(__name__)

FILE_NAME = "settings.yaml"
BACKUP_SUFFIX = ".bak"
_HEADER = "# deskpet settings. Keys left out use their defaults.\n"

# "" (no schedule) or HH:MM-HH:MM on a 24-hour clock; the range may cross midnight.
_CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d"
DND_SCHEDULE_PATTERN = rf"(?:{_CLOCK}-{_CLOCK})?"


class SettingValueError(ValueError):
    """A value that does not fit its setting."""


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
                f"{self.key} must be {_type_name(kind)}, not {type(value).__name__} {value!r}"
            )
        if kind is float and not math.isfinite(value):
            raise SettingValueError(f"{self.key} must be a finite number, not {value!r}")
        if self.choices is not None and value not in self.choices:
            raise SettingValueError(
                f"{self.key} must be one of {list(self.choices)}, not {value!r}"
            )
        if self.minimum is not None and value < self.minimum:
            raise SettingValueError(f"{self.key} must be at least {self.minimum}, not {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise SettingValueError(f"{self.key} must be at most {self.maximum}, not {value!r}")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise SettingValueError(
                f"{self.key}: {value!r} is not in the expected form: {self.help}"
            )
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
                f"{self.key}: cannot read {text!r} as {_type_name(kind)}"
            ) from None
        return self.check(value)


def _type_name(kind: type) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number"}.get(
        kind, f"a {kind.__name__}"
    )


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "model", "", str, "Model",
        "Folder or .gguf file of the model to chat with; empty: onboarding asks at the next start.",
    ),
    Setting(
        "hub_endpoint", "", str, "Model hub mirror",
        "Address of a Hugging Face mirror for model downloads; empty uses the hub itself.",
        pattern=r"(?:https?://\S+)?",
    ),
    Setting("persona", "default", str, "Persona", "The persona the pet starts with."),
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
        "dnd_schedule", "", str, "Quiet hours",
        "HH:MM-HH:MM (24-hour clock) when do-not-disturb turns on by itself, e.g. 22:00-08:00",
        pattern=DND_SCHEDULE_PATTERN,
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
        "pet_positions", {}, dict, "Pet positions",
        "Where the pet sits on each screen, by screen name.",
        visible=False,
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


def _parse(path: Path, data: bytes) -> dict[Any, Any]:
    """The file's top-level mapping; raises SettingsFileError when there is none to read."""
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SettingsFileError(path, f"not UTF-8 text ({exc})") from exc
    except yaml.YAMLError as exc:
        raise SettingsFileError(path, f"not valid YAML:\n{exc}\nFix or move the file") from exc
    if doc is None:  # an empty file (or only comments)
        return {}
    if not isinstance(doc, dict):
        found = {list: "a list", str: "plain text"}.get(type(doc), type(doc).__name__)
        raise SettingsFileError(path, f"expected 'setting: value' lines at the top, found {found}")
    return doc


class Settings:
    """The owner's settings, loaded from `path` (default: settings.yaml in the data folder).

    Attributes:
        path: the YAML file.
        warnings: problems found in the file (bad values replaced by defaults), for the UI.

    Raises SettingsFileError on construction when the file exists but cannot be parsed.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else settings_path()
        self.warnings: list[str] = []
        self._values: dict[str, Any] = dict(DEFAULTS)
        self._unknown: dict[Any, Any] = {}
        self._changed: set[str] = set()
        data = read_bytes(self.path)
        if data is not None:
            self._take(_parse(self.path, data))

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
                message = f"{self.path}: {exc}; using the default {setting.default!r}"
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
        """Write the changed settings into the file as it is on disk now.

        Keys changed elsewhere since loading (the owner editing the file) survive unless
        deskpet changed the same key. Returns False when there was nothing to write. Raises
        SettingsFileError, writing nothing, if the file has become unreadable.
        """
        if not self._changed:
            return False
        current = read_bytes(self.path)
        doc = _parse(self.path, current) if current is not None else {}
        for setting in SETTINGS:  # declared order for keys new to the file
            if setting.key in self._changed:
                doc[setting.key] = copy.deepcopy(self._values[setting.key])
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)
        data = (_HEADER + text).encode("utf-8")
        if data != current:
            if current is not None:
                backup_once(self.path, suffix=BACKUP_SUFFIX)
            atomic_write_bytes(self.path, data)
        self._changed.clear()
        self._take(doc)
        return data != current

    def ensure_file(self) -> Path:
        """Create settings.yaml, if absent, listing every setting commented out with its
        default and help, so an owner opening it sees what can be set. An existing file is
        never touched."""
        if read_bytes(self.path) is None:
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
                raise argparse.ArgumentTypeError(str(e)) from None

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
        say(f"deskpet: {e}; using the default {', '.join(keys)}")
        values = DEFAULTS
    for key in keys:
        setattr(args, key, copy.deepcopy(values[key]))
