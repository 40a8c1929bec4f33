"""Writing files that belong to the owner (or to other programs) without ever half-writing them.

Used for deskpet's own settings and for the agents' config files the installers touch:
atomic replace with fsync, permissions kept, symlinks followed (a dotfiles repo stays intact),
and one backup before deskpet's first change.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path

BACKUP_SUFFIX = ".deskpet-backup"


class ParseRefused(Exception):
    """A file deskpet was asked to change but cannot understand; it was left untouched."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}; left it untouched")
        self.path = Path(path)
        self.reason = reason


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
        tmp = os.path.join(target.parent, f".{target.name}.{secrets.token_hex(4)}.tmp")
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
