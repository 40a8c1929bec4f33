"""mlx-lm's own llama model on deskpet's arrays: the independent reference for the forward pass.

`deskpet bench` measures deskpet's engine against it, and the golden tests compare logits and
tokens with it. It holds the very arrays the deskpet model holds (no copy), quantized layer for
layer the same way.
"""

from __future__ import annotations

import mlx.nn as nn
from mlx.utils import tree_flatten

from .load import quantize_like
from .model import Model


def reference_model(model: Model) -> nn.Module:
    """mlx-lm's llama model holding the arrays `model` holds."""
    from mlx_lm.models import llama

    a = model.args
    ref = llama.Model(
        llama.ModelArgs(
            model_type="llama",
            hidden_size=a.hidden_size,
            num_hidden_layers=a.num_hidden_layers,
            intermediate_size=a.intermediate_size,
            num_attention_heads=a.num_attention_heads,
            num_key_value_heads=a.num_key_value_heads,
            head_dim=a.head_dim,
            rms_norm_eps=a.rms_norm_eps,
            vocab_size=a.vocab_size,
            rope_theta=a.rope_theta,
            rope_scaling=a.rope_scaling,
            max_position_embeddings=a.max_position_embeddings,
            attention_bias=a.attention_bias,
            mlp_bias=a.mlp_bias,
            tie_word_embeddings=a.tie_word_embeddings,
        )
    )
    weights = dict(tree_flatten(model.parameters()))
    quantize_like(ref, weights)
    ref.load_weights(list(weights.items()))  # strict: every name and shape must match
    return ref
