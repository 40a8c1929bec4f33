"""ModelArgs (Hugging Face config names) and the Llama forward pass, on MLX's fast ops.

One model class serves every format deskpet loads (MLX 4-bit dirs, HF safetensors, GGUF): the
loaders adapt checkpoint names and layouts in `sanitize`-style helpers in load.py, never here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import mlx.core as mx
import mlx.nn as nn

LLAMA_ARCHITECTURES = {"LlamaForCausalLM"}


class UnsupportedModelError(ValueError):
    """The config describes something deskpet's Llama forward pass cannot run."""


@dataclass
class ModelArgs:
    hidden_size: int
    num_hidden_layers: int
    intermediate_size: int
    num_attention_heads: int
    vocab_size: int
    num_key_value_heads: int | None = None
    head_dim: int | None = None
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    tie_word_embeddings: bool = False
    max_position_embeddings: int = 4096
    attention_bias: bool = False
    mlp_bias: bool = False
    model_type: str = "llama"
    eos_token_id: list[int] = field(default_factory=list)
    bos_token_id: int | None = None
    # None, or a checked scaling dict whose type is under "rope_type" (see rope_scaling_of).
    rope_scaling: dict[str, Any] | None = None
    # None, or one divisor per rotated pair applied on top of rope_theta's frequencies: the
    # precomputed llama3 factors GGUF files carry as rope_freqs (see check_rope_freqs).
    rope_freqs: list[float] | None = None

    def __post_init__(self):
        if self.num_key_value_heads is None:
            self.num_key_value_heads = self.num_attention_heads
        if self.head_dim is None:
            self.head_dim = self.hidden_size // self.num_attention_heads
        if isinstance(self.eos_token_id, int):
            self.eos_token_id = [self.eos_token_id]
        self.eos_token_id = list(self.eos_token_id or [])

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> ModelArgs:
        """Build from a HF config.json dict; unknown keys are ignored, non-Llama is refused,
        and every size is checked first (configs come from outside)."""
        check_config(config)
        archs = config.get("architectures") or []
        if config.get("model_type", "llama") != "llama" or (
            archs and archs[0] not in LLAMA_ARCHITECTURES
        ):
            name = archs[0] if archs else config.get("model_type")
            raise UnsupportedModelError(
                f"this is a {name} model; deskpet runs Llama-architecture models (LlamaForCausalLM)"
            )
        config = dict(config)
        # Re-saved configs (transformers >= 4.5x) move rope_theta under rope_parameters.
        rope_parameters = config.get("rope_parameters") or {}
        if "rope_theta" not in config and "rope_theta" in rope_parameters:
            config["rope_theta"] = rope_parameters["rope_theta"]
        config["rope_scaling"] = rope_scaling_of(config)
        names = inspect.signature(cls).parameters
        return cls(**{k: v for k, v in config.items() if k in names and v is not None})


# Generous bounds on a config's sizes: far above any Llama there is, far below what would
# make building the model allocate without end.
_REQUIRED = (
    "hidden_size",
    "num_hidden_layers",
    "intermediate_size",
    "num_attention_heads",
    "vocab_size",
)
_SIZE_LIMITS = {
    "hidden_size": 1 << 16,
    "num_hidden_layers": 1024,
    "intermediate_size": 1 << 18,
    "num_attention_heads": 1024,
    "vocab_size": 1 << 21,
    "num_key_value_heads": 1024,
    "head_dim": 4096,
    "max_position_embeddings": 1 << 24,
}


