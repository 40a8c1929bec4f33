"""Persona files -> Persona objects, validated with messages that name the file and the field.

A persona is a folder `<id>/persona.yaml` (plus, optionally, an adapter folder in PEFT format
and its training data). Shipped personas live in the top-level `personas/` folder (inside the
app bundle when frozen); the owner's live in `data_dir()/personas` and override a shipped one
with the same id. No Qt and no MLX here.

```yaml
id: neko                        # must match the folder name
format: 1
name: {en: Neko, zh: 小喵}
description: {en: "A playful cat.", zh: "一只爱玩的猫。"}   # or one string
system_prompt: "You are Neko, ..."
greeting: {en: "Nya~!", zh: "喵~!"}                      # or one string
sampling: {temperature: 0.8, top_p: 0.95, repetition_penalty: 1.05}
thinking: false                 # false: answers never think while it is active
theme: neko                     # one of assets/themes
narration: "a playful cat"      # how it narrates agent work (the base model speaks)
adapters:                       # optional: one adapter per base model (personas/adapters.py)
  - {base: smollm2-135m-instruct, path: adapters/smollm2-135m-instruct}
  - {base: minicpm5-1b, hub: {repo: owner/name, file: name.gguf}}
adapter: adapter                # optional, older: a PEFT or mlx-lm folder, a .gguf LoRA file
                                #   (or a folder holding one) relative to this one, or a HF
                                #   repo id; used with any model no `adapters` entry is for
marks: ["nya", "喵"]            # optional: words that show the voice (`deskpet persona eval`)
```
When `adapter` is left out and the folder holds `adapter/adapter_config.json` (or an `adapter/`
folder holding a .gguf LoRA), that is used.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import deskpet
from deskpet.i18n import Said, reason

from . import adapters as adapter_entries

log = logging.getLogger(__name__)

FILE_NAME = "persona.yaml"
FORMAT = 1
DEFAULT_ID = "deskpet"
ADAPTER_DIR = "adapter"
THEMES = ("deskpet", "neko", "bolt", "sage")
LANGUAGES = ("en", "zh")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_HUB_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_SAMPLING_RANGES = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "repetition_penalty": (0.5, 2.0),
}
_KNOWN = {
    "id",
    "format",
    "name",
    "description",
    "system_prompt",
    "greeting",
    "sampling",
    "thinking",
    "theme",
    "narration",
    "adapter",
    "adapters",
    "marks",
}
MAX_MARKS = 16
MAX_MARK_CHARS = 40


class PersonaError(ValueError):
    """A persona file that cannot be used. str() names the file, the field and the problem, in
    English; raised with a Said, which `i18n.shown` says in the owner's language."""

    def __init__(self, file: Path, field_name: str | None, problem: str):
        self.file, self.field, self.problem = Path(file), field_name, problem
        if field_name:
            said = Said(
                "{file}: field '{field}': {problem}", file=file, field=field_name, problem=problem
            )
        else:
            said = Said("{file}: {problem}", file=file, problem=problem)
        super().__init__(said)


@dataclass(frozen=True)
class Text:
    """A string in English and Chinese; `get` falls back to English."""

    en: str
    zh: str

    def get(self, language: str = "en") -> str:
        return self.zh if language.startswith("zh") and self.zh else self.en


@dataclass(frozen=True)
class PersonaSampling:
    temperature: float = 0.7
    top_p: float = 0.95
    repetition_penalty: float = 1.05


@dataclass(frozen=True)
class Persona:
    id: str
    name: Text
    description: Text
    system_prompt: str
    greeting: Text
    sampling: PersonaSampling
    thinking: bool
    theme: str
    narration: str
    folder: Path
    adapter: str | None = None  # a resolved local folder, or a Hugging Face repo id
    adapters: tuple[adapter_entries.AdapterEntry, ...] = ()  # one per base model
    shipped: bool = True
    marks: tuple[str, ...] = ()  # words that show the voice, for `deskpet persona eval`
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def file(self) -> Path:
        return self.folder / FILE_NAME

    @property
    def adapter_is_local(self) -> bool:
        return self.adapter is not None and Path(self.adapter).is_absolute()

    def voice(self, base: str | None) -> adapter_entries.Voice:
        """Which adapter speaks with the loaded base model (its id from inference.bases, None
        for a model no known base is), or prompt only."""
        return adapter_entries.voice(self.adapters, self.adapter, base)

    def generation_sampling(self):
        """The persona's defaults as the worker's Sampling (imports the inference room)."""
        from deskpet.inference.generate import Sampling

        s = self.sampling
        return Sampling(
            temperature=s.temperature, top_p=s.top_p, repetition_penalty=s.repetition_penalty
        )

    def train_file(self, split: str = "train") -> Path:
        return self.folder / f"{split}.jsonl"


