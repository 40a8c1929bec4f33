"""What the owner last asked deskpet to do with each agent config file: install or uninstall.

Kept in deskpet's data folder (NAME, written atomically), so the running pet can tell "another
program rewrote the file without deskpet's hooks" (worth saying) from "the owner took them
out" (not: bridge/hooks_watch.py), even when the owner did it from the command line.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from deskpet import paths, safefile

log = logging.getLogger(__name__)

NAME = "agent-hooks.json"


def path() -> Path:
    return paths.data_dir() / NAME


def load() -> dict[str, bool]:
    """{config file path: True (the owner installed deskpet there) or False (uninstalled)}.
    Empty when nothing was recorded or the record is unreadable."""
    try:
        data = json.loads(path().read_bytes())
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {str(k): v for k, v in files.items() if isinstance(v, bool)}


def record(changes: dict[Path, bool]) -> None:
    """Note the owner's install (True) or uninstall (False) per file; a failure is only a log
    line (the hooks themselves were changed)."""
    files = load()
    files.update({str(file): wanted for file, wanted in changes.items()})
    text = json.dumps({"version": 1, "files": files}, indent=2, sort_keys=True) + "\n"
    try:
        safefile.atomic_write_text(path(), text, mode=0o600)
    except OSError as exc:
        log.warning("could not record the hooks' install state in %s: %s", path(), exc)
