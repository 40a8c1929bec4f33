"""The dense copy training runs on: the same function as the 4-bit model (it holds the values
the quantized matmul uses), and the model is exactly as loaded after `restore`."""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn
from helpers.tiny import TINY_MINICPM, tiny_model
from mlx.utils import tree_flatten

from deskpet.inference.dequant import DenseBase


def test_a_float32_copy_matches_the_4bit_model_and_restore_puts_it_back():
    model = tiny_model(TINY_MINICPM, bits=4, seed=1)
    tokens = mx.array([[5, 17, 99, 3, 250, 7]])
    before = model(tokens, last_only=False)
    params = dict(tree_flatten(model.parameters()))
    dense = DenseBase(model, mx.float32)
    assert not any(
        isinstance(m, nn.QuantizedLinear | nn.QuantizedEmbedding) for m in model.modules()
    )
    assert mx.allclose(model(tokens, last_only=False), before, atol=1e-4, rtol=1e-4)
    dense.restore()
    assert all(v is params[k] for k, v in tree_flatten(model.parameters()))
    assert mx.array_equal(model(tokens, last_only=False), before)


def test_a_bfloat16_copy_keeps_activations_in_bfloat16_and_stays_close():
    model = tiny_model(TINY_MINICPM, bits=4, seed=2)
    tokens = mx.array([[5, 17, 99, 3]])
    before = model(tokens, last_only=False)
    dense = DenseBase(model, mx.bfloat16)
    out = model(tokens, last_only=False)
    # Every norm and weight is bfloat16, so nothing promotes back to float32 (the speed).
    assert out.dtype == mx.bfloat16
    assert {v.dtype for _, v in tree_flatten(model.parameters())} == {mx.bfloat16}
    # Same argmax almost everywhere: rounding, not another function.
    agree = (out.argmax(-1) == before.argmax(-1)).mean().item()
    assert agree >= 0.75, agree
    dense.restore()
    assert mx.array_equal(model(tokens, last_only=False), before)
