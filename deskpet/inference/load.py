"""Load a model from any of the three formats deskpet reads, into the one Model class.

(a) an MLX quantized directory in mlx-lm's format (config.json with "quantization");
(b) an unquantized Hugging Face safetensors directory, quantized on load (4-bit, group 64);
(c) a GGUF file of any common tensor type (K-quants, Q4_0..Q8_0, F16, BF16, F32), read by gguf.py.

Checkpoint quirks are adapted in the readers (GGUF names and llama.cpp's q/k row permutation in
gguf.py), so model.py stays one plain Llama. Every failure is a ModelLoadError with a one-line
message naming the problem, because the owner sees it verbatim.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_flatten

from ..i18n import Said
from .model import Model, ModelArgs, UnsupportedModelError

log = logging.getLogger(__name__)

DEFAULT_BITS = 4
DEFAULT_GROUP_SIZE = 64
MAX_CONFIG_BYTES = 1 << 20  # a config.json is a few KB
MAX_SAFETENSORS_HEADER = 100 << 20  # the safetensors format's own limit
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"


class ModelLoadError(Exception):
    """A model could not be loaded; the message is one line meant for the owner.

    Every way a model from outside can be wrong ends here (the worker reports it with the
    failure kind protocol.LOAD), never in a traceback."""

    kind = "load"

    def __init__(self, message: str) -> None:
        # A Said is one line already, and stays whole so it can be shown translated.
        super().__init__(message if isinstance(message, Said) else " ".join(str(message).split()))


def refuse_lfs_pointer(file: Path) -> None:
    """A Git LFS pointer checked out instead of the weights is named as such."""
    try:
        with open(file, "rb") as f:
            head = f.read(len(LFS_POINTER))
    except OSError as e:
        raise ModelLoadError(
            Said("{name} cannot be read ({why})", name=file.name, why=e.strerror or e)
        ) from None
    if head == LFS_POINTER:
        raise ModelLoadError(
            Said("{name} is a Git LFS pointer, not the weights: run git lfs pull", name=file.name)
        )


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _refused(path: Path, what: str, error: Exception) -> ModelLoadError:
    """An unexpected error while reading a model from outside, as one line (and the log)."""
    log.warning("%s of %s failed: %s", what, path, _one_line(error))
    log.debug("%s of %s failed", what, path, exc_info=error)
    return ModelLoadError(f"{path.name} could not be {what} ({_one_line(error)})")


@dataclass
class Checkpoint:
    """What a source holds, before a Model is built: HF config, weights (HF names), tokenizer."""

    config: dict[str, Any]
    weights: dict[str, mx.array]
    tokenizer: Any  # mlx_lm TokenizerWrapper
    format: str  # "mlx", "safetensors" or "gguf"
    source: Path
    tensor_types: dict[str, str] = field(default_factory=dict)  # GGUF: name -> "Q4_K", ...
    conversion_seconds: float = 0.0  # GGUF tensors dequantized and requantized on load


@dataclass
class LoadedModel:
    model: Model
    tokenizer: Any  # mlx_lm TokenizerWrapper: encode/decode, chat template, detokenizer
    args: ModelArgs
    format: str
    source: Path
    quantization: str  # e.g. "4-bit g64", "mixed: 4-bit g32, 8-bit g32", "none"
    dtype: mx.Dtype
    eos_token_ids: list[int] = field(default_factory=list)
    conversion_seconds: float = 0.0  # of the load, spent requantizing GGUF tensors


def compute_dtype(checkpoint_dtype: mx.Dtype = mx.bfloat16, fp16: bool = False) -> mx.Dtype:
    """float32 on the CPU backend (its fp16/bf16 quantized matmul is 10-40x slower); the
    checkpoint's dtype on a GPU, or fp16 when asked (M1/M2 emulate bf16)."""
    if mx.default_device() == mx.cpu:
        return mx.float32
    if fp16 and checkpoint_dtype == mx.bfloat16:
        return mx.float16
    return checkpoint_dtype if checkpoint_dtype in (mx.float16, mx.bfloat16) else mx.float16


def read_checkpoint(
    source: str | Path,
    *,
    bits: int = DEFAULT_BITS,
    group_size: int = DEFAULT_GROUP_SIZE,
    progress: Callable[[str], None] | None = None,
) -> Checkpoint:
    """Read config, weights and tokenizer from a directory or a .gguf file. bits and
    group_size are what a GGUF's tensors MLX cannot keep are requantized to; progress hears
    a line now and then while that runs."""
    path = Path(source).expanduser()
    try:
        return _read_checkpoint(path, bits, group_size, progress)
    except ModelLoadError:
        raise
    except Exception as e:  # a model from outside must end in one line, never a traceback
        raise _refused(path, "read", e) from None


