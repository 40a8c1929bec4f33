"""GGUF files (llama.cpp's format) read into a Checkpoint: the config from the file's metadata,
tensor names mapped to Hugging Face's, llama.cpp's q/k row permutation undone, and the tokenizer
and chat template built from the metadata.

Every common tensor type loads. A file of only Q4_0, Q4_1, Q8_0, F16 and F32 tensors is read
by mx.load, which keeps the Q* ones quantized as stored (fast). A file holding anything else
(K-quants Q2_K..Q6_K of any _S/_M/_L mix, Q5_0, Q5_1, BF16) goes through gguf_requant.py one
tensor at a time: the types MLX can keep are repacked exactly, the others dequantized and
requantized to MLX's affine format (4-bit group 64 by default). That is slower, so the result
can be saved with `deskpet model convert`. Other types (IQ*, TQ*) are refused by name.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlx.core as mx
import numpy as np

from ..i18n import Said
from . import gguf_requant
from .gguf_header import Header, TensorInfo, read_header
from .load import (
    DEFAULT_BITS,
    DEFAULT_GROUP_SIZE,
    Checkpoint,
    ModelLoadError,
    load_tokenizer_dir,
    refuse_lfs_pointer,
)
from .model import ModelArgs, UnsupportedModelError

log = logging.getLogger(__name__)

# Every GGUF tensor type deskpet runs (gguf_requant.py says what happens to each).
READABLE_TYPES = frozenset(gguf_requant.KEPT_TYPES + gguf_requant.REQUANTIZED_TYPES)


def can_run_type(kind: str) -> bool:
    """Whether deskpet loads tensors stored as GGUF type `kind` ("Q4_0", "Q6_K"). The model
    list asks this, so it follows whatever the reader learns to run."""
    return kind in READABLE_TYPES


_NAMES = {
    "token_embd": "model.embed_tokens",
    "output_norm": "model.norm",
    "output": "lm_head",
}
_BLOCK_NAMES = {
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}


def unpermute_rows(w: mx.array, n_heads: int) -> mx.array:
    """Undo llama.cpp's q/k row permutation (interleaved RoPE -> half-split RoPE).

    llama.cpp reorders each head's rows from (2, head_dim/2) to (head_dim/2, 2). Rows are the
    output dimension, so this works on packed 4-bit words, scales and biases alike."""
    rows = w.shape[0]
    return w.reshape(n_heads, rows // n_heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _scalar(value):
    if isinstance(value, mx.array):
        return value.item() if value.size == 1 else value.tolist()
    return value


def config_from_metadata(meta: dict[str, Any], weights: dict[str, mx.array]) -> dict[str, Any]:
    """A Hugging Face style config.json dict from the file's `llama.*` metadata."""
    arch = meta.get("general.architecture")
    if arch != "llama":
        raise UnsupportedModelError(
            f"this GGUF is a {arch} model; deskpet runs Llama-architecture models"
        )

    def get(key, default=None):
        return _scalar(meta.get(f"llama.{key}", default))

    hidden = get("embedding_length")
    heads = get("attention.head_count")
    fits = isinstance(hidden, int) and isinstance(heads, int) and heads > 0
    tokens = meta.get("tokenizer.ggml.tokens") or []
    eos = [
        _scalar(meta[k])
        for k in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id")
        if k in meta
    ]
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "num_hidden_layers": get("block_count"),
        "intermediate_size": get("feed_forward_length"),
        "num_attention_heads": heads,
        "num_key_value_heads": get("attention.head_count_kv", heads),
        "head_dim": get("attention.key_length", hidden // heads if fits else None),
        "vocab_size": get("vocab_size", len(tokens) if isinstance(tokens, list) else None),
        "rms_norm_eps": get("attention.layer_norm_rms_epsilon", 1e-6),
        "rope_theta": get("rope.freq_base", 10000.0),
        "max_position_embeddings": get("context_length", 4096),
        "tie_word_embeddings": "output.weight" not in weights,
        "bos_token_id": _scalar(meta.get("tokenizer.ggml.bos_token_id")),
        "eos_token_id": list(dict.fromkeys(eos)),
        **_rope_scaling(get, weights),
    }


