"""GGUF files of other tensor types, made from one GGUF with the tools llama.cpp users have.

- as_float(src, dst, "F16" | "BF16" | "F32"): every tensor dequantized by the gguf package and
  written in that float type (1-D norms stay F32, as llama.cpp's converter writes them), with
  the source's metadata copied key by key. q/k rows stay in llama.cpp's order.
- quantize(src, dst, ftype): llama.cpp's own quantizer through llama-cpp-python
  (`llama_model_quantize`), e.g. ftype "Q4_K_M", "Q5_0".
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
from gguf.quants import dequantize
from gguf.quants import quantize as gguf_quantize

FLOAT_FILE_TYPES = {"F32": 0, "F16": 1, "BF16": 32}


def as_float(src: Path, dst: Path, kind: str) -> Path:
    reader = gguf.GGUFReader(str(src))
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(str(dst), arch)
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name in ("general.architecture", "general.file_type"):
            continue
        sub = field.types[1] if len(field.types) > 1 else None
        writer.add_key_value(name, field.contents(), field.types[0], sub_type=sub)
    writer.add_file_type(FLOAT_FILE_TYPES[kind])
    qtype = gguf.GGMLQuantizationType[kind]
    for t in reader.tensors:
        shape = tuple(int(n) for n in reversed(t.shape.tolist()))
        values = dequantize(np.asarray(t.data), t.tensor_type).reshape(shape)
        if values.ndim == 1 or kind == "F32":
            writer.add_tensor(t.name, values.astype(np.float32))
        elif kind == "F16":
            writer.add_tensor(t.name, values.astype(np.float16))
        else:
            writer.add_tensor(t.name, gguf_quantize(values, qtype), raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return dst


# llama.cpp's quantizer runs in a process of its own: its native libraries (threads, OpenMP)
# never load into the test process, which runs MLX.
_QUANTIZE = """
import sys
import llama_cpp
src, dst, ftype = sys.argv[1:]
params = llama_cpp.llama_model_quantize_default_params()
params.ftype = getattr(llama_cpp, "LLAMA_FTYPE_MOSTLY_" + ftype)
params.nthread = 2
params.allow_requantize = True  # harmless from F16; needed if the source is quantized
sys.exit(1 if llama_cpp.llama_model_quantize(src.encode(), dst.encode(), params) else 0)
"""


def quantize(src: Path, dst: Path, ftype: str) -> Path:
    """`src` quantized to `ftype` ("Q4_K_M", "Q5_0", ...) by llama.cpp's own quantizer."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _QUANTIZE, str(src), str(dst), ftype],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"llama.cpp could not quantize {src.name} to {ftype}: {tail}")
    return dst


# Tokenizer keys copied from the demo model into tiny models' GGUFs (llama.cpp needs a vocabulary
# to quantize; deskpet needs one to build a tokenizer).
TOKENIZER_KEYS = (
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.merges",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.chat_template",
)


def permute(w: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp's q/k row order (half-split pairs to interleaved)."""
    return (
        w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)
    )


def add_llama_header(writer, config: dict, rope_theta: float, file_type: int) -> None:
    """The llama.* keys llama.cpp's converter writes for `config` (Hugging Face names)."""
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_head_count_kv(config["num_key_value_heads"])
    writer.add_key_length(config["head_dim"])
    writer.add_value_length(config["head_dim"])
    writer.add_rope_freq_base(rope_theta)
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_vocab_size(config["vocab_size"])
    writer.add_file_type(file_type)


def add_llama_tensors(writer, config: dict, weights: dict, *, f16: bool) -> None:
    """`weights` (Hugging Face names) under llama.cpp's names, q/k rows permuted as its converter
    does; with `f16`, matrices as F16 (norms stay F32)."""
    from deskpet.inference.gguf import _BLOCK_NAMES, _NAMES

    hf_to_gguf = {v: k for k, v in _NAMES.items()}
    block_to_gguf = {v: k for k, v in _BLOCK_NAMES.items()}
    for name, value in weights.items():
        w = np.array(value, dtype=np.float32)
        stem, _, suffix = name.rpartition(".")
        if stem.startswith("model.layers."):
            _, _, layer, part = stem.split(".", 3)
            if part == "self_attn.q_proj":
                w = permute(w, config["num_attention_heads"])
            elif part == "self_attn.k_proj":
                w = permute(w, config["num_key_value_heads"])
            gguf_name = f"blk.{layer}.{block_to_gguf[part]}.{suffix}"
        else:
            gguf_name = f"{hf_to_gguf[stem]}.{suffix}"
        writer.add_tensor(gguf_name, w.astype(np.float16) if f16 and w.ndim == 2 else w)


def write_f16_model(path: Path, config: dict, weights: dict, demo: Path) -> Path:
    """A Llama (Hugging Face names, float weights) written as llama.cpp's converter writes an
    F16 file: matrices F16 with q/k rows permuted, norms F32, the demo model's tokenizer."""
    reader = gguf.GGUFReader(str(demo))
    writer = gguf.GGUFWriter(str(path), "llama")
    add_llama_header(
        writer, config, config["rope_parameters"]["rope_theta"], FLOAT_FILE_TYPES["F16"]
    )
    writer.add_rope_dimension_count(config["head_dim"])
    for key in TOKENIZER_KEYS:
        field = reader.fields[key]
        sub = field.types[1] if len(field.types) > 1 else None
        value = field.contents()
        if key in ("tokenizer.ggml.tokens", "tokenizer.ggml.token_type"):
            value = value[: config["vocab_size"]]  # llama.cpp checks the vocabulary's size
        elif key == "tokenizer.ggml.merges":
            value = value[:64]
        writer.add_key_value(key, value, field.types[0], sub_type=sub)
    add_llama_tensors(writer, config, weights, f16=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