def _starts_as_gguf(path: Path) -> bool:
    # Ollama keeps its GGUF files as blobs named sha256-<hex>, without the suffix.
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"GGUF"
    except OSError:
        return False


def _read_checkpoint(path: Path, bits: int, group_size: int, progress) -> Checkpoint:
    if not path.exists():
        raise ModelLoadError(Said("{path} does not exist", path=path))
    if path.is_file():
        if path.suffix.lower() != ".gguf" and not _starts_as_gguf(path):
            raise ModelLoadError(
                Said("{name} is not a model: give a model folder or a .gguf file", name=path.name)
            )
        from .gguf import read_gguf  # here, not at the top: gguf.py builds on this module

        return read_gguf(path, bits=bits, group_size=group_size, progress=progress)
    config = _folder_config(path)
    weights = _read_safetensors_dir(path)
    tokenizer = load_tokenizer_dir(path, config)
    fmt = "mlx" if "quantization" in config else "safetensors"
    return Checkpoint(config, weights, tokenizer, fmt, path)


def _folder_config(path: Path) -> dict[str, Any]:
    config_file = path / "config.json"
    if not config_file.exists():
        raise ModelLoadError(
            Said("{path} has no config.json: not a Hugging Face or MLX model folder", path=path)
        )
    if not config_file.is_file():
        raise ModelLoadError(Said("{path} is not a file", path=config_file))
    if config_file.stat().st_size > MAX_CONFIG_BYTES:
        raise ModelLoadError(Said("{path} is too large to be a model config", path=config_file))
    try:
        config = json.loads(config_file.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise ModelLoadError(
            Said("{path} is not valid JSON ({why})", path=config_file, why=" ".join(str(e).split()))
        ) from None
    except OSError as e:
        raise ModelLoadError(
            Said("{name} cannot be read ({why})", name=config_file, why=e.strerror or e)
        ) from None
    try:
        ModelArgs.from_dict(config)
    except UnsupportedModelError as e:
        raise ModelLoadError(f"{path.name}: {e}") from None
    return config


# Configs read by read_config: (file, its mtime and size) -> config; a few models at most.
_CONFIGS: dict[tuple[str, int, int], dict[str, Any]] = {}
MAX_CACHED_CONFIGS = 8


def read_config(source: str | Path) -> dict[str, Any]:
    """A model's config and nothing more: a folder's config.json, or a GGUF's header (never
    the weights, so a 10 GB file answers as fast as a small one). Kept per file and its
    modification time: asked again, a file that did not change is not read again.
    ModelLoadError with one line when it is not a model."""
    path = Path(source).expanduser()
    try:
        if not path.exists():
            raise ModelLoadError(f"{path} does not exist")
        gguf = path.is_file()
        if gguf and path.suffix.lower() != ".gguf" and not _starts_as_gguf(path):
            raise ModelLoadError(f"{path.name} is not a model: give a model folder or a .gguf file")
        file = path if gguf else path / "config.json"
        stat = file.stat() if file.exists() else None
        key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size) if stat else None
        if key in _CONFIGS:
            return dict(_CONFIGS[key])
        if gguf:
            from .gguf import read_gguf_config  # here: gguf.py builds on this module

            config = read_gguf_config(path)
        else:
            config = _folder_config(path)
    except ModelLoadError:
        raise
    except Exception as e:  # a model from outside must end in one line, never a traceback
        raise _refused(path, "read", e) from None
    if key is not None:
        while len(_CONFIGS) >= MAX_CACHED_CONFIGS:
            del _CONFIGS[next(iter(_CONFIGS))]
        _CONFIGS[key] = config
    return dict(config)


def load(
    source: str | Path,
    *,
    bits: int = DEFAULT_BITS,
    group_size: int = DEFAULT_GROUP_SIZE,
    fp16: bool = False,
    dtype: mx.Dtype | None = None,
) -> LoadedModel:
    """Load any supported source into a ready-to-run Model (weights evaluated)."""
    ckpt = read_checkpoint(source, bits=bits, group_size=group_size)
    return build(ckpt, bits=bits, group_size=group_size, fp16=fp16, dtype=dtype)


