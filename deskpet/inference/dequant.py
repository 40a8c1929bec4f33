"""A loaded model's quantized layers swapped, for a while, for dense copies in one dtype.

Training uses this: MLX's CPU backend multiplies by 4-bit weights slowly, and a dense copy of
a 135M model is small. The dense weights are the 4-bit weights dequantized (scale * q + bias,
the very values the quantized matmul uses), so an adapter trained on them is trained on the
base the app runs, up to the rounding of the chosen dtype (the QLoRA practice of computing in
a wider dtype than the stored weights). `restore` puts every original module and norm weight
back, so the model is left exactly as loaded.
"""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn

DTYPES = {"float32": mx.float32, "float16": mx.float16, "bfloat16": mx.bfloat16}


class DenseBase:
    """Swaps QuantizedLinear / QuantizedEmbedding for Linear / Embedding in `dtype`, and casts
    the norms to it too so activations stay in `dtype` (mixed dtypes would promote to float32
    and lose the speed). Make it before an AdapterBank wraps the projections; restore it
    after the bank detaches."""

    def __init__(self, model, dtype: mx.Dtype):
        self.model = model
        self.dtype = dtype
        self._undo: list[tuple[nn.Module, str, object]] = []
        for layer in model.layers:
            self._swap_tree(layer)
        self._swap(model.model, "embed_tokens")
        self._cast(model.model.norm, "weight")
        if not model.args.tie_word_embeddings:
            self._swap(model, "lm_head")
        mx.eval(model.parameters())

    def _swap_tree(self, layer: nn.Module) -> None:
        for block in ("self_attn", "mlp"):
            parent = getattr(layer, block)
            for name, child in list(parent.children().items()):
                if isinstance(child, nn.Module):
                    self._swap(parent, name)
        self._cast(layer.input_layernorm, "weight")
        self._cast(layer.post_attention_layernorm, "weight")

    def _swap(self, parent: nn.Module, name: str) -> None:
        module = getattr(parent, name)
        if isinstance(module, nn.QuantizedLinear):
            dense = nn.Linear(1, 1, bias="bias" in module)
            dense.weight = self._dequantize(module)
            if "bias" in module:
                dense.bias = module.bias.astype(self.dtype)
        elif isinstance(module, nn.QuantizedEmbedding):
            dense = nn.Embedding(1, 1)
            dense.weight = self._dequantize(module)
        elif isinstance(module, nn.Linear | nn.Embedding):
            for key in ("weight", "bias"):
                self._cast(module, key)
            return
        else:
            return
        setattr(parent, name, dense)
        self._undo.append((parent, name, module))

    def _dequantize(self, module) -> mx.array:
        weight = mx.dequantize(
            module.weight, module.scales, module.biases, module.group_size, module.bits
        )
        return weight.astype(self.dtype)

    def _cast(self, module: nn.Module, key: str) -> None:
        if key in module and module[key].dtype != self.dtype:
            self._undo.append((module, key, module[key]))
            setattr(module, key, module[key].astype(self.dtype))

    def restore(self) -> None:
        for parent, name, original in reversed(self._undo):
            setattr(parent, name, original)
        self._undo.clear()
