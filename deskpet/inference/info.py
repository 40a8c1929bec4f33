"""`deskpet model info`: what a model is, read without generating anything."""

from __future__ import annotations

from pathlib import Path

import mlx.nn as nn
from mlx.utils import tree_flatten

from ..i18n import Said
from .chat import ChatTemplate
from .load import DEFAULT_BITS, ModelLoadError, build, read_checkpoint


def disk_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def weight_bytes(model: nn.Module) -> int:
    """Memory the loaded weights take (packed words, scales, biases and floats)."""
    return sum(v.nbytes for _, v in tree_flatten(model.parameters()))


def model_info(source: str | Path, bits: int = DEFAULT_BITS) -> dict[str, str]:
    ckpt = read_checkpoint(source, bits=bits)
    lm = build(ckpt, bits=bits)
    args, tok = lm.args, lm.tokenizer
    try:
        template = ChatTemplate(tok)
    except Exception as e:  # the template comes with the model: a broken one is one line
        reason = " ".join(str(e).split()) or type(e).__name__
        raise ModelLoadError(
            Said(
                "{name}: its chat template cannot be used ({why})",
                name=ckpt.source.name,
                why=reason,
            )
        ) from None

    def name(token_id: int | None) -> str:
        if token_id is None:
            return "-"
        return f"{tok.convert_ids_to_tokens(token_id)!s} ({token_id})"

    think = (
        f"{name(template.think_start_id)} / {name(template.think_end_id)}"
        if template.think_start_id is not None
        else "none"
    )
    facts = {
        "source": str(ckpt.source),
        "format": ckpt.format,
        "architecture": f"Llama: {args.num_hidden_layers} layers, hidden {args.hidden_size}, "
        f"{args.num_attention_heads} query / {args.num_key_value_heads} KV heads of "
        f"{args.head_dim}, FFN {args.intermediate_size}",
        "vocabulary": f"{args.vocab_size:,}",
        "context": f"{args.max_position_embeddings:,} tokens, rope theta {args.rope_theta:g}",
        "lm_head": "tied to the embedding" if args.tie_word_embeddings else "separate",
        "quantization": ckpt.config.get("quantization")
        and lm.quantization
        or (f"{lm.quantization} (on load)" if ckpt.format == "safetensors" else lm.quantization),
        "parameters": f"{lm.model.parameter_count():,}",
        "size on disk": f"{disk_size(ckpt.source) / 1e6:,.1f} MB",
        "memory": f"{weight_bytes(lm.model) / 1e6:,.1f} MB of weights once loaded "
        f"({str(lm.dtype).split('.')[-1]} compute)",
        "bos": name(tok.bos_token_id),
        "eos": ", ".join(name(i) for i in lm.eos_token_ids) or "-",
        "think tokens": think,
        "chat template": "yes" if tok.chat_template else "no",
    }
    if ckpt.tensor_types:
        from .gguf import describe_plan

        facts["gguf tensors"] = describe_plan(ckpt.tensor_types, bits)
    if ckpt.conversion_seconds:
        facts["conversion"] = (
            f"{ckpt.conversion_seconds:.1f} s at every load; `deskpet model convert` saves "
            "the result as an MLX folder that loads at once"
        )
    return facts
