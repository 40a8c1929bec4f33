"""GGUF tensors MLX cannot keep, read one at a time from the memory-mapped file.

mx.load keeps Q4_0, Q4_1 and Q8_0 quantized and F16/F32 as floats; it widens BF16 to float16
(losing bf16's range) and K-quants to float16 (the whole file at once), and fails on Q5_0 and
Q5_1. A file holding any of those comes here instead: every tensor is read from gguf's
memory-mapped reader on its own, so the memory used is the model's and one tensor's more.

    Q4_0, Q4_1, Q8_0     repacked bit for bit into MLX's affine format (group 32)
    F32, F16, BF16       kept as stored (2-D ones quantized like any float model)
    Q2_K..Q6_K, Q5_0/1   dequantized by the gguf package, then requantized to MLX affine
                         (4-bit group 64 by default, 8-bit when asked)

Rows are all this touches: llama.cpp's q/k row permutation is undone on the float rows before
they are requantized (and on the packed rows of repacked tensors, which is the same thing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import mlx.core as mx
import numpy as np

from ..i18n import Said
from .load import ModelLoadError

FLOAT_TYPES = ("F32", "F16", "BF16")
# Kept as stored (the Q* ones repacked exactly; mx.load does the same for files of only these).
KEPT_TYPES = ("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q8_0")
# Dequantized with gguf.quants and requantized.
REQUANTIZED_TYPES = ("Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q5_0", "Q5_1")
# What mx.load reads exactly (BF16 it widens to float16, so it is not here).
MX_LOAD_TYPES = frozenset({"F32", "F16", "Q4_0", "Q4_1", "Q8_0"})
# Dequantize at most this many values at once (64 MB of float32) so a big embedding is done in
# slices; q/k are un-permuted whole (they are hidden x hidden at most).
CHUNK_VALUES = 1 << 24


@dataclass
class Tensor:
    """One GGUF tensor: its type, shape and stored bytes (a memory map of the file)."""

    name: str
    kind: str  # GGML type name, e.g. "Q4_K"
    shape: tuple[int, ...]  # in row-major order: (rows, columns) for a matrix
    data: np.ndarray  # memory-mapped view of the file


def plan(kind: str, bits: int) -> str:
    """What happens to a tensor of this type, in words (for `deskpet model info`)."""
    if kind in KEPT_TYPES:
        return "kept as stored"
    if kind in REQUANTIZED_TYPES:
        return f"dequantized and requantized to {bits}-bit" if bits else "dequantized to float16"
    return "cannot be run"


def convert(
    tensors: Iterable[Tensor],
    heads: Callable[[str], int | None],
    *,
    bits: int,
    group_size: int,
    progress: Callable[[str], None] | None = None,
) -> dict[str, mx.array]:
    """MLX arrays under GGUF names (`x.weight`, and `x.scales`/`x.biases` when quantized).

    heads(name) is the head count whose row order llama.cpp permuted, or None."""
    tensors = list(tensors)
    out: dict[str, mx.array] = {}
    step = max(1, len(tensors) // 10)
    for i, t in enumerate(tensors, 1):
        out.update(_one(t, heads(t.name), bits, group_size))
        if progress and (i % step == 0 or i == len(tensors)):
            progress(
                Said(
                    "Converted {done} of {count} tensors ({tensor}, {kind})",
                    done=i,
                    count=len(tensors),
                    tensor=t.name,
                    kind=t.kind,
                )
            )
    return out


def _one(t: Tensor, heads: int | None, bits: int, group_size: int) -> dict[str, mx.array]:
    stem = t.name.removesuffix(".weight")
    _check_size(t)
    if t.kind in ("Q4_0", "Q4_1", "Q8_0"):
        if len(t.shape) != 2:  # Llama's quantized tensors are matrices
            raise ModelLoadError(f"GGUF tensor {t.name} of shape {t.shape} is not a matrix")
        packed = _REPACK[t.kind](t.data.reshape(t.shape[0], -1, _BLOCK_BYTES[t.kind]))
        if heads:
            packed = tuple(_unpermute(a, heads) for a in packed)
        mx.eval(*packed)
        return dict(zip((t.name, f"{stem}.scales", f"{stem}.biases"), packed, strict=True))
    if t.kind in FLOAT_TYPES:
        value = floats(t)
    elif t.kind in REQUANTIZED_TYPES:
        return _requantize(t, heads, bits, group_size)
    else:
        raise ModelLoadError(
            f"GGUF tensor {t.name} is stored as {t.kind}, which deskpet cannot run"
        )
    if heads:
        value = _unpermute(value, heads)
    mx.eval(value)
    return {t.name: value}


def floats(t: Tensor) -> mx.array:
    """An F32, F16 or BF16 tensor's values, as stored."""
    raw = np.asarray(t.data).reshape(-1)
    if t.kind == "BF16":  # numpy has no bfloat16: carried as its bits
        return mx.array(raw.view(np.uint16).reshape(t.shape)).view(mx.bfloat16)
    if t.kind in ("F32", "F16"):
        return mx.array(raw.view(np.float32 if t.kind == "F32" else np.float16).reshape(t.shape))
    raise ModelLoadError(f"GGUF tensor {t.name} is stored as {t.kind}, not as floats")


