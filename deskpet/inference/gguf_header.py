"""A GGUF file's header walked in Python, before any C reader sees the file.

Every count and length is checked against the bytes that are really there, so a hostile file
cannot make a reader allocate or loop without end; the bounds are far above any real model's.
The same walk reads the metadata and where each tensor lies, for the files mx.load cannot read
(gguf_requant.py then takes the tensors one at a time from a memory map).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

GGUF_MAGIC = b"GGUF"
MAX_GGUF_TENSORS = 1 << 16
MAX_GGUF_KEYS = 1 << 16
MAX_GGUF_DIMS = 4  # GGML_MAX_DIMS
MAX_GGUF_TYPE = 64
MAX_ALIGNMENT = 1 << 16
_SCALAR = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = 8, 9
_U64 = struct.Struct("<Q")


@dataclass
class TensorInfo:
    name: str
    shape: tuple[int, ...]  # rows first (GGUF lists dimensions innermost first)
    kind: int  # GGML type number
    offset: int  # from the start of the tensor data


@dataclass
class Header:
    tensors: list[TensorInfo] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # only when asked for
    data_start: int = 0  # where the tensor data begins in the file


class _Cursor:
    """A bounds-checked cursor over a GGUF file's bytes (ValueError on anything off)."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ValueError("the file ends inside its header")
        (value,) = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return value

    def count(self, limit: int, what: str, each: int = 1) -> int:
        n = self.take("Q")
        if n > limit or n * each > len(self.data) - self.pos:
            raise ValueError(f"{what} count {n:,} is more than the file can hold")
        return n

    def string(self) -> str:
        length = self.count(len(self.data), "string length")
        self.pos += length
        return bytes(self.data[self.pos - length : self.pos]).decode("utf-8", "replace")

    def skip_string(self) -> None:
        length = self.count(len(self.data), "string length")  # moves pos past the length
        self.pos += length

    def skip_value(self, kind: int) -> None:
        self.value(kind, keep=False)

    def strings(self, n: int, keep: bool) -> list[str] | None:
        # The vocabulary and merges are most of a header: one tight loop, not n method calls.
        data, pos, end, unpack = self.data, self.pos, len(self.data), _U64.unpack_from
        found = [] if keep else None
        for _ in range(n):
            if pos + 8 > end:
                raise ValueError("the file ends inside its header")
            length = unpack(data, pos)[0]
            if keep:
                if pos + 8 + length > end:
                    raise ValueError("the file ends inside its header")
                found.append(bytes(data[pos + 8 : pos + 8 + length]).decode("utf-8", "replace"))
            pos += 8 + length
        if pos > end:
            raise ValueError("the file ends inside its header")
        self.pos = pos
        return found

    def value(self, kind: int, keep: bool, depth: int = 0):
        if kind in _SCALAR:
            return self.take(_SCALAR[kind])
        if kind == _STRING:
            return self.string()
        if kind != _ARRAY or depth:
            raise ValueError(f"unknown metadata value type {kind}")
        item = self.take("I")
        if item in _SCALAR:
            size = struct.calcsize(_SCALAR[item])
            n = self.count(len(self.data), "array", size)
            start, self.pos = self.pos, self.pos + size * n
            if not keep:
                return None
            return np.frombuffer(self.data, "<" + _SCALAR[item], n, start).tolist()
        if item == _STRING:
            return self.strings(self.count(len(self.data), "array", 8), keep)
        n = self.count(len(self.data), "array", 8)
        return [self.value(item, keep, depth + 1) for _ in range(n)]


def read_header(path: Path, *, meta: bool = False) -> Header:
    """The tensors (and, with meta, the metadata as plain Python values) of a GGUF file.
    ValueError or OSError when the file is not well formed."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return _walk(_Cursor(data), meta)


def _walk(h: _Cursor, keep: bool) -> Header:
    if bytes(h.data[:4]) != GGUF_MAGIC:
        raise ValueError("it does not start with GGUF")
    h.pos = 4
    version = h.take("I")
    if version not in (2, 3):
        raise ValueError(f"version {version} is not supported (2 or 3)")
    tensors = h.count(MAX_GGUF_TENSORS, "tensor", 8 + 4 + 8 + 4 + 8)
    keys = h.count(MAX_GGUF_KEYS, "metadata", 8 + 4)
    header = Header()
    alignment = 32
    for _ in range(keys):
        key = h.string()
        value = h.value(h.take("I"), keep or key == "general.alignment")
        if key == "general.alignment":
            if not isinstance(value, int) or not 0 < value <= MAX_ALIGNMENT:
                raise ValueError(f"general.alignment {value!r} is not a sensible alignment")
            alignment = value
        if keep:
            header.meta[key] = value
    for _ in range(tensors):
        name = h.string()
        dims = h.take("I")
        if not 0 < dims <= MAX_GGUF_DIMS:
            raise ValueError(f"a tensor has {dims} dimensions")
        shape = [h.take("Q") for _ in range(dims)]
        elements = 1
        for n in shape:
            elements *= n
        if elements > len(h.data) * 8:  # no type packs more than 8 values in a byte
            raise ValueError(f"a tensor of {elements:,} values is larger than the file")
        kind = h.take("I")
        if kind >= MAX_GGUF_TYPE:
            raise ValueError("a tensor has an unknown type")
        offset = h.take("Q")
        if offset > len(h.data):
            raise ValueError("a tensor starts past the end of the file")
        header.tensors.append(TensorInfo(name, tuple(reversed(shape)), kind, offset))
    header.data_start = -(-h.pos // alignment) * alignment
    return header