# Past this many values rope_freqs cannot be a real model's (head_dim is at most 4096).
_MAX_ROPE_FREQS = 2048


def _rope_scaling(get, weights: dict[str, mx.array]) -> dict[str, Any]:
    """The config's RoPE scaling from llama.cpp's keys: linear as rope_scaling, and the
    rope_freqs tensor (llama3's per-pair factors, precomputed by the converter) as rope_freqs.
    Values are checked by ModelArgs.from_dict."""
    found: dict[str, Any] = {}
    kind = get("rope.scaling.type")
    if kind == "linear":
        found["rope_scaling"] = {"rope_type": "linear", "factor": get("rope.scaling.factor")}
    elif kind not in (None, "none"):
        raise UnsupportedModelError(
            f"GGUF RoPE scaling {str(kind)[:40]!r} is not supported (deskpet runs linear "
            "and llama3's rope_freqs)"
        )
    freqs = weights.get("rope_freqs.weight")
    if freqs is not None:
        if freqs.ndim != 1 or freqs.size > _MAX_ROPE_FREQS:
            raise UnsupportedModelError(f"rope_freqs has shape {tuple(freqs.shape)}")
        found["rope_freqs"] = freqs.astype(mx.float32).tolist()
    return found


def _rename(name: str) -> str:
    stem, _, suffix = name.rpartition(".")
    if stem.startswith("blk."):
        _, layer, part = stem.split(".", 2)
        if part not in _BLOCK_NAMES:
            raise ModelLoadError(f"GGUF tensor {name} is not part of a Llama block")
        return f"model.layers.{layer}.{_BLOCK_NAMES[part]}.{suffix}"
    if stem not in _NAMES:
        raise ModelLoadError(f"GGUF tensor {name} is not part of a Llama model")
    return f"{_NAMES[stem]}.{suffix}"


def check_gguf(path: Path) -> dict[str, str]:
    """Refuse a GGUF file whose header is not well formed, with one line; else its tensors'
    names and type names (e.g. "Q4_K"), read from the header in a fraction of a second."""
    header = _header(path)
    return {t.name: _type_name(t.kind) for t in header.tensors}


def _header(path: Path, meta: bool = False) -> Header:
    refuse_lfs_pointer(path)
    try:
        return read_header(path, meta=meta)
    except (ValueError, OSError) as e:  # mmap of an empty file is a ValueError too
        raise ModelLoadError(f"{path.name} is not a valid GGUF file ({e})") from None


def _type_name(kind: int) -> str:
    from gguf import GGMLQuantizationType

    try:
        return GGMLQuantizationType(kind).name
    except ValueError:
        return f"type {kind}"


ROPE_FREQS = "rope_freqs.weight"  # llama3's factors: read into the config, not a weight