def _requantize(t: Tensor, heads: int | None, bits: int, group_size: int) -> dict[str, mx.array]:
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize

    qtype = GGMLQuantizationType[t.kind]
    rows = t.data.reshape(t.shape[0] if len(t.shape) > 1 else 1, -1)
    columns = t.shape[-1]
    group = next((g for g in (group_size, 32) if columns % g == 0), 0)
    keep_float = not bits or not group or len(t.shape) != 2
    # Whole for q/k (their permutation spans rows) and for what stays float; sliced otherwise.
    per_slice = rows.shape[0] if heads or keep_float else max(1, CHUNK_VALUES // columns)
    parts: list[tuple[mx.array, ...]] = []
    for start in range(0, rows.shape[0], per_slice):
        w = mx.array(dequantize(np.asarray(rows[start : start + per_slice]), qtype))
        if heads:
            w = _unpermute(w, heads)  # on the float rows, before requantizing
        if keep_float:
            part = (w.astype(mx.float16),)
        else:
            q, scales, biases = mx.quantize(w, group_size=group, bits=bits)
            part = (q, scales.astype(mx.float16), biases.astype(mx.float16))
        mx.eval(*part)
        parts.append(part)
    stem = t.name.removesuffix(".weight")
    names = (t.name,) if keep_float else (t.name, f"{stem}.scales", f"{stem}.biases")
    joined = [mx.concatenate(p) if len(p) > 1 else p[0] for p in zip(*parts, strict=True)]
    if keep_float:
        joined[0] = joined[0].reshape(t.shape)
    mx.eval(*joined)
    return dict(zip(names, joined, strict=True))


def _unpermute(w: mx.array, heads: int) -> mx.array:
    from .gguf import unpermute_rows

    return unpermute_rows(w, heads)


def _check_size(t: Tensor) -> None:
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    block, size = GGML_QUANT_SIZES[GGMLQuantizationType[t.kind]]
    values = int(np.prod(t.shape))
    if t.shape[-1] % block:
        raise ModelLoadError(
            f"GGUF tensor {t.name} has rows of {t.shape[-1]} values, not whole {t.kind} blocks"
        )
    expected = values // block * size
    if t.data.nbytes != expected:
        raise ModelLoadError(
            f"GGUF tensor {t.name} holds {t.data.nbytes:,} bytes where {t.kind} of shape "
            f"{t.shape} needs {expected:,} (the file is damaged or cut short)"
        )


# --- exact repacking of llama.cpp's 32-value blocks into MLX affine (w = scale * q + bias) ---

_BLOCK_BYTES = {"Q4_0": 18, "Q4_1": 20, "Q8_0": 34}


def _halves(blocks: np.ndarray, at: int) -> np.ndarray:
    """The float16 stored at byte `at` of every block, as (rows, blocks)."""
    return np.ascontiguousarray(blocks[..., at : at + 2]).view(np.float16)[..., 0]


def _nibbles(blocks: np.ndarray, at: int) -> np.ndarray:
    """A block's 32 4-bit values in order: llama.cpp keeps value j in byte j's low nibble and
    value j+16 in its high nibble; MLX wants them in order, 8 to a little-endian uint32."""
    qs = blocks[..., at : at + 16]
    values = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)  # (rows, blocks, 32)
    pairs = values[..., 0::2] | (values[..., 1::2] << 4)
    return np.ascontiguousarray(pairs).reshape(blocks.shape[0], -1).view(np.uint32)


def _pack(q: np.ndarray, scales: np.ndarray, biases: np.ndarray) -> tuple[mx.array, ...]:
    return mx.array(q), mx.array(scales.astype(np.float16)), mx.array(biases.astype(np.float16))


def _q4_0(blocks: np.ndarray):
    d = _halves(blocks, 0)
    return _pack(_nibbles(blocks, 2), d, -8 * d.astype(np.float32))


def _q4_1(blocks: np.ndarray):
    return _pack(_nibbles(blocks, 4), _halves(blocks, 0), _halves(blocks, 2))


def _q8_0(blocks: np.ndarray):
    d = _halves(blocks, 0)
    signed = np.ascontiguousarray(blocks[..., 2:]).view(np.int8)
    unsigned = (signed.astype(np.int16) + 128).astype(np.uint8)
    q = unsigned.reshape(blocks.shape[0], -1).view(np.uint32)
    return _pack(q, d, -128 * d.astype(np.float32))


_REPACK = {"Q4_0": _q4_0, "Q4_1": _q4_1, "Q8_0": _q8_0}
