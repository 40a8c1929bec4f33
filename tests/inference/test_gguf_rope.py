"""RoPE scaling in GGUF files: llama3's rope_freqs tensor and linear's scaling keys.

A tiny random Llama 3.2-shaped model is saved twice, as a Hugging Face folder with its
rope_scaling and as a GGUF file written the way llama.cpp's converter writes one (q/k rows
permuted, llama3's per-pair factors computed into a rope_freqs tensor, linear scaling as
`llama.rope.scaling.*` keys). Both load through deskpet and must agree within 1e-4 on float32
logits and on greedy tokens; without its scaling the GGUF model gives other logits, so a
scaling that was dropped cannot pass.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import gguf
import mlx.core as mx
import numpy as np
import pytest
from helpers.gguf_files import add_llama_header, add_llama_tensors
from helpers.tiny import tiny_model
from mlx.utils import tree_flatten

from deskpet.inference.load import ModelLoadError, load
from deskpet.inference.model import make_cache

ATOL = 1e-4
PROMPT = [0, 5, 17, 99, 3, 250, 42, 8, 211, 64, 2, 100, 7, 19, 23, 150, 31, 77, 201, 9]

# Llama 3.2's family scaled down. A trained context of 64 gives rope_freqs all three kinds of
# factor over its 8 pairs: 1, one smoothed, and the full factor.
LLAMA3 = {
    "rope_type": "llama3",
    "factor": 32.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 64,
}
TINY_LLAMA32 = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "intermediate_size": 192,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "vocab_size": 256,
    "rope_theta": 500000.0,
    "rope_scaling": LLAMA3,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": True,
    "max_position_embeddings": 131072,
    "eos_token_id": [1, 7],
    "bos_token_id": 0,
}
LINEAR = {**TINY_LLAMA32, "rope_scaling": {"type": "linear", "factor": 4.0}}

_TOKENIZER_KEYS = (
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.merges",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.unknown_token_id",
    "tokenizer.ggml.padding_token_id",
    "tokenizer.chat_template",
)


def llama3_factors(config: dict) -> np.ndarray:
    """llama.cpp's converter: one factor per rotated pair, from the HF llama3 scaling."""
    dim, base, s = config["head_dim"], config["rope_theta"], config["rope_scaling"]
    old = s["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / s["low_freq_factor"], old / s["high_freq_factor"]
    factors = []
    for i in range(0, dim, 2):
        wavelen = 2 * math.pi * base ** (i / dim)
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(s["factor"])
        else:
            smooth = (old / wavelen - s["low_freq_factor"]) / (
                s["high_freq_factor"] - s["low_freq_factor"]
            )
            factors.append(1 / ((1 - smooth) / s["factor"] + smooth))
    return np.array(factors, dtype=np.float32)


def write_gguf(path: Path, config: dict, weights: dict, tokenizer_meta: dict, **rope) -> Path:
    """The model as llama.cpp writes it; rope: scaling_type/scaling_factor keys, or
    rope_freqs (an array, written as the rope_freqs tensor)."""
    writer = gguf.GGUFWriter(str(path), "llama")
    add_llama_header(writer, config, config["rope_theta"], 0)
    if "scaling_type" in rope:
        writer.add_string("llama.rope.scaling.type", rope["scaling_type"])
        writer.add_float32("llama.rope.scaling.factor", rope["scaling_factor"])
    for key, value in tokenizer_meta.items():
        if isinstance(value, str):
            writer.add_string(key, value)
        elif isinstance(value, list):
            writer.add_array(key, value)
        elif value.ndim:
            writer.add_array(key, np.array(value).tolist())
        else:
            writer.add_uint32(key, int(value.item()))
    add_llama_tensors(writer, config, weights, f16=False)
    if rope.get("rope_freqs") is not None:
        writer.add_tensor("rope_freqs.weight", np.asarray(rope["rope_freqs"]))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture(scope="module")
def tokenizer_meta(demo_gguf) -> dict:
    _, meta = mx.load(str(demo_gguf), return_metadata=True)
    return {k: meta[k] for k in _TOKENIZER_KEYS if k in meta}


@pytest.fixture(scope="module")
def twins(tmp_path_factory, demo_lm, tokenizer_meta):
    """For llama3 and linear: (HF folder, GGUF file) holding the same weights."""
    root = tmp_path_factory.mktemp("gguf-rope")
    made = {}
    for kind, config in (("llama3", TINY_LLAMA32), ("linear", LINEAR)):
        weights = dict(tree_flatten(tiny_model(config).parameters()))
        folder = root / kind
        folder.mkdir()
        mx.save_safetensors(str(folder / "model.safetensors"), weights)
        (folder / "config.json").write_text(json.dumps(config))
        demo_lm.tokenizer._tokenizer.save_pretrained(folder)
        if kind == "llama3":
            made["weights"] = weights
            rope = {"rope_freqs": llama3_factors(config)}
        else:
            rope = {"scaling_type": "linear", "scaling_factor": 4.0}
        made[kind] = (
            folder,
            write_gguf(root / f"{kind}.gguf", config, weights, tokenizer_meta, **rope),
        )
    return made


def run(model, steps: int = 6):
    """Prefill logits for every position, and greedy tokens decoded after the prompt."""
    full = model(mx.array([PROMPT]), last_only=False)
    cache = make_cache(model)
    logits, tokens = model(mx.array([PROMPT]), cache), []
    for _ in range(steps):
        token = mx.argmax(logits[:, -1, :], axis=-1)[:, None]
        tokens.append(token.item())
        logits = model(token, cache)
    return full, tokens


def test_the_converters_factors_are_of_all_three_kinds():
    factors = llama3_factors(TINY_LLAMA32)
    assert factors[0] == 1.0 and 1.0 < factors[1] < 32.0 and (factors[2:] == 32.0).all()


@pytest.mark.parametrize("kind", ["llama3", "linear"])
def test_the_gguf_runs_the_scaling_of_its_hf_twin(twins, kind):
    folder, path = twins[kind]
    hf = load(folder, bits=0, dtype=mx.float32)
    gg = load(path, bits=0, dtype=mx.float32)
    if kind == "llama3":
        assert gg.model.args.rope_freqs == pytest.approx(llama3_factors(TINY_LLAMA32).tolist())
        assert gg.model.args.rope_scaling is None
    else:
        assert gg.model.args.rope_scaling == {"rope_type": "linear", "factor": 4.0}
    hf_full, hf_tokens = run(hf.model)
    gg_full, gg_tokens = run(gg.model)
    assert mx.abs(hf_full - gg_full).max().item() < ATOL
    assert gg_tokens == hf_tokens


def test_without_rope_freqs_the_logits_differ(twins, tokenizer_meta, tmp_path):
    """The llama3 factors move the logits far past the tolerance: dropping them would show."""
    plain = write_gguf(tmp_path / "plain.gguf", TINY_LLAMA32, twins["weights"], tokenizer_meta)
    scaled = load(twins["llama3"][1], bits=0, dtype=mx.float32)
    unscaled = load(plain, bits=0, dtype=mx.float32)
    assert unscaled.model.args.rope_freqs is None
    diff = mx.abs(run(scaled.model, 0)[0] - run(unscaled.model, 0)[0]).max().item()
    assert diff > 10 * ATOL


BAD = {
    "too few factors": ({"rope_freqs": np.ones(4, np.float32)}, "rope_freqs must hold 8 factors"),
    "too many factors": ({"rope_freqs": np.ones(9, np.float32)}, "rope_freqs must hold 8"),
    "a nan": ({"rope_freqs": np.array([1] * 7 + [np.nan], np.float32)}, "positive finite"),
    "an inf": ({"rope_freqs": np.array([np.inf] + [1] * 7, np.float32)}, "positive finite"),
    "a zero": ({"rope_freqs": np.zeros(8, np.float32)}, "positive finite"),
    "a negative": ({"rope_freqs": -np.ones(8, np.float32)}, "positive finite"),
    "two dimensions": ({"rope_freqs": np.ones((2, 8), np.float32)}, "rope_freqs has shape"),
    "with linear too": (
        {"rope_freqs": np.ones(8, np.float32), "scaling_type": "linear", "scaling_factor": 2.0},
        "rope_freqs and rope_scaling cannot both be set",
    ),
    "linear factor zero": ({"scaling_type": "linear", "scaling_factor": 0.0}, "factor must be"),
    "linear factor nan": ({"scaling_type": "linear", "scaling_factor": math.nan}, "factor must"),
    "yarn": ({"scaling_type": "yarn", "scaling_factor": 4.0}, "RoPE scaling 'yarn' is not"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_rope_scaling_in_a_gguf_is_one_line(twins, tokenizer_meta, tmp_path, case):
    rope, message = BAD[case]
    config = {k: v for k, v in TINY_LLAMA32.items() if k != "rope_scaling"}
    path = write_gguf(tmp_path / "bad.gguf", config, twins["weights"], tokenizer_meta, **rope)
    with pytest.raises(ModelLoadError, match=message) as info:
        load(path, bits=0, dtype=mx.float32)
    assert "\n" not in str(info.value) and str(info.value).startswith("bad.gguf: ")


@pytest.mark.parametrize("kind", ["llama3", "linear"])
def test_the_header_alone_gives_the_same_scaling(twins, kind):
    from deskpet.inference.load import read_checkpoint, read_config

    _folder, path = twins[kind]
    assert read_config(path) == read_checkpoint(path).config
