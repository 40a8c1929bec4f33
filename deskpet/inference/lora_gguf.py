"""GGUF LoRA adapters, as llama.cpp's convert_lora_to_gguf.py writes them, read for the bank.

Such a file says `general.type` "adapter", `adapter.type` "lora" and `adapter.lora.alpha`, and
holds per projection `blk.N.<attn_q|...|ffn_down>.weight.lora_a` [r, in] and `.lora_b`
[out, r] (read back in PEFT's layout). The converter runs the base model's q/k row permutation
on the LoRA pair too, which moves only B's rows (A's rows are the rank); deskpet's base is
un-permuted when a GGUF model loads, so q's and k's B are un-permuted the same way here.
The scale is alpha / rank, as llama.cpp applies it.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import mlx.core as mx

from .gguf import _BLOCK_NAMES, _scalar, check_gguf, unpermute_rows
from .load import ModelLoadError
from .lora_config import AdapterError, AdapterSpec

log = logging.getLogger(__name__)

MAX_BYTES = 4 * 1024**3  # a rank-64 f32 LoRA of an 8B model is under 1 GB
_KEY = re.compile(r"^blk\.(\d{1,4})\.(\w+)\.weight\.lora_([ab])$")
_FLOATS = (mx.float32, mx.float16, mx.bfloat16)


def find(source: str | Path) -> Path | None:
    """The .gguf LoRA a source names: the file itself, or the only .gguf in a folder that has
    no adapter_config.json. None for anything else (a PEFT or mlx-lm folder)."""
    path = Path(source)
    if path.is_file():
        return path if path.suffix.lower() == ".gguf" else None
    if not path.is_dir() or (path / "adapter_config.json").exists():
        return None
    files = sorted(p for p in path.glob("*.gguf") if p.is_file())
    if len(files) > 1:
        names = ", ".join(p.name for p in files[:3])
        raise AdapterError(f"{path} holds {len(files)} .gguf files ({names}); keep only one")
    return files[0] if files else None


def _fail(path: Path, message: str) -> AdapterError:
    log.warning("GGUF LoRA %s refused", path.name)
    return AdapterError(f"{path.name}: {message}")


def _metadata(path: Path, meta: dict) -> tuple[float, str | None]:
    kind = meta.get("general.type")
    if kind != "adapter":
        raise _fail(path, f"general.type is {kind!r}, not 'adapter' (this is not a LoRA adapter)")
    if meta.get("adapter.type") != "lora":
        raise _fail(path, f"adapter.type is {meta.get('adapter.type')!r}, not 'lora'")
    arch = meta.get("general.architecture")
    if arch != "llama":
        raise _fail(path, f"the adapter is for a {arch} model; deskpet runs Llama models")
    if "adapter.alora.invocation_tokens" in meta:
        raise _fail(path, "activated LoRA (aLoRA) adapters are not supported")
    if "adapter.lora.alpha" not in meta:
        raise _fail(path, "the metadata has no adapter.lora.alpha (the LoRA's scale)")
    alpha = _scalar(meta["adapter.lora.alpha"])
    if not isinstance(alpha, int | float) or isinstance(alpha, bool) or alpha <= 0:
        raise _fail(path, f"adapter.lora.alpha must be a positive number (got {alpha!r})")
    name = meta.get("general.basename") or meta.get("general.name")
    return float(alpha), name if isinstance(name, str) else None


def read(path: Path, heads: tuple[int, int] | None) -> tuple[AdapterSpec, dict[str, mx.array]]:
    """The spec and PEFT-named tensors ([r, in] A, [out, r] B, q/k un-permuted) of a GGUF LoRA.

    `heads` is the base's (attention heads, key/value heads). Shapes against the base are
    checked by the caller, as for every format."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise _fail(path, f"the file is larger than {MAX_BYTES // 1024**3} GB")
        check_gguf(path)
        raw, meta = mx.load(str(path), return_metadata=True)
    except AdapterError:
        raise
    except ModelLoadError as e:
        log.warning("GGUF LoRA %s refused", path.name)
        raise AdapterError(str(e)) from None
    except Exception as e:
        raise _fail(path, f"could not be read as GGUF ({' '.join(str(e).split())})") from None
    alpha, base_model = _metadata(path, meta)
    tensors: dict[str, mx.array] = {}
    ranks: set[int] = set()
    for key, value in raw.items():
        m = _KEY.match(key)
        part = _BLOCK_NAMES.get(m[2], "") if m else ""
        if "_proj" not in part:
            raise _fail(path, f"tensor {key} is not a LoRA weight of a Llama projection")
        if value.dtype not in _FLOATS:
            raise _fail(path, f"tensor {key} is quantized; use an f32, f16 or bf16 GGUF LoRA")
        if value.ndim != 2:
            raise _fail(path, f"tensor {key} has shape {tuple(value.shape)}, not a matrix")
        if m[3] == "a":
            ranks.add(value.shape[0])
        elif part.endswith(("q_proj", "k_proj")):
            value = _unpermute(path, value, part, heads)
        tensors[f"model.layers.{int(m[1])}.{part}.lora_{m[3].upper()}.weight"] = value
    if not tensors:
        raise _fail(path, "the file holds no LoRA tensors")
    if len(ranks) != 1:
        raise _fail(path, f"the tensors have different ranks {sorted(ranks)}; deskpet needs one")
    rank = ranks.pop()
    targets = sorted({k.split(".")[4] for k in tensors})
    scale = alpha / rank
    spec = AdapterSpec(path, "gguf", rank, alpha, scale, targets, None, base_model, path)
    return spec, tensors


def _unpermute(path: Path, b: mx.array, part: str, heads) -> mx.array:
    if heads is None:
        raise _fail(path, "the base model's head counts are needed to read q and k")
    n = heads[0] if part.endswith("q_proj") else heads[1]
    if b.shape[0] % (2 * n):
        return b  # the shape check names the mismatch with the base
    return unpermute_rows(b, n)