def read_gguf(
    path: Path,
    *,
    bits: int = DEFAULT_BITS,
    group_size: int = DEFAULT_GROUP_SIZE,
    progress: Callable[[str], None] | None = None,
) -> Checkpoint:
    """Config, weights (Hugging Face names, q/k un-permuted) and tokenizer of a GGUF file.

    bits and group_size are what dequantized tensors are requantized to (0 bits: float16)."""
    kinds = check_gguf(path)
    for name, kind in kinds.items():
        if kind not in READABLE_TYPES:
            raise ModelLoadError(_unsupported_message(name, kind))
    started = time.perf_counter()
    if set(kinds.values()) <= gguf_requant.MX_LOAD_TYPES:
        raw, meta = _mx_load(path)
        config, args = _config(path, meta, raw)
        weights = {
            _rename(name): _unpermuted(value, _heads(name, args))
            for name, value in raw.items()
            if name != ROPE_FREQS
        }
        seconds = 0.0
    else:
        header = _header(path, meta=True)
        meta = header.meta
        # One map of the whole file, each tensor a view of it (a map per tensor would hold a
        # file descriptor each: macOS allows a process 256 by default).
        whole = np.memmap(path, np.uint8, "r")
        tensors = {t.name: _tensor(path, whole, header, t) for t in header.tensors}
        present: dict[str, Any] = dict.fromkeys(tensors)  # the config looks at names only...
        if ROPE_FREQS in tensors:  # ...and at llama3's factors
            present[ROPE_FREQS] = gguf_requant.floats(tensors[ROPE_FREQS])
        config, args = _config(path, meta, present)
        if progress:
            plan = describe_plan(kinds, bits)
            progress(Said("Converting {name}: {plan}", name=path.name, plan=plan))
        raw = gguf_requant.convert(
            (t for name, t in tensors.items() if name != ROPE_FREQS),
            lambda name: _heads(name, args),
            bits=bits,
            group_size=group_size,
            progress=progress,
        )
        weights = {_rename(name): value for name, value in raw.items()}
        seconds = time.perf_counter() - started
        plan = describe_plan(kinds, bits)
        log.info("converted %s's tensors in %.1f s (%s)", path.name, seconds, plan)
    tokenizer = tokenizer_from_metadata(meta, config, path)
    return Checkpoint(config, weights, tokenizer, "gguf", path, kinds, seconds)


def read_gguf_config(path: Path) -> dict[str, Any]:
    """The config of a GGUF file from its header alone (the metadata and the tensors' names;
    of the tensor data only llama3's small rope_freqs, through a memory map): the file's
    weights are never read. ModelLoadError with one line for a file that is not one."""
    header = _header(path, meta=True)
    present: dict[str, Any] = {t.name: None for t in header.tensors}
    rope = next((t for t in header.tensors if t.name == ROPE_FREQS), None)
    if rope is not None:
        whole = np.memmap(path, np.uint8, "r")
        present[ROPE_FREQS] = gguf_requant.floats(_tensor(path, whole, header, rope))
    config, _args = _config(path, header.meta, present)
    return config


def _mx_load(path: Path):
    try:
        # format named: an Ollama blob has no .gguf suffix to infer it from
        return mx.load(str(path), format="gguf", return_metadata=True)
    except Exception as e:
        raise ModelLoadError(f"{path.name} could not be read as GGUF ({e})") from None


def _tensor(path: Path, whole: np.ndarray, header: Header, info: TensorInfo):
    """The tensor's bytes as a read-only memory map (nothing is read until it is converted);
    a tensor the file is too short for is named."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    kind = GGMLQuantizationType(info.kind)
    block, size = GGML_QUANT_SIZES[kind]
    values = math.prod(info.shape)
    if info.shape[-1] % block:
        raise ModelLoadError(
            f"GGUF tensor {info.name} has rows of {info.shape[-1]} values, "
            f"not whole {kind.name} blocks"
        )
    start, nbytes = header.data_start + info.offset, values // block * size
    end = whole.size
    if start + nbytes > end:
        raise ModelLoadError(
            f"{path.name} is cut short: GGUF tensor {info.name} needs {nbytes:,} bytes from "
            f"byte {start:,}, but the file ends at {end:,}"
        )
    return gguf_requant.Tensor(info.name, kind.name, info.shape, whole[start : start + nbytes])


def _config(path: Path, meta: dict[str, Any], weights: dict[str, Any]):
    try:
        config = config_from_metadata(meta, weights)
        return config, ModelArgs.from_dict(config)
    except UnsupportedModelError as e:
        raise ModelLoadError(f"{path.name}: {e}") from None


def _heads(name: str, args: ModelArgs) -> int | None:
    """The head count llama.cpp permuted this tensor's rows by, or None."""
    part = name.split(".")[2] if name.startswith("blk.") and name.count(".") >= 3 else ""
    if part == "attn_q":
        return args.num_attention_heads
    if part == "attn_k":
        return args.num_key_value_heads
    return None


