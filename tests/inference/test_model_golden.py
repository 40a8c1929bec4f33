"""Golden reference: deskpet's forward pass against mlx-lm's llama on the same weights.

Tolerance: float32 logits agree within 1e-4 absolute (logits here are O(1..10)); the two
implementations use the same MLX kernels, so anything larger is a real difference (RoPE
convention, GQA layout, norm placement, mask alignment), not rounding.
"""

from __future__ import annotations

import mlx.core as mx
import pytest
from helpers.tiny import TINY_MINICPM, tiny_model
from mlx_lm.models.cache import make_prompt_cache

from deskpet.inference.model import ModelArgs, make_cache
from deskpet.inference.reference import reference_model

ATOL = 1e-4
PROMPT = [0, 5, 17, 99, 3, 250, 42, 8, 511, 64, 2, 300]


@pytest.mark.parametrize("bits", [None, 4], ids=["float", "4bit-g64"])
def test_prefill_and_16_decode_steps_match_mlx_lm(bits):
    ours = tiny_model(bits=bits)
    ref = reference_model(ours)
    cache, ref_cache = make_cache(ours), make_prompt_cache(ref)

    full = ours(mx.array([PROMPT]), last_only=False)
    expected = ref(mx.array([PROMPT]))
    assert full.shape == (1, len(PROMPT), TINY_MINICPM["vocab_size"])
    assert mx.abs(full - expected).max().item() < ATOL

    logits = ours(mx.array([PROMPT]), cache)
    ref_logits = ref(mx.array([PROMPT]), cache=ref_cache)[:, -1:, :]
    for step in range(16):
        assert mx.abs(logits - ref_logits).max().item() < ATOL, f"decode step {step}"
        token = mx.argmax(logits[:, -1, :], axis=-1)[:, None]
        logits = ours(token, cache)
        ref_logits = ref(token, cache=ref_cache)
    assert cache[0].offset == len(PROMPT) + 16


def test_last_only_prefill_equals_last_row_of_full_logits():
    model = tiny_model(bits=4)
    full = model(mx.array([PROMPT]), last_only=False)
    last = model(mx.array([PROMPT]), make_cache(model))
    assert last.shape == (1, 1, TINY_MINICPM["vocab_size"])
    assert mx.abs(full[:, -1:, :] - last).max().item() < ATOL


def test_chunked_prefill_equals_one_shot():
    model = tiny_model(bits=4)
    one = make_cache(model)
    expected = model(mx.array([PROMPT]), one)
    chunked = make_cache(model)
    model(mx.array([PROMPT[:5]]), chunked)
    model(mx.array([PROMPT[5:9]]), chunked)
    got = model(mx.array([PROMPT[9:]]), chunked)
    assert mx.abs(got - expected).max().item() < ATOL


def test_model_args_read_hf_config_variants():
    args = ModelArgs.from_dict(TINY_MINICPM)
    assert args.rope_theta == 5_000_000.0  # from rope_parameters
    assert args.head_dim == 32 and args.num_key_value_heads == 1
    assert args.eos_token_id == [1, 7]
    plain = ModelArgs.from_dict(
        {**TINY_MINICPM, "rope_theta": 10.0, "eos_token_id": 3, "unknown_key": 1}
    )
    assert plain.rope_theta == 10.0 and plain.eos_token_id == [3]
    no_head_dim = {k: v for k, v in TINY_MINICPM.items() if k != "head_dim"}
    assert ModelArgs.from_dict(no_head_dim).head_dim == 128 // 8


def test_minicpm5_parameter_count_matches_model_card():
    """The reference doc's arithmetic: 1,080,632,832 parameters for MiniCPM5-1B."""
    from deskpet.inference.model import Model

    config = {
        **TINY_MINICPM,
        "hidden_size": 1536,
        "num_hidden_layers": 24,
        "intermediate_size": 4608,
        "num_attention_heads": 16,
        "num_key_value_heads": 2,
        "head_dim": 128,
        "vocab_size": 130560,
    }
    model = Model(ModelArgs.from_dict(config))  # lazily initialized: no memory is touched
    assert model.parameter_count() == 1_080_632_832