def shipped_dir() -> Path:
    """The shipped personas: inside the bundle when frozen, else beside the package."""
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / "personas"
    return Path(deskpet.__file__).resolve().parents[1] / "personas"


def owner_dir() -> Path:
    from deskpet.paths import data_dir

    return data_dir() / "personas"


MAX_FILE_BYTES = 1024 * 1024  # the shipped ones are a few KB, training sets live beside them


def load_persona(folder: str | Path, *, shipped: bool = True) -> Persona:
    """Read and validate one persona folder. Raises PersonaError naming file and field."""
    folder = Path(folder)
    file = folder / FILE_NAME
    if not file.exists():
        raise PersonaError(file, None, Said("missing (every persona folder needs a persona.yaml)"))
    try:
        if not file.is_file():
            raise PersonaError(file, None, Said("is not a file"))
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:  # persona folders come from anywhere: bound the read
            raise PersonaError(
                file,
                None,
                Said(
                    "is {size:,} bytes; a persona.yaml is at most {most:,}",
                    size=size,
                    most=MAX_FILE_BYTES,
                ),
            )
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise PersonaError(
            file, None, Said("not valid YAML ({problem})", problem=_one_line(e))
        ) from None
    except OSError as e:
        raise PersonaError(
            file, None, Said("cannot be read ({why})", why=e.strerror or e)
        ) from None
    if not isinstance(data, dict):
        raise PersonaError(file, None, Said("must be a YAML mapping of fields"))
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise PersonaError(
            file,
            "format",
            Said(
                "version {version} is not known (this deskpet reads {known})",
                version=repr(fmt),
                known=FORMAT,
            ),
        )
    pid = _string(file, data, "id")
    if not _ID.match(pid):
        raise PersonaError(
            file, "id", Said("{id} must be lowercase letters, digits, '-' or '_'", id=repr(pid))
        )
    if pid != folder.name:
        raise PersonaError(
            file,
            "id",
            Said(
                "{id} must match the folder name {folder}",
                id=repr(pid),
                folder=repr(folder.name),
            ),
        )
    theme = _string(file, data, "theme")
    if theme not in THEMES:
        raise PersonaError(
            file,
            "theme",
            Said(
                "{theme} is not a theme (choose one of {themes})",
                theme=repr(theme),
                themes=", ".join(THEMES),
            ),
        )
    thinking = data.get("thinking", False)
    if not isinstance(thinking, bool):
        raise PersonaError(
            file, "thinking", Said("must be true or false (got {value})", value=repr(thinking))
        )
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        log.info("%s: ignoring unknown fields %s", file, ", ".join(map(str, unknown)))
    return Persona(
        id=pid,
        name=_text(file, data, "name"),
        description=_text(file, data, "description"),
        system_prompt=_string(file, data, "system_prompt"),
        greeting=_text(file, data, "greeting"),
        sampling=_sampling(file, data.get("sampling")),
        thinking=thinking,
        theme=theme,
        narration=_string(file, data, "narration", required=False) or "a friendly desk pet",
        folder=folder.resolve(),
        adapter=_adapter(file, folder, data.get("adapter")),
        adapters=adapter_entries.parse(
            file, folder, data.get("adapters"), lambda name, why: PersonaError(file, name, why)
        ),
        shipped=shipped,
        marks=_marks(file, data.get("marks")),
        extra={k: data[k] for k in unknown},
    )


def load_all(*folders_and_shipped: tuple[Path, bool]) -> tuple[dict[str, Persona], list[str]]:
    """Every persona in the given roots, later roots overriding earlier ones by id.

    A broken persona is skipped with its message (a Said) in the returned problems; the rest
    load."""
    personas: dict[str, Persona] = {}
    problems: list[str] = []
    for root, shipped in folders_and_shipped:
        try:
            if not root.is_dir():
                continue
            folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError as e:  # a folder deskpet may not read (left by `sudo deskpet`)
            problems.append(
                Said("cannot read the personas in {root}: {why}", root=root, why=e.strerror or e)
            )
            log.warning("%s", problems[-1])
            continue
        for folder in folders:
            try:
                persona = load_persona(folder, shipped=shipped)
            except PersonaError as e:
                problems.append(reason(e))  # a Said: the terminal shows it translated
                log.warning("skipping persona: %s", e)
                continue
            personas[persona.id] = persona
    return personas, problems