def build(
    ckpt: Checkpoint,
    *,
    bits: int = DEFAULT_BITS,
    group_size: int = DEFAULT_GROUP_SIZE,
    fp16: bool = False,
    dtype: mx.Dtype | None = None,
) -> LoadedModel:
    try:
        return _build(ckpt, bits=bits, group_size=group_size, fp16=fp16, dtype=dtype)
    except ModelLoadError:
        raise
    except Exception as e:  # a model from outside must end in one line, never a traceback
        raise _refused(ckpt.source, "built", e) from None


def _build(ckpt: Checkpoint, *, bits: int, group_size: int, fp16: bool, dtype) -> LoadedModel:
    try:
        args = ModelArgs.from_dict(ckpt.config)
    except (UnsupportedModelError, TypeError) as e:
        raise ModelLoadError(f"{ckpt.source.name}: {e}") from None
    model = Model(args)
    weights = sanitize(ckpt.weights, args)
    quantize_like(model, weights)
    _check_shapes(model, weights, ckpt.source.name)
    model.load_weights(list(weights.items()), strict=False)
    target = dtype or compute_dtype(_float_dtype(weights), fp16)
    model.set_dtype(target)
    if not any(isinstance(m, nn.QuantizedLinear) for m in model.modules()) and bits:
        # Unquantized checkpoint: quantize on load (from the compute dtype, so scales are as
        # precise as they will be used) so it fits and runs like the MLX build.
        nn.quantize(
            model, group_size=group_size, bits=bits, class_predicate=_quantizable(group_size)
        )
    mx.eval(model.parameters())
    eos = list(dict.fromkeys(args.eos_token_id + sorted(ckpt.tokenizer.eos_token_ids)))
    return LoadedModel(
        model=model,
        tokenizer=ckpt.tokenizer,
        args=args,
        format=ckpt.format,
        source=ckpt.source,
        quantization=describe_quantization(model),
        dtype=target,
        eos_token_ids=eos,
        conversion_seconds=ckpt.conversion_seconds,
    )


def sanitize(weights: dict[str, mx.array], args: ModelArgs) -> dict[str, mx.array]:
    """Drop tensors a checkpoint carries that the forward pass derives itself."""
    out = {k: v for k, v in weights.items() if "rotary_emb.inv_freq" not in k}
    if args.tie_word_embeddings:
        for suffix in ("weight", "scales", "biases"):
            out.pop(f"lm_head.{suffix}", None)
    return out


def describe_quantization(model: nn.Module) -> str:
    kinds = sorted(
        {
            (m.bits, m.group_size)
            for m in model.modules()
            if isinstance(m, nn.QuantizedLinear | nn.QuantizedEmbedding)
        }
    )
    if not kinds:
        return "none"
    text = ", ".join(f"{b}-bit g{g}" for b, g in kinds)
    return text if len(kinds) == 1 else f"mixed: {text}"


def _quantizable(group_size: int):
    def predicate(_path: str, module: nn.Module) -> bool:
        return hasattr(module, "to_quantized") and module.weight.shape[-1] % group_size == 0

    return predicate


def quantize_like(model: nn.Module, weights: dict[str, mx.array]) -> None:
    """Turn each layer `weights` stores quantized into a quantized layer, with the bits and
    group size read off its packed shapes (GGUF and mixed-precision MLX dirs vary per layer)."""

    def params(path: str, module: nn.Module):
        scales = weights.get(f"{path}.scales")
        packed = weights.get(f"{path}.weight")
        if scales is None or packed is None or not hasattr(module, "to_quantized"):
            return False
        in_features = module.weight.shape[-1]
        groups = scales.shape[-1]
        if groups == 0 or in_features % groups:
            raise ModelLoadError(
                f"{path}.scales has shape {tuple(scales.shape)}, which does not fit "
                f"{in_features} input features from the config"
            )
        return {"group_size": in_features // groups, "bits": packed.shape[-1] * 32 // in_features}

    nn.quantize(model, class_predicate=params)


def _check_shapes(model: Model, weights: dict[str, mx.array], name: str) -> None:
    expected = dict(tree_flatten(model.parameters()))
    for key, value in sorted(weights.items()):
        if key not in expected:
            raise ModelLoadError(
                f"{name}: unexpected tensor {key} (is the config right for these weights?)"
            )
        if tuple(value.shape) != tuple(expected[key].shape):
            raise ModelLoadError(
                f"{name}: tensor {key} has shape {tuple(value.shape)} but the config expects "
                f"{tuple(expected[key].shape)}"
            )
    missing = sorted(set(expected) - set(weights))
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise ModelLoadError(f"{name}: tensor {missing[0]}{more} missing from the checkpoint")


def _float_dtype(weights: dict[str, mx.array]) -> mx.Dtype:
    for v in weights.values():
        if mx.issubdtype(v.dtype, mx.floating):
            return v.dtype
    return mx.float16


# --- safetensors directories -------------------------------------------------------------


def check_safetensors(file: Path) -> None:
    """Refuse a truncated or garbled safetensors file with a clear message, before mx.load."""
    refuse_lfs_pointer(file)
    size = file.stat().st_size
    try:
        with open(file, "rb") as f:
            (header_len,) = struct.unpack("<Q", f.read(8))
            if header_len > min(size - 8, MAX_SAFETENSORS_HEADER):
                raise ValueError("header longer than the file")
            header = json.loads(f.read(header_len))
        ends = _tensor_ends(header)
    except (struct.error, ValueError, UnicodeDecodeError, RecursionError) as e:
        raise ModelLoadError(f"{file.name} is not a valid safetensors file ({e})") from None
    needed = 8 + header_len + max(ends, default=0)
    if size < needed:
        raise ModelLoadError(
            f"{file.name} is truncated: {size:,} of {needed:,} bytes (download or convert it again)"
        )


def _tensor_ends(header) -> list[int]:
    """Where each tensor's bytes end, after checking the header's shape (ValueError if not)."""
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    ends = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1]
        ):
            raise ValueError(f"tensor {name[:80]} has no valid data_offsets")
        ends.append(offsets[1])
    return ends


