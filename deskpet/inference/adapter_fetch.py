"""Persona adapters on a hub: which files, which pinned revision, and where they land.

The bytes move through download.py, exactly as a model's do (size first, progress, resume,
cancel, the hub's sha256 checked). This module only adds what is particular to adapters:
- which files: the persona's `file`, else the repo's only .gguf (as the seed app's
  fetch-adapters.js picks it), else a PEFT repo's adapter_config.json and weights;
- the revision: the persona's own pin, else the one that resolved at the first download,
  kept in `data_dir()/adapter_pins.json` (never in the persona file, which may be shipped);
- where: `cache_dir()/adapters/<owner>/<repo name>@<short sha>/`.
Nothing here runs on the inference thread: the UI fetches, then asks the worker to load the
local path. No MLX and no Qt.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from .. import paths, safefile
from ..i18n import Said
from ..personas.adapters import HubSource
from . import download as dl

log = logging.getLogger(__name__)

PINS_NAME = "adapter_pins.json"
MAX_PINS_BYTES = 256 * 1024
PEFT_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapters.safetensors")


def adapters_dir() -> Path:
    return paths.cache_dir() / "adapters"


def pins_file() -> Path:
    return paths.data_dir() / PINS_NAME


def _read_pins() -> dict[str, str] | None:
    """{"owner/name:file": commit}; None when the file is there but cannot be read as pins."""
    file = pins_file()
    try:
        if not file.exists():
            return {}
        if file.stat().st_size > MAX_PINS_BYTES:
            raise ValueError("too large")
        data = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
    except (OSError, ValueError) as e:
        log.warning("cannot read %s: %s", file, e)
        return None


def read_pins() -> dict[str, str]:
    """The pins; an unreadable file counts as none (logged)."""
    return _read_pins() or {}


def pin(source: HubSource, revision: str) -> None:
    """Keep the revision a download resolved to, so later runs (and a resume) use it. A pins
    file deskpet cannot read is left as it is (the download goes on unpinned), and the file
    is backed up once before deskpet's first change to it."""
    pins = _read_pins()
    if pins is None or pins.get(source.key) == revision:
        return
    pins[source.key] = revision
    text = json.dumps(pins, indent=2, sort_keys=True) + "\n"
    safefile.backup_once(pins_file())
    safefile.atomic_write_text(pins_file(), text)


def revision(source: HubSource) -> str | None:
    """The persona's pin, else deskpet's from the first download, else None (not yet)."""
    return source.revision or read_pins().get(source.key)


def owner_dir(source: HubSource) -> Path:
    return adapters_dir() / source.repo.split("/", 1)[0]


def local_copy(source: HubSource) -> Path | None:
    """The finished download of `source` at its pinned revision, else None."""
    rev = revision(source)
    if rev is None:
        return None
    name = source.repo.rsplit("/", 1)[-1]
    folder = owner_dir(source) / f"{name}@{rev[:8]}"
    if not folder.is_dir():
        return None
    return _adapter_in(folder, source)


def _adapter_in(folder: Path, source: HubSource) -> Path | None:
    if source.file:
        target = folder / source.file
        return target if target.is_file() else None
    if (folder / "adapter_config.json").is_file():
        return folder  # a PEFT repo's files (lora.read_spec)
    ggufs = sorted(folder.glob("*.gguf"))
    return ggufs[0] if len(ggufs) == 1 else None


def picker(source: HubSource) -> dl.Pick:
    """What to fetch from the repo's file list (a DownloadError when the choice is not clear)."""

    def pick(repo: str, names: list[str]) -> list[str]:
        if source.file:
            if source.file not in names:
                raise dl.DownloadError(
                    Said("{repo} has no file {name}", repo=repo, name=source.file)
                )
            return [source.file]
        if "adapter_config.json" in names:
            return [n for n in names if n in PEFT_FILES]
        ggufs = [n for n in names if n.lower().endswith(".gguf")]
        if len(ggufs) != 1:
            if ggufs:
                found = Said(
                    "{repo} has {count} .gguf files; the persona must name its file",
                    repo=repo,
                    count=len(ggufs),
                )
            else:
                found = Said("{repo} has no .gguf file; the persona must name its file", repo=repo)
            raise dl.DownloadError(found)
        return ggufs

    return pick


def plan(source: HubSource, endpoint: str | None = None) -> dl.DownloadPlan:
    """Ask the hub (`endpoint`, else the owner's mirror setting, else huggingface-hub's
    default) for the adapter's files at the pinned revision (or the current one)."""
    endpoint = endpoint or dl.hub_endpoint_setting()
    return dl.resolve(
        source.repo, revision=revision(source), endpoint=endpoint, pick=picker(source)
    )


def fetch(
    source: HubSource,
    the_plan: dl.DownloadPlan,
    progress: dl.Progress | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Download (or resume) the plan's files; pin its revision first so a resume continues
    the same commit. Returns the local path to load."""
    pin(source, the_plan.revision)
    folder = dl.download(
        the_plan, owner_dir(source), progress=progress, cancel=cancel, validate=False
    )
    path = _adapter_in(folder, source)
    if path is None:
        raise dl.DownloadError(
            Said("{folder} lacks {name} after the download", folder=folder, name=source.file)
        )
    return path