class _StrictLoader(yaml.SafeLoader):
    """safe_load, except that a key given twice in one mapping is an error: YAML readers keep
    the last one silently, and a persona would lose the first `adapters:` list unnoticed."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str | int) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def _string(file: Path, data: dict, name: str, required: bool = True) -> str:
    value = data.get(name)
    if value is None:
        if required:
            raise PersonaError(file, name, Said("is required"))
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise PersonaError(
            file, name, Said("must be a non-empty string (got {value})", value=repr(value))
        )
    return value.strip()


def _text(file: Path, data: dict, name: str) -> Text:
    value = data.get(name)
    if isinstance(value, str) and value.strip():
        return Text(value.strip(), value.strip())
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise PersonaError(
                file,
                f"{name}.{unknown[0]}",
                Said("unknown language (use {languages})", languages=", ".join(LANGUAGES)),
            )
        en, zh = value.get("en"), value.get("zh")
        if not isinstance(en, str) or not en.strip():
            raise PersonaError(file, f"{name}.en", Said("is required (a non-empty string)"))
        if zh is not None and not isinstance(zh, str):
            raise PersonaError(
                file, f"{name}.zh", Said("must be a string (got {value})", value=repr(zh))
            )
        return Text(en.strip(), (zh or en).strip())
    if value is None:
        raise PersonaError(file, name, Said("is required"))
    raise PersonaError(
        file,
        name,
        Said("must be a string or a mapping with en and zh (got {value})", value=repr(value)),
    )


def _sampling(file: Path, value) -> PersonaSampling:
    if value is None:
        return PersonaSampling()
    if not isinstance(value, dict):
        raise PersonaError(
            file,
            "sampling",
            Said("must be a mapping (temperature, top_p, repetition_penalty)"),
        )
    out = {}
    for key, raw in value.items():
        if key not in _SAMPLING_RANGES:
            raise PersonaError(
                file,
                f"sampling.{key}",
                Said("unknown (use {keys})", keys=", ".join(_SAMPLING_RANGES)),
            )
        low, high = _SAMPLING_RANGES[key]
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not low <= raw <= high:
            raise PersonaError(
                file,
                f"sampling.{key}",
                Said(
                    "must be a number from {low} to {high} (got {value})",
                    low=low,
                    high=high,
                    value=repr(raw),
                ),
            )
        out[key] = float(raw)
    return PersonaSampling(**out)


def _marks(file: Path, value) -> tuple[str, ...]:
    if value is None:
        return ()
    if (
        not isinstance(value, list)
        or len(value) > MAX_MARKS
        or not all(isinstance(m, str) and 0 < len(m.strip()) <= MAX_MARK_CHARS for m in value)
    ):
        raise PersonaError(
            file,
            "marks",
            Said(
                "must be a list of at most {count} words of 1 to {chars} characters",
                count=MAX_MARKS,
                chars=MAX_MARK_CHARS,
            ),
        )
    return tuple(m.strip() for m in value)


def _is_adapter_folder(folder: Path) -> bool:
    """A PEFT or mlx-lm folder (adapter_config.json), or one holding a GGUF LoRA file."""
    return (folder / "adapter_config.json").exists() or any(folder.glob("*.gguf"))


def _adapter(file: Path, folder: Path, value) -> str | None:
    if value is None:
        default = folder / ADAPTER_DIR
        return str(default.resolve()) if _is_adapter_folder(default) else None
    if not isinstance(value, str) or not value.strip():
        raise PersonaError(
            file,
            "adapter",
            Said("must be a folder or a Hugging Face repo id (got {value})", value=repr(value)),
        )
    local = (folder / value).resolve()
    if local.is_file() and local.suffix.lower() == ".gguf":
        return str(local)  # a GGUF LoRA file (llama.cpp's format)
    if local.is_dir():
        if not _is_adapter_folder(local):
            raise PersonaError(
                file,
                "adapter",
                Said("{folder} has no adapter_config.json and no .gguf LoRA file", folder=local),
            )
        return str(local)
    if _HUB_REPO.match(value) and not value.startswith("."):
        return value  # fetched from Hugging Face when first used
    raise PersonaError(
        file,
        "adapter",
        Said(
            "folder {folder} does not exist (and {value} is not a repo id)",
            folder=local,
            value=repr(value),
        ),
    )


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