def _read_safetensors_dir(path: Path) -> dict[str, mx.array]:
    files = sorted(path.glob("*.safetensors"))
    if not files:
        raise ModelLoadError(Said("{path} has no .safetensors weights", path=path))
    weights: dict[str, mx.array] = {}
    for file in files:
        check_safetensors(file)
        try:
            weights.update(mx.load(str(file)))
        except Exception as e:  # mx raises plain RuntimeError/ValueError for bad files
            raise ModelLoadError(f"{file.name} could not be read ({e})") from None
    return weights


def load_tokenizer_dir(path: Path, config: dict[str, Any]):
    from mlx_lm.tokenizer_utils import load as load_tokenizer

    if not any((path / f).exists() for f in ("tokenizer.json", "tokenizer.model")):
        raise ModelLoadError(
            Said("{path} has no tokenizer (expected tokenizer.json or tokenizer.model)", path=path)
        )
    eos = config.get("eos_token_id")
    try:
        return load_tokenizer(path, eos_token_ids=[eos] if isinstance(eos, int) else eos)
    except Exception as e:
        raise ModelLoadError(f"the tokenizer in {path} could not be loaded ({e})") from None


# --- writing an MLX directory --------------------------------------------------------------


def save_mlx(ckpt: Checkpoint, destination: str | Path, *, bits: int = DEFAULT_BITS) -> Path:
    """Write a checkpoint as an mlx-lm style directory (config.json with quantization,
    model.safetensors, tokenizer files). The weights keep their stored quantization; an
    unquantized checkpoint is quantized to `bits` (0: kept as floats)."""
    loaded = build(ckpt, bits=bits, dtype=_float_dtype(ckpt.weights))
    dst = Path(destination).expanduser()
    if dst.exists() and any(dst.iterdir()):
        raise ModelLoadError(f"{dst} already exists and is not empty")
    dst.mkdir(parents=True, exist_ok=True)
    config = {
        k: v for k, v in ckpt.config.items() if k not in ("quantization", "quantization_config")
    }
    quant = _quantization_config(loaded.model)
    if quant:
        config["quantization"] = quant
    weights = dict(tree_flatten(loaded.model.parameters()))
    mx.save_safetensors(str(dst / "model.safetensors"), weights, metadata={"format": "mlx"})
    (dst / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    loaded.tokenizer._tokenizer.save_pretrained(dst)
    return dst


def _quantization_config(model: nn.Module) -> dict[str, Any] | None:
    layers = {
        path: (m.bits, m.group_size)
        for path, m in model.named_modules()
        if isinstance(m, nn.QuantizedLinear | nn.QuantizedEmbedding)
    }
    if not layers:
        return None
    counts: dict[tuple[int, int], int] = {}
    for kind in layers.values():
        counts[kind] = counts.get(kind, 0) + 1
    bits, group = max(counts, key=counts.get)
    quant: dict[str, Any] = {"group_size": group, "bits": bits, "mode": "affine"}
    for path, (b, g) in layers.items():
        if (b, g) != (bits, group):
            quant[path] = {"group_size": g, "bits": b}
    return quant
