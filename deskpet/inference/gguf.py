"""GGUF files (llama.cpp's format) read into a Checkpoint: the config from the file's metadata,
tensor names mapped to Hugging Face's, llama.cpp's q/k row permutation undone, and the tokenizer
and chat template built from the metadata.

MLX reads Q4_0, Q4_1 and Q8_0 tensors as they are stored (and F16/F32 as plain floats); any
other tensor type is refused by name, since mx.load would silently widen it to fp16.
"""

from __future__ import annotations

import mmap
import struct
import tempfile
from pathlib import Path
from typing import Any

import mlx.core as mx

from .load import Checkpoint, ModelLoadError, load_tokenizer_dir, refuse_lfs_pointer
from .model import ModelArgs, UnsupportedModelError

# GGUF tensor types mx.load keeps quantized (Q*) or reads as plain floats (F*).
READABLE_TYPES = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q8_0"}
# llama.cpp's general.file_type values for files made only of readable types.
_PLAIN_FILE_TYPES = {0, 1, 2, 3, 7, 32}


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


def _unreadable_tensors(path: Path) -> list[tuple[str, str]]:
    """(tensor name, type name) for tensors MLX cannot keep quantized. Slow (seconds): only
    called when the file's metadata says it may hold such tensors."""
    from gguf import GGUFReader

    reader = GGUFReader(str(path))
    return [
        (t.name, t.tensor_type.name)
        for t in reader.tensors
        if t.tensor_type.name not in READABLE_TYPES
    ]


# The header is walked in Python before any C reader sees the file: every count and length is
# checked against the bytes that are really there, so a hostile file cannot make a reader
# allocate or loop without end. The bounds are far above any real model's.
GGUF_MAGIC = b"GGUF"
MAX_GGUF_TENSORS = 1 << 16
MAX_GGUF_KEYS = 1 << 16
MAX_GGUF_DIMS = 4  # GGML_MAX_DIMS
MAX_GGUF_TYPE = 64
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


class _Header:
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

    def skip_string(self) -> None:
        length = self.count(len(self.data), "string length")
        self.pos += length

    def skip_strings(self, n: int) -> None:
        # The vocabulary and merges are most of a header: one tight loop, not n method calls.
        data, pos, end, unpack = self.data, self.pos, len(self.data), _U64.unpack_from
        for _ in range(n):
            if pos + 8 > end:
                raise ValueError("the file ends inside its header")
            pos += 8 + unpack(data, pos)[0]
        if pos > end:
            raise ValueError("the file ends inside its header")
        self.pos = pos

    def skip_value(self, kind: int, depth: int = 0) -> None:
        if kind in _SCALAR:
            self.take(_SCALAR[kind])
        elif kind == _STRING:
            self.skip_string()
        elif kind == _ARRAY and depth == 0:
            item = self.take("I")
            if item in _SCALAR:
                size = struct.calcsize(_SCALAR[item])
                n = self.count(len(self.data), "array", size)
                self.pos += size * n
            elif item == _STRING:
                self.skip_strings(self.count(len(self.data), "array", 8))
            else:
                for _ in range(self.count(len(self.data), "array", 8)):
                    self.skip_value(item, depth + 1)
        else:
            raise ValueError(f"unknown metadata value type {kind}")


def check_gguf(path: Path) -> None:
    """Refuse a GGUF file whose header is not well formed, with one line."""
    refuse_lfs_pointer(path)
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            _walk_header(_Header(data))
    except (ValueError, OSError) as e:  # mmap of an empty file is a ValueError too
        raise ModelLoadError(f"{path.name} is not a valid GGUF file ({e})") from None


def _walk_header(h: _Header) -> None:
    if bytes(h.data[:4]) != GGUF_MAGIC:
        raise ValueError("it does not start with GGUF")
    h.pos = 4
    version = h.take("I")
    if version not in (2, 3):
        raise ValueError(f"version {version} is not supported (2 or 3)")
    tensors = h.count(MAX_GGUF_TENSORS, "tensor", 8 + 4 + 8 + 4 + 8)
    keys = h.count(MAX_GGUF_KEYS, "metadata", 8 + 4)
    for _ in range(keys):
        h.skip_string()
        h.skip_value(h.take("I"))
    for _ in range(tensors):
        h.skip_string()
        dims = h.take("I")
        if not 0 < dims <= MAX_GGUF_DIMS:
            raise ValueError(f"a tensor has {dims} dimensions")
        elements = 1
        for _ in range(dims):
            elements *= h.take("Q")
        if elements > len(h.data) * 8:  # no type packs more than 8 values in a byte
            raise ValueError(f"a tensor of {elements:,} values is larger than the file")
        if h.take("I") >= MAX_GGUF_TYPE:
            raise ValueError("a tensor has an unknown type")
        if h.take("Q") > len(h.data):
            raise ValueError("a tensor starts past the end of the file")


def read_gguf(path: Path) -> Checkpoint:
    """Config, weights (Hugging Face names, q/k un-permuted) and tokenizer of a GGUF file."""
    check_gguf(path)
    try:
        # format named: an Ollama blob has no .gguf suffix to infer it from
        raw, meta = mx.load(str(path), format="gguf", return_metadata=True)
    except Exception as e:
        bad = _safe_unreadable(path)
        if bad:
            name, kind = bad[0]
            raise ModelLoadError(_unsupported_message(name, kind)) from None
        raise ModelLoadError(f"{path.name} could not be read as GGUF ({e})") from None
    file_type = _scalar(meta.get("general.file_type", 0))
    if file_type not in _PLAIN_FILE_TYPES:
        # K-quants and others are silently widened to fp16 by mx.load: refuse them by name.
        bad = _safe_unreadable(path)
        if bad:
            name, kind = bad[0]
            raise ModelLoadError(_unsupported_message(name, kind))
    try:
        config = config_from_metadata(meta, raw)
        args = ModelArgs.from_dict(config)
    except UnsupportedModelError as e:
        raise ModelLoadError(f"{path.name}: {e}") from None
    weights = {}
    for name, value in raw.items():
        if name == "rope_freqs.weight":
            continue  # in the config as rope_freqs
        new = _rename(name)
        if ".self_attn.q_proj." in new:
            value = unpermute_rows(value, args.num_attention_heads)
        elif ".self_attn.k_proj." in new:
            value = unpermute_rows(value, args.num_key_value_heads)
        weights[new] = value
    tokenizer = tokenizer_from_metadata(meta, config, path)
    return Checkpoint(config, weights, tokenizer, "gguf", path)


def _safe_unreadable(path: Path) -> list[tuple[str, str]]:
    try:
        return _unreadable_tensors(path)
    except Exception:
        return []


def _unsupported_message(name: str, kind: str) -> str:
    return (
        f"GGUF tensor {name} is stored as {kind}, which deskpet cannot run; "
        "use a Q4_0, Q4_1, Q8_0 or F16 GGUF"
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
