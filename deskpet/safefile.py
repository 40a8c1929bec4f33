"""Writing files that belong to the owner (or to other programs) without ever half-writing them.

Used for deskpet's own settings and for the agents' config files the installers touch:
atomic replace with fsync, permissions kept, symlinks followed (a dotfiles repo stays intact),
one backup before deskpet's first change, and a file the owner made read-only left alone.

A save killed half-way (kill -9, a power cut) leaves its temporary file behind: the name
carries deskpet's mark and the writer's pid (`.<name>.deskpet-<pid>-<random>.tmp`), so
`remove_stale_temps` can take away deskpet's own leftovers, and nothing else, at the next start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import shutil
import time
from pathlib import Path

from deskpet.i18n import Said

log = logging.getLogger(__name__)

BACKUP_SUFFIX = ".deskpet-backup"
# deskpet's temporary files, and only them: ".<target name>.deskpet-<pid>-<8 hex>.tmp".
TEMP_PATTERN = re.compile(r"\..+\.deskpet-([0-9]{1,10})-[0-9a-f]{8}\.tmp")
# A save takes milliseconds; a temporary file this old was left by a writer that died.
STALE_AFTER_SECONDS = 60


class ParseRefused(Exception):
    """A file deskpet was asked to change but cannot understand; it was left untouched.
    `reason` may be a Said, shown in the owner's language with the rest (`i18n.shown`)."""

    def __init__(self, path: Path | str, reason: str | Said) -> None:
        super().__init__(Said("{path}: {reason}; left it untouched", path=path, reason=reason))
        self.path = Path(path)
        self.reason = reason


class ReadOnly(ParseRefused):
    """The owner made the file read-only (no write bit); deskpet does not write over that."""

    def __init__(self, path: Path | str) -> None:
        Exception.__init__(self, Said("{path} is read-only; deskpet left it as it is", path=path))
        self.path = Path(path)
        self.reason = "it is read-only"


def refuse_read_only(path: Path | str) -> None:
    """Raise ReadOnly when `path` (a symlink: its target) exists with no write bit for anyone.

    The mode bits, not os.access: root may write anywhere, but the owner's 0444 still says no.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not mode & 0o222:
        raise ReadOnly(path)


def read_bytes(path: Path | str) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None


def atomic_write_bytes(path: Path | str, data: bytes, mode: int | None = None) -> Path:
    """Replace `path` with `data` in one step: readers see the old file or the new one.

    Writes a temporary file in the same folder, fsyncs it, keeps the old file's permissions
    (or `mode`, or the umask default for a new file), then os.replace()s it over the target.
    A symlinked target is resolved, so the link survives. Returns the path actually written.
    """
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            pass  # a new file: the kernel applies the umask to 0o666 when creating the temp
    # Never os.umask() to learn the default: it is process-wide, and other threads create files.
    fd, tmp = _create_temp(target, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)
    return target


def atomic_write_text(
    path: Path | str, text: str, encoding: str = "utf-8", mode: int | None = None
) -> Path:
    return atomic_write_bytes(path, text.encode(encoding), mode)


def _create_temp(target: Path, mode: int) -> tuple[int, str]:
    """A new, empty file beside `target` (same folder, so os.replace is atomic), opened for writing.

    Like tempfile.mkstemp, but created with `mode` (less the umask) instead of always 0o600.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        name = f".{target.name}.deskpet-{os.getpid()}-{secrets.token_hex(4)}.tmp"
        tmp = os.path.join(target.parent, name)
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue  # another writer's temporary file: pick another name
    raise FileExistsError(f"no free temporary file name beside {target}")


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every platform lets us open a folder.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def backup_path(path: Path | str, suffix: str = BACKUP_SUFFIX) -> Path:
    path = Path(path)
    return path.with_name(path.name + suffix)


def backup_once(
    path: Path | str, suffix: str = BACKUP_SUFFIX, refresh: bool = False
) -> Path | None:
    """Copy `path` to `<path><suffix>` unless that backup exists (or `refresh` says the old
    backup is stale). Returns the backup path, or None when there is nothing to back up."""
    path = Path(path)
    if not path.exists():
        return None
    backup = backup_path(path, suffix)
    if backup.exists() and not refresh:
        return backup
    data = path.read_bytes()
    atomic_write_bytes(backup, data, mode=os.stat(path).st_mode & 0o7777)
    with contextlib.suppress(OSError):
        shutil.copystat(path, backup)
    return backup


def remove_stale_temps(folder: Path | str, now: float | None = None) -> list[Path]:
    """Delete deskpet's own temporary files in `folder` that no save will finish: their writer
    is gone, or they are older than STALE_AFTER_SECONDS. Only names of TEMP_PATTERN, only
    regular files; returns what was removed. Never raises."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed  # no folder (the agent is not installed), or not ours to read
    for entry in entries:
        match = TEMP_PATTERN.fullmatch(entry.name)
        if match is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_SECONDS
            if not old and _alive(int(match.group(1))):
                continue  # a save in progress, in this or another deskpet
            os.unlink(entry.path)
        except OSError as exc:
            log.warning("cannot remove the leftover %s: %s", entry.path, exc)
            continue
        log.info("removed %s, left by a save that did not finish", entry.path)
        removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but belongs to someone else
    return True
