"""Scaled RoPE (llama3, linear, dynamic, yarn): deskpet's forward pass against mlx-lm's llama.

Tiny random models in Llama 3.2's shape family (GQA 2:1, tied embeddings, rope_theta 500000),
one per scaling type, run through deskpet and through mlx-lm's llama holding the same arrays
(deskpet.inference.reference). Tolerance: float32 logits on the CPU agree within 1e-4 absolute,
as in test_model_golden.py; the scalings change the logits by far more than that, which the
scaling tests check (at least ten times the tolerance, and llama3 at 8K barely moves the
frequencies a 36-token run uses) so a scaling that was silently dropped cannot pass.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mlx.core as mx
import pytest
from helpers.tiny import tiny_model
from mlx.utils import tree_flatten
from mlx_lm.models.cache import make_prompt_cache

from deskpet.inference.load import ModelLoadError, load
from deskpet.inference.model import ModelArgs, UnsupportedModelError, make_cache
from deskpet.inference.reference import reference_model
from deskpet.inference.worker import check_model

ATOL = 1e-4
PROMPT = [0, 5, 17, 99, 3, 250, 42, 8, 211, 64, 2, 100, 7, 19, 23, 150, 31, 77, 201, 9]

LLAMA3_SCALING = {
    "rope_type": "llama3",
    "factor": 32.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192,
}

# Llama 3.2 1B's family, scaled down: head_dim = hidden / heads, GQA, tied embeddings.
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
    "rope_scaling": LLAMA3_SCALING,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": True,
    "max_position_embeddings": 131072,
    "eos_token_id": [1, 7],
    "bos_token_id": 0,
}

CONFIGS = {
    "llama3": TINY_LLAMA32,
    # A trained context this short puts the prompt and decode past it, where llama3's smoothed
    # and stretched frequencies turn far enough to matter.
    "llama3-short-context": {
        **TINY_LLAMA32,
        "rope_scaling": {**LLAMA3_SCALING, "original_max_position_embeddings": 16},
    },
    # The older "type" key, as many Llama 2 era configs write it.
    "linear": {**TINY_LLAMA32, "rope_scaling": {"type": "linear", "factor": 4.0}},
    # Dynamic NTK only changes the base past max_position_embeddings: the prompt (20) and the
    # decode steps run past 16.
    "dynamic": {
        **TINY_LLAMA32,
        "rope_scaling": {"rope_type": "dynamic", "factor": 2.0},
        "max_position_embeddings": 16,
    },
    # head_dim (32) != hidden / heads (16) and an untied head, with YaRN's own fields.
    "yarn": {
        **TINY_LLAMA32,
        "head_dim": 32,
        "tie_word_embeddings": False,
        "rope_theta": 10000.0,
        "max_position_embeddings": 128,
        "rope_scaling": {
            "rope_type": "yarn",
            "factor": 4.0,
            "original_max_position_embeddings": 32,
            "beta_fast": 32,
            "beta_slow": 1,
        },
    },
}


@pytest.mark.parametrize("kind", CONFIGS)
def test_prefill_and_16_decode_steps_match_mlx_lm(kind):
    ours = tiny_model(CONFIGS[kind])
    assert ours.args.rope_scaling["rope_type"] == kind.split("-")[0]
    ref = reference_model(ours)
    cache, ref_cache = make_cache(ours), make_prompt_cache(ref)

    full = ours(mx.array([PROMPT]), last_only=False)
    expected = ref(mx.array([PROMPT]))
    assert full.shape == (1, len(PROMPT), 256)
    assert mx.abs(full - expected).max().item() < ATOL

    logits = ours(mx.array([PROMPT]), cache)
    ref_logits = ref(mx.array([PROMPT]), cache=ref_cache)[:, -1:, :]
    for step in range(16):
        assert mx.abs(logits - ref_logits).max().item() < ATOL, f"decode step {step}"
        token = mx.argmax(logits[:, -1, :], axis=-1)[:, None]
        assert token.item() == mx.argmax(ref_logits[:, -1, :], axis=-1).item()
        logits = ours(token, cache)
        ref_logits = ref(token, cache=ref_cache)
    assert cache[0].offset == len(PROMPT) + 16


@pytest.mark.parametrize("kind", CONFIGS)
def test_the_scaling_changes_the_logits(kind):
    """The same weights with plain RoPE give other logits: the scaling really runs."""
    plain = {k: v for k, v in CONFIGS[kind].items() if k != "rope_scaling"}
    # Decode past the dynamic model's max_position_embeddings, where its base moves.
    steps = [PROMPT, *([[3]] * 8)]
    outputs = []
    for config in (CONFIGS[kind], plain):
        model, cache = tiny_model(config), None
        cache = make_cache(model)
        outputs.append(mx.concatenate([model(mx.array([s]), cache) for s in steps], axis=1))
    assert mx.abs(outputs[0] - outputs[1]).max().item() > 10 * ATOL


def test_scaling_keys_as_configs_write_them():
    """rope_type or type, in rope_scaling or (re-saved configs) rope_parameters: one meaning."""
    expected = ModelArgs.from_dict(TINY_LLAMA32).rope_scaling
    assert expected == LLAMA3_SCALING
    legacy = {k: v for k, v in LLAMA3_SCALING.items() if k != "rope_type"}
    legacy_type = {**TINY_LLAMA32, "rope_scaling": {"type": "llama3", **legacy}}
    assert ModelArgs.from_dict(legacy_type).rope_scaling == expected
    resaved = {k: v for k, v in TINY_LLAMA32.items() if k not in ("rope_scaling", "rope_theta")}
    resaved["rope_parameters"] = {**LLAMA3_SCALING, "rope_theta": 500000.0}
    args = ModelArgs.from_dict(resaved)
    assert args.rope_scaling == expected and args.rope_theta == 500000.0
    for none in (None, {}, {"rope_type": "default"}, {"type": "default", "factor": 1.0}):
        assert ModelArgs.from_dict({**TINY_LLAMA32, "rope_scaling": none}).rope_scaling is None


def test_yarn_without_original_context_takes_max_position_embeddings():
    config = {**CONFIGS["yarn"], "rope_scaling": {"rope_type": "yarn", "factor": 4.0}}
    scaling = ModelArgs.from_dict(config).rope_scaling
    assert scaling == {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 128}


# --- A Llama 3.2-shaped folder on disk, and broken rope_scaling in it --------------------------


@pytest.fixture(scope="module")
def llama32_folder(demo_lm, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("llama32") / "tiny"
    folder.mkdir()
    weights = dict(tree_flatten(tiny_model(TINY_LLAMA32).parameters()))
    mx.save_safetensors(str(folder / "model.safetensors"), weights)
    (folder / "config.json").write_text(json.dumps(TINY_LLAMA32))
    demo_lm.tokenizer._tokenizer.save_pretrained(folder)
    return folder


def test_a_llama32_folder_loads_and_runs_its_scaling(llama32_folder):
    loaded = load(llama32_folder, bits=0, dtype=mx.float32)
    assert loaded.model.args.rope_scaling == LLAMA3_SCALING
    expected = tiny_model(TINY_LLAMA32)(mx.array([PROMPT]))
    got = loaded.model(mx.array([PROMPT]))
    assert mx.abs(got - expected).max().item() < ATOL


def scaling(**values):
    return {**LLAMA3_SCALING, **values}


BAD_SCALING = {
    "missing factor": (
        {k: v for k, v in LLAMA3_SCALING.items() if k != "factor"},
        "rope_scaling (llama3) has no factor",
    ),
    "llama3 missing its fields": (
        {"rope_type": "llama3", "factor": 8.0},
        "has no low_freq_factor, high_freq_factor, original_max_position_embeddings",
    ),
    "unknown type": (
        {"rope_type": "longrope", "factor": 4.0},
        "rope_scaling type 'longrope' is not supported (deskpet runs linear, dynamic, llama3, "
        "yarn)",
    ),
    "type is not a name": ({"type": ["linear"], "factor": 2.0}, "type ['linear'] is not"),
    "zero factor": (scaling(factor=0), "factor must be a positive number (got 0)"),
    "negative factor": ({"type": "linear", "factor": -2.0}, "factor must be a positive number"),
    "factor as text": ({"type": "dynamic", "factor": "2"}, "factor must be a positive number"),
    "factor true": ({"type": "linear", "factor": True}, "factor must be a positive number"),
    "low above high": (scaling(low_freq_factor=4.0, high_freq_factor=1.0), "must be below"),
    "yarn beta as text": (
        {"rope_type": "yarn", "factor": 2.0, "beta_fast": "32"},
        "beta_fast must be a positive number",
    ),
    "yarn attention_factor": (
        {"rope_type": "yarn", "factor": 2.0, "attention_factor": 1.2},
        "with attention_factor is not supported",
    ),
}


@pytest.mark.parametrize("case", BAD_SCALING)
def test_a_bad_rope_scaling_is_one_line(llama32_folder, tmp_path, case):
    bad, expected = BAD_SCALING[case]
    folder = Path(shutil.copytree(llama32_folder, tmp_path / "tiny"))
    (folder / "config.json").write_text(json.dumps({**TINY_LLAMA32, "rope_scaling": bad}))
    with pytest.raises(ModelLoadError) as caught:
        load(folder)
    line = str(caught.value)
    assert "\n" not in line and line
    assert expected in line, line
    assert check_model(folder) == line  # the worker's CheckModel says the same
    with pytest.raises(UnsupportedModelError):
        ModelArgs.from_dict({**TINY_LLAMA32, "rope_scaling": bad})