def check_config(config: Any) -> None:
    """Raise UnsupportedModelError (one line) unless `config` is a usable Llama config."""
    if not isinstance(config, dict):
        raise UnsupportedModelError(f"the config must be a JSON object, not {_kind(config)}")
    missing = [k for k in _REQUIRED if config.get(k) is None]
    if missing:
        raise UnsupportedModelError(f"the config has no {', '.join(missing)}")
    for name, limit in _SIZE_LIMITS.items():
        value = config.get(name)
        if value is None:
            continue
        if not _is_int(value) or not 0 < value <= limit:
            raise UnsupportedModelError(
                f"{name} must be a whole number from 1 to {limit:,} (got {_short(value)})"
            )
    heads, hidden = config["num_attention_heads"], config["hidden_size"]
    kv_heads = config.get("num_key_value_heads") or heads
    if heads % kv_heads:
        raise UnsupportedModelError(
            f"num_attention_heads {heads} is not a multiple of num_key_value_heads {kv_heads}"
        )
    if config.get("head_dim") is None and hidden % heads:
        raise UnsupportedModelError(
            f"hidden_size {hidden} does not divide into {heads} attention heads"
        )
    if (config.get("head_dim") or hidden // heads) % 2:
        raise UnsupportedModelError("the attention head size must be even (RoPE rotates pairs)")
    for name in ("rms_norm_eps", "rope_theta"):
        value = config.get(name)
        if value is not None and not (
            isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e30
        ):
            raise UnsupportedModelError(f"{name} must be a positive number (got {_short(value)})")
    for name in ("tie_word_embeddings", "attention_bias", "mlp_bias"):
        if not isinstance(config.get(name, False), bool):
            raise UnsupportedModelError(f"{name} must be true or false")
    eos = config.get("eos_token_id")
    eos_ok = eos is None or _is_int(eos) or (isinstance(eos, list) and all(map(_is_int, eos)))
    if not eos_ok or not (config.get("bos_token_id") is None or _is_int(config["bos_token_id"])):
        raise UnsupportedModelError("eos_token_id and bos_token_id must be token ids")
    archs = config.get("architectures")
    if archs is not None and not (
        isinstance(archs, list) and all(isinstance(a, str) for a in archs)
    ):
        raise UnsupportedModelError("architectures must be a list of names")
    if not isinstance(config.get("model_type", "llama"), str):
        raise UnsupportedModelError("model_type must be a name")
    for name in ("rope_scaling", "rope_parameters"):
        if not isinstance(config.get(name) or {}, dict):
            raise UnsupportedModelError(f"{name} must be a JSON object")
    rope_scaling_of(config)
    check_rope_freqs(config)


def check_rope_freqs(config: dict[str, Any]) -> None:
    """Raise UnsupportedModelError (one line) unless rope_freqs is absent or one positive,
    finite divisor per rotated pair (head_dim / 2 of them), with no rope_scaling beside it."""
    freqs = config.get("rope_freqs")
    if freqs is None:
        return
    pairs = _head_dim(config) // 2
    if not isinstance(freqs, list) or len(freqs) != pairs:
        got = len(freqs) if isinstance(freqs, list) else _kind(freqs)
        raise UnsupportedModelError(f"rope_freqs must hold {pairs} factors (got {got})")
    if not all(_is_positive(f) for f in freqs):
        raise UnsupportedModelError("rope_freqs must be positive finite numbers")
    if rope_scaling_of(config) is not None:
        raise UnsupportedModelError("rope_freqs and rope_scaling cannot both be set")


# The RoPE scalings mlx-lm's rope utilities run for Llama, and the fields each one needs
# besides "factor" (Hugging Face's own validation asks the same of llama3).
_ROPE_REQUIRED = {
    "linear": (),
    "dynamic": (),
    "llama3": ("low_freq_factor", "high_freq_factor", "original_max_position_embeddings"),
    "yarn": (),
}
_ROPE_OPTIONAL = {
    "yarn": ("original_max_position_embeddings", "beta_fast", "beta_slow", "mscale"),
}


def rope_scaling_of(config: dict[str, Any]) -> dict[str, Any] | None:
    """The config's RoPE scaling, checked, with its type under "rope_type"; None for plain RoPE.

    Configs name the type "rope_type" or (older ones) "type"; re-saved configs keep the scaling
    in rope_parameters instead of rope_scaling. Raises UnsupportedModelError (one line)."""
    scaling = config.get("rope_scaling") or config.get("rope_parameters") or {}
    if not isinstance(scaling, dict):
        raise UnsupportedModelError("rope_scaling must be a JSON object")
    rope_type = scaling.get("rope_type", scaling.get("type"))
    if rope_type in (None, "default"):
        return None
    if not isinstance(rope_type, str) or rope_type not in _ROPE_REQUIRED:
        raise UnsupportedModelError(
            f"rope_scaling type {_short(rope_type)} is not supported "
            f"(deskpet runs {', '.join(_ROPE_REQUIRED)})"
        )
    where = f"rope_scaling ({rope_type})"
    missing = [k for k in ("factor", *_ROPE_REQUIRED[rope_type]) if scaling.get(k) is None]
    if missing:
        raise UnsupportedModelError(f"{where} has no {', '.join(missing)}")
    for name in ("factor", *_ROPE_REQUIRED[rope_type], *_ROPE_OPTIONAL.get(rope_type, ())):
        value = scaling.get(name)
        if value is not None and not _is_positive(value):
            raise UnsupportedModelError(
                f"{where} {name} must be a positive number (got {_short(value)})"
            )
    kept = {k: v for k, v in scaling.items() if k not in ("type", "rope_type", "rope_theta")}
    if rope_type == "llama3" and kept["low_freq_factor"] >= kept["high_freq_factor"]:
        raise UnsupportedModelError(f"{where} low_freq_factor must be below high_freq_factor")
    if rope_type == "dynamic" and _head_dim(config) <= 2:
        raise UnsupportedModelError(f"{where} needs an attention head size above 2")
    if rope_type == "yarn":
        mscale_all_dim = kept.get("mscale_all_dim", 0)
        if not (_is_positive(mscale_all_dim) or mscale_all_dim == 0):
            raise UnsupportedModelError(f"{where} mscale_all_dim must be 0 or a positive number")
        if kept.get("attention_factor") is not None:
            # mlx-lm's YarnRoPE derives this from mscale; an explicit one would go unused.
            raise UnsupportedModelError(f"{where} with attention_factor is not supported")
        if config.get("rope_theta", scaling.get("rope_theta", 10000.0)) == 1:
            raise UnsupportedModelError(f"{where} needs a rope_theta other than 1")
        # Hugging Face's default: the trained context is max_position_embeddings.
        if kept.get("original_max_position_embeddings") is None:
            kept["original_max_position_embeddings"] = config.get("max_position_embeddings", 4096)
    return {"rope_type": rope_type, **kept}


def _head_dim(config: dict[str, Any]) -> int:
    heads = config.get("num_attention_heads") or 1
    return config.get("head_dim") or (config.get("hidden_size") or 0) // heads


def _is_positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e30


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", type(None): "null"}.get(type(value), "a value")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class KVCache:
    """Keys and values of one layer, grown in steps so decode does not reallocate every token."""

    step = 256

    def __init__(self):
        self.keys: mx.array | None = None
        self.values: mx.array | None = None
        self.offset = 0

    def update_and_fetch(self, keys: mx.array, values: mx.array) -> tuple[mx.array, mx.array]:
        prev, n = self.offset, keys.shape[2]
        if self.keys is None or prev + n > self.keys.shape[2]:
            B, H, _, D = keys.shape
            grow = ((n + self.step - 1) // self.step) * self.step
            new_k = mx.zeros((B, H, grow, D), keys.dtype)
            new_v = mx.zeros((B, H, grow, values.shape[3]), values.dtype)
            if self.keys is None:
                self.keys, self.values = new_k, new_v
            else:
                self.keys = mx.concatenate([self.keys[..., :prev, :], new_k], axis=2)
                self.values = mx.concatenate([self.values[..., :prev, :], new_v], axis=2)
        self.offset += n
        self.keys[..., prev : self.offset, :] = keys
        self.values[..., prev : self.offset, :] = values
        return self.keys[..., : self.offset, :], self.values[..., : self.offset, :]

    def trim(self, n: int) -> None:
        """Forget the last n positions (they are overwritten by the next update)."""
        self.offset = max(0, self.offset - n)

    def copy(self) -> KVCache:
        """An independent cache holding the same prefix (for reusing a system prompt)."""
        other = KVCache()
        if self.keys is not None and self.offset:
            other.keys = mx.array(self.keys[..., : self.offset, :])
            other.values = mx.array(self.values[..., : self.offset, :])
            other.offset = self.offset
        return other

    @property
    def state(self) -> list[mx.array]:
        return [] if self.keys is None else [self.keys, self.values]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.state)


def make_cache(model: Model) -> list[KVCache]:
    return [KVCache() for _ in model.layers]


class Attention(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.n_heads = args.num_attention_heads
        self.n_kv_heads = args.num_key_value_heads
        self.head_dim = args.head_dim
        self.scale = self.head_dim**-0.5
        self.rope_theta = float(args.rope_theta)
        dim, bias = args.hidden_size, args.attention_bias
        self.q_proj = nn.Linear(dim, self.n_heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(dim, self.n_kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(dim, self.n_kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(self.n_heads * self.head_dim, dim, bias=bias)
        # Plain RoPE stays on mx.fast.rope below; scaled RoPE is mlx-lm's (imported here only:
        # mlx_lm pulls in transformers).
        self.rope = None
        self._freqs = None
        if args.rope_freqs is not None:
            # llama.cpp's convention: each pair's angle is divided by its factor, so the
            # period mx.fast.rope takes is rope_theta's own times the factor.
            own = self.rope_theta ** (
                mx.arange(0, self.head_dim, 2, dtype=mx.float32) / self.head_dim
            )
            self._freqs = own * mx.array(args.rope_freqs, dtype=mx.float32)
        elif args.rope_scaling is not None:
            from mlx_lm.models.rope_utils import initialize_rope

            self.rope = initialize_rope(
                self.head_dim,
                self.rope_theta,
                False,
                args.rope_scaling,
                args.max_position_embeddings,
            )

    def __call__(self, x: mx.array, mask=None, cache: KVCache | None = None) -> mx.array:
        B, L, _ = x.shape
        q = self.q_proj(x).reshape(B, L, self.n_heads, self.head_dim).transpose(0, 2, 1, 3)
        k = self.k_proj(x).reshape(B, L, self.n_kv_heads, self.head_dim).transpose(0, 2, 1, 3)
        v = self.v_proj(x).reshape(B, L, self.n_kv_heads, self.head_dim).transpose(0, 2, 1, 3)
        # (B, heads, L, head_dim). Non-traditional (half-split) RoPE for every format: GGUF q/k
        # rows are un-permuted at load so this one convention holds.
        offset = cache.offset if cache is not None else 0
        if self.rope is not None:
            q, k = self.rope(q, offset=offset), self.rope(k, offset=offset)
        elif self._freqs is not None:
            q, k = (
                mx.fast.rope(
                    t,
                    self.head_dim,
                    traditional=False,
                    base=None,
                    scale=1.0,
                    offset=offset,
                    freqs=self._freqs,
                )
                for t in (q, k)
            )
        else:
            q = mx.fast.rope(
                q, self.head_dim, traditional=False, base=self.rope_theta, scale=1.0, offset=offset
            )
            k = mx.fast.rope(
                k, self.head_dim, traditional=False, base=self.rope_theta, scale=1.0, offset=offset
            )
        if cache is not None:
            k, v = cache.update_and_fetch(k, v)
        # GQA natively: sdpa broadcasts the kv heads over the query heads.
        out = mx.fast.scaled_dot_product_attention(q, k, v, scale=self.scale, mask=mask)
        return self.o_proj(out.transpose(0, 2, 1, 3).reshape(B, L, -1))


class MLP(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        dim, hidden, bias = args.hidden_size, args.intermediate_size, args.mlp_bias
        self.gate_proj = nn.Linear(dim, hidden, bias=bias)
        self.up_proj = nn.Linear(dim, hidden, bias=bias)
        self.down_proj = nn.Linear(hidden, dim, bias=bias)

    def __call__(self, x: mx.array) -> mx.array:
        return self.down_proj(nn.silu(self.gate_proj(x)) * self.up_proj(x))


class TransformerBlock(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.self_attn = Attention(args)
        self.mlp = MLP(args)
        self.input_layernorm = nn.RMSNorm(args.hidden_size, eps=args.rms_norm_eps)
        self.post_attention_layernorm = nn.RMSNorm(args.hidden_size, eps=args.rms_norm_eps)

    def __call__(self, x: mx.array, mask=None, cache: KVCache | None = None) -> mx.array:
        h = x + self.self_attn(self.input_layernorm(x), mask, cache)
        return h + self.mlp(self.post_attention_layernorm(h))


class LlamaModel(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.embed_tokens = nn.Embedding(args.vocab_size, args.hidden_size)
        self.layers = [TransformerBlock(args) for _ in range(args.num_hidden_layers)]
        self.norm = nn.RMSNorm(args.hidden_size, eps=args.rms_norm_eps)


class Model(nn.Module):
    """Llama for causal LM. `model(tokens, cache)` -> logits (B, L or 1, vocab)."""

    def __init__(self, args: ModelArgs):
        super().__init__()
        self.args = args
        self.model = LlamaModel(args)
        if not args.tie_word_embeddings:
            self.lm_head = nn.Linear(args.hidden_size, args.vocab_size, bias=False)

    @property
    def layers(self) -> list[TransformerBlock]:
        return self.model.layers

    def __call__(
        self, inputs: mx.array, cache: list[KVCache] | None = None, last_only: bool = True
    ) -> mx.array:
        """inputs (B, L) token ids. With last_only, only the last position reaches lm_head:
        prefill needs just the next token's logits, and lm_head is the largest matmul."""
        h = self.model.embed_tokens(inputs)
        L = h.shape[1]
        # Causal mask aligned to the end of the cached keys; one new token needs none.
        mask = "causal" if L > 1 else None
        for i, layer in enumerate(self.model.layers):
            h = layer(h, mask, cache[i] if cache is not None else None)
        if last_only:
            h = h[:, -1:, :]
        h = self.model.norm(h)
        if self.args.tie_word_embeddings:
            return self.model.embed_tokens.as_linear(h)
        return self.lm_head(h)

    def parameter_count(self) -> int:
        """Logical parameters (packed 4-bit words count as 8 each; scales/biases not counted)."""
        total = 0
        for name, module in self.named_modules():
            if isinstance(module, nn.QuantizedLinear | nn.QuantizedEmbedding):
                rows, packed = module.weight.shape
                total += rows * packed * 32 // module.bits
                if "bias" in module and not name.endswith("embed_tokens"):
                    total += module["bias"].size
            elif isinstance(module, nn.Linear | nn.Embedding | nn.RMSNorm):
                total += sum(v.size for v in module.parameters().values())
        return total
