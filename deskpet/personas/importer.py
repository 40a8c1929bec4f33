"""Import a persona folder into the owner's personas without trusting it or losing anything.

The folder comes from outside (a download, a friend), so the copy takes regular files only:
any symbolic link or special file is refused by name (a link could pull in a private key or
loop forever), and the number and total size of files are capped. The copy goes into a hidden
folder beside the target and is validated there; only then is it swapped in (old persona
renamed aside, new one renamed in, old one deleted last, put back if the swap fails). The
source is never written or deleted, and importing a folder onto itself is refused.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .persona import Persona, load_persona

log = logging.getLogger(__name__)

MAX_FILES = 2000
MAX_BYTES = 4 * 1024**3  # a LoRA adapter for a 4B model is tens to hundreds of MB
MAX_DEPTH = 16
_CHUNK = 1 << 20
_STAGING = ".importing-"  # hidden folders: load_all skips names starting with a dot


class ImportRefused(Exception):
    """The folder cannot be imported; str() is one line for the owner."""


def scan(folder: Path) -> list[tuple[Path, int]]:
    """Every regular file under `folder` (relative path, size). Refuses links and special
    files, and stops at the count, size and depth caps before reading any file."""
    files: list[tuple[Path, int]] = []
    total = 0
    pending = [(folder, Path(), 0)]
    while pending:
        here, relative, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ImportRefused(f"{here} is nested more than {MAX_DEPTH} folders deep")
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError as e:
            raise ImportRefused(f"cannot read {here} ({e.strerror or e})") from None
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                raise ImportRefused(
                    f"{path} is a symbolic link; persona folders are imported without links "
                    "(copy the file it points to into the folder instead)"
                )
            if entry.is_dir(follow_symlinks=False):
                pending.append((path, relative / entry.name, depth + 1))
                continue
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                raise ImportRefused(f"{path} is not a regular file")
            files.append((relative / entry.name, info.st_size))
            total += info.st_size
            if len(files) > MAX_FILES:
                raise ImportRefused(f"{folder} holds more than {MAX_FILES} files")
            if total > MAX_BYTES:
                raise ImportRefused(f"{folder} holds more than {MAX_BYTES // 1024**3} GB")
    return files


def _copy_file(source: Path, target: Path, limit: int) -> int:
    """Copy one regular file without following a link swapped in since the scan; at most
    `limit` bytes (a file that grew since the scan is refused)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(source, flags)
    except OSError as e:
        raise ImportRefused(f"cannot read {source} ({e.strerror or e})") from None
    copied = 0
    with os.fdopen(fd, "rb") as src:
        if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
            raise ImportRefused(f"{source} is not a regular file")
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as out:
            while chunk := src.read(_CHUNK):
                copied += len(chunk)
                if copied > limit:
                    raise ImportRefused(f"{source} grew while it was being imported")
                out.write(chunk)
    return copied


def same_or_nested(a: Path, b: Path) -> bool:
    """Whether two folders are the same place, or one is inside the other (after links)."""
    a, b = a.resolve(), b.resolve()
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


def import_persona(
    folder: Path,
    owner: Path,
    *,
    replace: bool = False,
    check: Callable[[Persona], None] | None = None,
) -> Path:
    """Copy the persona in `folder` into `owner/<id>` and return that path.

    `check` validates the copied persona (the adapter against the base) and may raise
    ImportRefused. Raises ImportRefused or PersonaError with one line; on any failure the
    owner's folder is as it was (no copy left, the old persona in place)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ImportRefused(f"{folder} is not a folder")
    files = scan(folder)
    persona = load_persona(folder, shipped=False)
    if persona.adapter_is_local and not Path(persona.adapter).is_relative_to(folder.resolve()):
        # The copy would point back out of the owner's personas, at whatever is there then.
        raise ImportRefused(f"{persona.file}: adapter {persona.adapter} is outside the folder")
    for entry in persona.adapters:
        if entry.path and not Path(entry.path).is_relative_to(folder.resolve()):
            raise ImportRefused(f"{persona.file}: adapter {entry.path} is outside the folder")
    target = owner / persona.id
    if same_or_nested(folder, target):
        raise ImportRefused(f"{folder} is the persona {persona.id!r} itself; nothing to import")
    if (target.exists() or target.is_symlink()) and not replace:
        raise ImportRefused(f"you already have a persona {persona.id!r} ({target}); use --replace")
    owner.mkdir(parents=True, exist_ok=True)
    clear_stale_staging(owner)
    staging = Path(tempfile.mkdtemp(prefix=f".{persona.id}{_STAGING}", dir=owner))
    try:
        copy = staging / persona.id
        copy.mkdir()
        budget = MAX_BYTES
        for relative, size in files:
            budget -= _copy_file(folder / relative, copy / relative, min(size, budget))
        imported = load_persona(copy, shipped=False)
        if check is not None:
            check(imported)
        _swap_in(copy, target)
    except BaseException:
        log.warning("persona import of %s failed; nothing was changed", persona.id)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _swap_in(copy: Path, target: Path) -> None:
    """Rename the old persona aside, the copy in, and delete the old one last."""
    if not (target.exists() or target.is_symlink()):
        copy.rename(target)
        return
    aside = copy.parent / "previous"
    target.rename(aside)
    try:
        copy.rename(target)
    except OSError:
        aside.rename(target)
        raise
    # `aside` sits in the staging folder, which the caller removes last (rmtree unlinks a
    # link without following it).


def clear_stale_staging(owner: Path, older_than: float = 3600.0) -> None:
    """Remove copies left by an import that was killed half-way (only deskpet's own, and
    only old ones, so an import running in another process keeps its copy)."""
    if not owner.is_dir():
        return
    now = time.time()
    for path in owner.iterdir():
        if not (path.name.startswith(".") and _STAGING in path.name) or path.is_symlink():
            continue
        try:
            if now - path.stat().st_mtime > older_than:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


__all__ = ["ImportRefused", "clear_stale_staging", "import_persona", "same_or_nested", "scan"]
