"""Import a persona folder into the owner's personas without trusting it or losing anything.

The folder comes from outside (a download, a friend), so the copy takes regular files only:
any symbolic link or special file is refused by name (a link could pull in a private key or
loop forever), and the number and total size of files are capped. The copy goes into a hidden
folder beside the target and is validated there; only then is it swapped in (old persona
renamed aside, new one renamed in, old one deleted last, put back if the swap fails). The
source is never written or deleted, and importing a folder onto itself is refused.

A GGUF LoRA file alone (llama.cpp's format, what the seed app's users have) becomes a persona's
voice the same way: the owner's copy of that persona is staged with the file in its adapter/
folder and swapped in. Removing one of the owner's personas renames it aside before deleting.
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

import yaml

from deskpet.i18n import Said
from deskpet.yaml_edit import CannotEdit, edit

from .persona import ADAPTER_DIR, FILE_NAME, Persona, load_persona

log = logging.getLogger(__name__)

MAX_FILES = 2000
MAX_BYTES = 4 * 1024**3  # a LoRA adapter for a 4B model is tens to hundreds of MB
MAX_DEPTH = 16
_CHUNK = 1 << 20
_STAGING = ".importing-"
GGUF_MAGIC = b"GGUF"  # hidden folders: load_all skips names starting with a dot


class ImportRefused(Exception):
    """The folder cannot be imported; str() is one line for the owner, in English (raised with
    a Said: `i18n.shown` says it in the owner's language)."""


class RemoveRefused(Exception):
    """The persona cannot be removed; str() is one line for the owner, in English (raised with
    a Said, like ImportRefused)."""


def scan(folder: Path) -> list[tuple[Path, int]]:
    """Every regular file under `folder` (relative path, size). Refuses links and special
    files, and stops at the count, size and depth caps before reading any file."""
    files: list[tuple[Path, int]] = []
    total = 0
    pending = [(folder, Path(), 0)]
    while pending:
        here, relative, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ImportRefused(
                Said(
                    "{folder} is nested more than {depth} folders deep",
                    folder=here,
                    depth=MAX_DEPTH,
                )
            )
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError as e:
            raise ImportRefused(
                Said("cannot read {path} ({why})", path=here, why=e.strerror or e)
            ) from None
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                raise ImportRefused(
                    Said(
                        "{path} is a symbolic link; persona folders are imported without links "
                        "(copy the file it points to into the folder instead)",
                        path=path,
                    )
                )
            if entry.is_dir(follow_symlinks=False):
                pending.append((path, relative / entry.name, depth + 1))
                continue
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                raise ImportRefused(Said("{path} is not a regular file", path=path))
            files.append((relative / entry.name, info.st_size))
            total += info.st_size
            if len(files) > MAX_FILES:
                raise ImportRefused(
                    Said("{folder} holds more than {count} files", folder=folder, count=MAX_FILES)
                )
            if total > MAX_BYTES:
                raise ImportRefused(
                    Said("{folder} holds more than {gb} GB", folder=folder, gb=MAX_BYTES // 1024**3)
                )
    return files


def _copy_file(source: Path, target: Path, limit: int) -> int:
    """Copy one regular file without following a link swapped in since the scan; at most
    `limit` bytes (a file that grew since the scan is refused)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(source, flags)
    except OSError as e:
        raise ImportRefused(
            Said("cannot read {path} ({why})", path=source, why=e.strerror or e)
        ) from None
    copied = 0
    with os.fdopen(fd, "rb") as src:
        if not stat.S_ISREG(os.fstat(src.fileno()).st_mode):
            raise ImportRefused(Said("{path} is not a regular file", path=source))
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as out:
            while chunk := src.read(_CHUNK):
                copied += len(chunk)
                if copied > limit:
                    raise ImportRefused(
                        Said("{path} grew while it was being imported", path=source)
                    )
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
        raise ImportRefused(Said("{path} is not a folder", path=folder))
    files = scan(folder)
    persona = load_persona(folder, shipped=False)
    if persona.adapter_is_local and not Path(persona.adapter).is_relative_to(folder.resolve()):
        # The copy would point back out of the owner's personas, at whatever is there then.
        raise ImportRefused(
            Said(
                "{file}: adapter {adapter} is outside the folder",
                file=persona.file,
                adapter=persona.adapter,
            )
        )
    for entry in persona.adapters:
        if entry.path and not Path(entry.path).is_relative_to(folder.resolve()):
            raise ImportRefused(
                Said(
                    "{file}: adapter {adapter} is outside the folder",
                    file=persona.file,
                    adapter=entry.path,
                )
            )
    target = owner / persona.id
    if same_or_nested(folder, target):
        raise ImportRefused(
            Said(
                "{folder} is the persona {id} itself; nothing to import",
                folder=folder,
                id=repr(persona.id),
            )
        )
    if (target.exists() or target.is_symlink()) and not replace:
        raise ImportRefused(
            Said(
                "you already have a persona {id} ({folder}); use --replace",
                id=repr(persona.id),
                folder=target,
            )
        )

    def fill(copy: Path) -> None:
        budget = MAX_BYTES
        for relative, size in files:
            budget -= _copy_file(folder / relative, copy / relative, min(size, budget))

    return _stage_and_swap(owner, persona.id, fill, check)


def import_lora(
    file: Path,
    persona: Persona,
    owner: Path,
    *,
    check: Callable[[Persona], None] | None = None,
) -> Path:
    """Give `persona` the GGUF LoRA `file` (llama.cpp's format) as its voice; returns the
    owner's persona folder that now holds it.

    The owner's copy of the persona (`owner/<id>`, made from the shipped one when there is
    none) gets the file as `adapter/<name>.gguf`; its other files come along, the adapter it
    had is left behind, and an `adapter:` line in its persona.yaml is pointed at the new one
    (comments kept). Same guarantees as `import_persona`: staged, checked, swapped in whole."""
    file = Path(file).expanduser().resolve()  # the owner picked this one file: follow links
    if file.suffix.lower() != ".gguf" or not file.is_file():
        raise ImportRefused(Said("{path} is not a .gguf file", path=file))
    size = file.stat().st_size
    if size > MAX_BYTES:
        raise ImportRefused(Said("{path} is over {gb} GB", path=file, gb=MAX_BYTES // 1024**3))
    try:
        with open(file, "rb") as f:
            magic = f.read(len(GGUF_MAGIC))
    except OSError as e:
        raise ImportRefused(
            Said("cannot read {path} ({why})", path=file, why=e.strerror or e)
        ) from None
    if magic != GGUF_MAGIC:
        raise ImportRefused(
            Said("{path} is not a GGUF file (it does not start with GGUF)", path=file)
        )
    source = persona.folder
    left_behind = [Path(ADAPTER_DIR)]
    if persona.adapter_is_local and Path(persona.adapter).is_relative_to(source):
        left_behind.append(Path(persona.adapter).relative_to(source))
    files = [
        (r, n) for r, n in scan(source) if not any(r.is_relative_to(old) for old in left_behind)
    ]

    def fill(copy: Path) -> None:
        budget = MAX_BYTES - size
        for relative, n in files:
            budget -= _copy_file(source / relative, copy / relative, min(n, budget))
        _copy_file(file, copy / ADAPTER_DIR / file.name, size)
        _point_adapter_here(copy / FILE_NAME)

    return _stage_and_swap(owner, persona.id, fill, check)


def _point_adapter_here(persona_file: Path) -> None:
    """An explicit `adapter:` would win over the adapter/ folder: point it there."""
    text = persona_file.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if isinstance(data, dict) and "adapter" in data:
        try:
            persona_file.write_text(edit(text, {"adapter": ADAPTER_DIR}), encoding="utf-8")
        except CannotEdit as e:
            raise ImportRefused(
                Said(
                    "{file}: cannot point its adapter at the new one ({why})",
                    file=persona_file,
                    why=e,
                )
            ) from None


def _stage_and_swap(
    owner: Path,
    persona_id: str,
    fill: Callable[[Path], None],
    check: Callable[[Persona], None] | None,
) -> Path:
    """Fill a hidden copy of `owner/<persona_id>`, validate and check it, then swap it in. On
    any failure the owner's folder is as it was."""
    target = owner / persona_id
    owner.mkdir(parents=True, exist_ok=True)
    clear_stale_staging(owner)
    staging = Path(tempfile.mkdtemp(prefix=f".{persona_id}{_STAGING}", dir=owner))
    try:
        copy = staging / persona_id
        copy.mkdir()
        fill(copy)
        imported = load_persona(copy, shipped=False)
        if check is not None:
            check(imported)
        _swap_in(copy, target)
    except BaseException:
        log.warning("persona import of %s failed; nothing was changed", persona_id)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def remove_persona(persona: Persona, owner: Path) -> None:
    """Delete one of the owner's personas (`owner/<id>`); a shipped one is refused
    (RemoveRefused, one line). The folder is renamed aside first, so a half-deleted persona is
    never loaded."""
    folder = owner / persona.id
    if persona.shipped or folder.is_symlink() or persona.folder != folder.resolve():
        raise RemoveRefused(
            Said("{persona} came with deskpet and cannot be removed", persona=persona.name.en)
        )
    if not folder.is_dir():
        raise RemoveRefused(Said("{folder} is not there any more", folder=folder))
    aside = Path(tempfile.mkdtemp(prefix=f".{persona.id}{_STAGING}", dir=owner))
    try:
        folder.rename(aside / persona.id)
    except OSError as e:
        shutil.rmtree(aside, ignore_errors=True)
        raise RemoveRefused(
            Said("cannot remove {folder} ({why})", folder=folder, why=e.strerror or e)
        ) from None
    shutil.rmtree(aside, ignore_errors=True)
    log.info("removed the owner's persona %s", persona.id)


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


__all__ = [
    "ImportRefused",
    "RemoveRefused",
    "clear_stale_staging",
    "import_lora",
    "import_persona",
    "remove_persona",
    "same_or_nested",
    "scan",
]
