"""Tiny random Llamas in MiniCPM5-1B's shape family (the mlx-lm reference on their weights:
deskpet.inference.reference)."""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn

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

# openbmb/MiniCPM5-1B's config.json (/work/shared/reference/minicpm5-1b.md).
MINICPM5_1B = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 1536,
    "intermediate_size": 4608,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "num_key_value_heads": 2,
    "head_dim": 128,
    "vocab_size": 130560,
    "max_position_embeddings": 131072,
    "rope_theta": 5_000_000.0,
    "tie_word_embeddings": False,
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
