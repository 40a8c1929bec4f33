"""Write LoRA adapter folders the way PEFT and mlx-lm do, for tests."""

from __future__ import annotations

import json
from pathlib import Path

import mlx.core as mx

from deskpet.inference.lora import PROJECTIONS, projection_dims
from deskpet.inference.model import ModelArgs

ALL = list(PROJECTIONS)


def peft_tensors(
    args: ModelArgs, r: int, targets=ALL, layers=None, seed: int = 0, b_scale: float = 0.05
):
    """Random PEFT-named A [r, in] and B [out, r] (B non-zero so the adapter does something)."""
    mx.random.seed(seed)
    dims = projection_dims(args)
    out = {}
    for i in layers if layers is not None else range(args.num_hidden_layers):
        for proj in targets:
            d_in, d_out = dims[proj]
            stem = f"base_model.model.model.layers.{i}.{PROJECTIONS[proj]}.{proj}"
            out[f"{stem}.lora_A.weight"] = mx.random.normal((r, d_in)) * d_in**-0.5
            out[f"{stem}.lora_B.weight"] = mx.random.normal((d_out, r)) * b_scale
    return out


def write_peft(folder: Path, tensors: dict, r: int, alpha: float, targets=ALL, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "peft_type": "LORA",
        "r": r,
        "lora_alpha": alpha,
        "target_modules": list(targets),
        "bias": "none",
        "use_rslora": False,
        "use_dora": False,
        "task_type": "CAUSAL_LM",
    }
    config.update(extra)
    (folder / "adapter_config.json").write_text(json.dumps(config))
    if tensors is not None:
        mx.save_safetensors(str(folder / "adapter_model.safetensors"), tensors)
    return folder


def random_peft(
    folder: Path,
    args: ModelArgs,
    r: int = 4,
    alpha: float = 8,
    seed: int = 0,
    b_scale: float = 0.05,
    **extra,
) -> Path:
    return write_peft(folder, peft_tensors(args, r, seed=seed, b_scale=b_scale), r, alpha, **extra)