def _unpermuted(value: mx.array, heads: int | None) -> mx.array:
    return unpermute_rows(value, heads) if heads else value


def describe_plan(kinds: dict[str, str], bits: int) -> str:
    """What loading does to each tensor type, e.g. "Q5_0 x166, Q8_0 x15: Q8_0 kept as stored;
    Q5_0 dequantized and requantized to 4-bit"."""
    counts: dict[str, int] = {}
    for kind in kinds.values():
        counts[kind] = counts.get(kind, 0) + 1
    # A file of only floats is quantized on load, like a Hugging Face folder.
    floats_only = bits and set(counts) <= set(gguf_requant.FLOAT_TYPES)
    by_plan: dict[str, list[str]] = {}
    for kind in sorted(counts):
        what = gguf_requant.plan(kind, bits)
        if floats_only:
            what = f"kept as stored, matrices quantized to {bits}-bit on load"
        by_plan.setdefault(what, []).append(kind)
    tally = ", ".join(f"{k} x{n}" for k, n in sorted(counts.items()))
    return tally + ": " + "; ".join(f"{', '.join(ks)} {what}" for what, ks in by_plan.items())


def _unsupported_message(name: str, kind: str) -> str:
    return (
        f"GGUF tensor {name} is stored as {kind}, which deskpet cannot run; "
        "use a K-quant (Q2_K to Q6_K), Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, F16, BF16 or F32 GGUF"
    )


def tokenizer_from_metadata(meta: dict[str, Any], config: dict[str, Any], path: Path):
    """Build the tokenizer and chat template from GGUF metadata with transformers' GGUF
    tokenizer builders (no hand-written BPE), then let mlx-lm pick the streaming detokenizer."""
    from transformers import PreTrainedTokenizerFast
    from transformers.integrations.gguf.gguf_tokenizer_mapping import convert_gguf_tokenizer

    tokens = meta.get("tokenizer.ggml.tokens")
    if not tokens:
        raise ModelLoadError(f"{path.name} has no tokenizer in its metadata")
    spec = {
        "tokenizer_type": meta.get("tokenizer.ggml.model"),
        "pre_tokenizer_type": meta.get("tokenizer.ggml.pre"),
        "tokens": tokens,
        "token_type": _scalar(meta["tokenizer.ggml.token_type"])
        if "tokenizer.ggml.token_type" in meta
        else None,
    }
    if "tokenizer.ggml.merges" in meta:
        spec["merges"] = meta["tokenizer.ggml.merges"]
    if "tokenizer.ggml.scores" in meta:
        spec["scores"] = _scalar(meta["tokenizer.ggml.scores"])
    try:
        backend, _ = convert_gguf_tokenizer("llama", spec)
    except Exception as e:
        raise ModelLoadError(f"the tokenizer in {path.name} could not be built ({e})") from None

    def token(key):
        index = meta.get(f"tokenizer.ggml.{key}")
        return tokens[_scalar(index)] if index is not None else None

    hf = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=token("bos_token_id"),
        eos_token=token("eos_token_id"),
        unk_token=token("unknown_token_id"),
        pad_token=token("padding_token_id"),
        chat_template=meta.get("tokenizer.chat_template"),
        clean_up_tokenization_spaces=False,
    )
    # Round-trip through a folder so mlx-lm chooses the detokenizer exactly as for HF models;
    # the loaded tokenizer keeps nothing open in it, so it goes at once.
    with tempfile.TemporaryDirectory(prefix="deskpet-tok-") as tmp:
        hf.save_pretrained(tmp)
        return load_tokenizer_dir(Path(tmp), config)
