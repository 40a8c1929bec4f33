"""Tiny random Llamas in MiniCPM5-1B's shape family, and the mlx-lm reference on their weights."""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_flatten
from mlx_lm.models import llama as reference

from deskpet.inference.model import Model, ModelArgs

# MiniCPM5-1B's family: GQA 8:1, head_dim (32) != hidden / heads (128 / 8 = 16), untied head.
TINY_MINICPM = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 128,
    "num_hidden_layers": 3,
    "intermediate_size": 384,
    "num_attention_heads": 8,
    "num_key_value_heads": 1,
    "head_dim": 32,
    "vocab_size": 512,
    "rope_parameters": {"rope_theta": 5_000_000.0},
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False,
    "max_position_embeddings": 4096,
    "eos_token_id": [1, 7],
}


def tiny_model(
    config: dict | None = None, bits: int | None = None, group_size: int = 64, seed: int = 0
):
    """A random deskpet Model; with bits, every linear and the embedding quantized (as the
    official MLX build does)."""
    mx.random.seed(seed)
    model = Model(ModelArgs.from_dict(config or TINY_MINICPM))
    # Default init is too flat to tell implementations apart: widen the embedding.
    model.model.embed_tokens.weight = mx.random.normal(model.model.embed_tokens.weight.shape)
    if bits:
        nn.quantize(model, group_size=group_size, bits=bits)
    model.set_dtype(mx.float32)
    mx.eval(model.parameters())
    return model


def reference_model(model: Model, config: dict | None = None):
    """mlx-lm's llama on exactly the same weights (quantized layer for layer)."""
    config = dict(config or TINY_MINICPM)
    config["rope_theta"] = model.args.rope_theta
    ref = reference.Model(reference.ModelArgs.from_dict(config))
    weights = dict(tree_flatten(model.parameters()))

    def quantized_like(path, module):
        scales = weights.get(f"{path}.scales")
        if scales is None:
            return False
        in_features = module.weight.shape[-1]
        return {
            "group_size": in_features // scales.shape[-1],
            "bits": weights[f"{path}.weight"].shape[-1] * 32 // in_features,
        }

    nn.quantize(ref, class_predicate=quantized_like)
    ref.load_weights(list(weights.items()))
    ref.set_dtype(mx.float32)
    mx.eval(ref.parameters())
    return ref
