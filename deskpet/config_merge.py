"""Merging deskpet's part into a config file that belongs to someone else, and taking it out.

The file is its owner's: deskpet parses it (JSON or TOML), changes only its own part in the
parsed document, and writes the result back atomically (safefile). A file that cannot be parsed
is refused and left as it was. Before deskpet's first change the file is backed up once
(`<file>.deskpet-backup`); when taking deskpet's part out leaves the content as it was before,
the backup's exact bytes are put back, so the file is byte-identical to the owner's original
("as before" ignores the empty tables and skeleton keys deskpet's part needed: `trimmed`), and a
file deskpet created is removed again. TOML keeps its comments and layout (tomlkit); JSON keeps
its indentation, and a string the owner escaped as a lone surrogate ("\\ud800") stays escaped.
A file the owner made read-only (no write bit) is refused and left as it is.

Programs rewrite their own settings at any moment (a model switch, a new permission): when the
file changed between deskpet's read and its write, the merge starts again from the fresh bytes,
once, and then gives up without writing (FileChanged).

What "deskpet's part" is, is the caller's business: this module knows no program.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions

from deskpet import safefile
from deskpet.i18n import Said
from deskpet.safefile import ParseRefused


class FileChanged(OSError):
    """The owner kept rewriting the file while deskpet merged into it; nothing was written."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} changed while deskpet was updating it; changed nothing, try again"
        )
        self.path = path


class _Stale(Exception):
    """The file's bytes are no longer the ones the merge started from."""


def _indent_of(raw: bytes | None) -> str | int:
    match = re.search(rb"\{\s*?\n([ \t]+)\S", raw or b"")
    if not match:
        return 2
    indent = match.group(1).decode()
    return indent if "\t" in indent else len(indent)


class JsonFormat:
    """A JSON file whose top level is an object; written back with the owner's indentation."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def parse(self, raw: bytes) -> dict:
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ParseRefused(self.path, Said("not valid JSON ({why})", why=exc)) from exc
        if not isinstance(data, dict):
            raise ParseRefused(self.path, Said("the top level is not a JSON object"))
        return data

    def dump(self, data: dict, original: bytes | None) -> bytes:
        text = json.dumps(data, indent=_indent_of(original), ensure_ascii=False)
        # A lone surrogate ("\ud800" in the owner's file) has no UTF-8 form; it can only sit
        # in a JSON string, where backslashreplace writes it back as the same escape.
        return (text + "\n").encode("utf-8", "backslashreplace")

    def plain(self, data: dict) -> object:
        return data


class TomlFormat:
    """A TOML file, round-tripped by tomlkit so comments and layout survive."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def parse(self, raw: bytes) -> tomlkit.TOMLDocument:
        try:
            return tomlkit.parse(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomlkit.exceptions.TOMLKitError) as exc:
            raise ParseRefused(self.path, Said("not valid TOML ({why})", why=exc)) from exc

    def dump(self, data: tomlkit.TOMLDocument, original: bytes | None) -> bytes:
        return tomlkit.dumps(data).encode("utf-8")

    def plain(self, data: tomlkit.TOMLDocument) -> object:
        return data.unwrap()


@dataclass(kw_only=True)
class ConfigMerge:
    """deskpet's part of one config file: how to put it in, take it out and recognise it.

    Attributes:
        path: the file (a symlink is followed, and stays a symlink).
        fmt: JsonFormat or TomlFormat for that path.
        add: puts deskpet's part into the parsed document, in place (may raise ParseRefused
            when the part it must change is not what it expects).
        remove: takes deskpet's part out of the parsed document, in place.
        holds_ours: whether the document already holds some of deskpet's part.
        empty: whether nothing is left but what deskpet itself would have created.
        trimmed: the plain document without what deskpet's part may leave behind when taken
            out (empty tables, skeleton keys); two documents alike once trimmed are the same
            to the owner, so uninstall puts back the original bytes.
    """

    path: Path
    fmt: JsonFormat | TomlFormat
    add: Callable[[Any], None]
    remove: Callable[[Any], None]
    holds_ours: Callable[[Any], bool]
    empty: Callable[[Any], bool]
    trimmed: Callable[[Any], Any] = copy.deepcopy

    def load(self) -> tuple[bytes | None, Any]:
        """The file's bytes (None when it does not exist) and its parsed document."""
        raw = safefile.read_bytes(self.path)
        if raw is None:
            return None, self.fmt.parse(b"")
        return raw, self.fmt.parse(raw)

    def install(self) -> bool:
        """Merge deskpet's part in; False when it was already there (nothing written)."""
        return self._twice(self._install)

    def uninstall(self) -> bool:
        """Take deskpet's part out; False when there was none (nothing written)."""
        return self._twice(self._uninstall)

    def _twice(self, step: Callable[[], bool]) -> bool:
        for _ in range(2):
            try:
                return step()
            except _Stale:
                continue
        raise FileChanged(self.path)

    def _check(self, raw: bytes | None) -> None:
        """Raise _Stale unless the file still holds `raw` (called just before writing)."""
        if safefile.read_bytes(self.path) != raw:
            raise _Stale

    def _install(self) -> bool:
        raw, data = self.load()
        before = copy.deepcopy(self.fmt.plain(data))
        had_ours = self.holds_ours(data)
        self.add(data)
        if self.fmt.plain(data) == before:
            return False  # already there: install twice = install once
        new = self.fmt.dump(data, raw)  # before the backup: a failure leaves no trace
        if raw is not None:
            safefile.refuse_read_only(self.path)
            # A backup from an earlier install cycle is stale once the file holds none of ours.
            safefile.backup_once(self.path, refresh=not had_ours)
        self._check(raw)
        safefile.atomic_write_bytes(self.path, new)
        return True

    def _uninstall(self) -> bool:
        raw, data = self.load()
        if raw is None:
            return False
        before = copy.deepcopy(self.fmt.plain(data))
        self.remove(data)
        backup = safefile.backup_path(self.path)
        if self.fmt.plain(data) == before:
            return False
        original = safefile.read_bytes(backup)
        new = self.fmt.dump(data, raw)
        safefile.refuse_read_only(self.path)
        self._check(raw)
        if original is not None and self._same(original, data):
            # Content is back to the owner's original: restore its exact bytes.
            safefile.atomic_write_bytes(self.path, original)
            backup.unlink()
        elif original is None and self.empty(data):
            os.unlink(os.path.realpath(self.path))  # deskpet created this file
        else:
            safefile.atomic_write_bytes(self.path, new)
        return True

    def _same(self, original: bytes, data: Any) -> bool:
        try:
            owners = self.fmt.plain(self.fmt.parse(original))
        except ParseRefused:
            return False
        return self.trimmed(owners) == self.trimmed(self.fmt.plain(data))
