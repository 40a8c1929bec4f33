"""Write LoRA adapters the way PEFT, mlx-lm and llama.cpp's converter do, for tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import gguf
import mlx.core as mx
import numpy as np
import yaml

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


# llama.cpp's names for the projections (gguf-py's tensor map for Llama).
GGUF_NAMES = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}
_PEFT_NAME = re.compile(
    r"^base_model\.model\.model\.layers\.(\d+)\.\w+\.(\w+)\.lora_([AB])\.weight$"
)


def llama_cpp_permute(w: np.ndarray, heads: int) -> np.ndarray:
    """convert_hf_to_gguf's LlamaModel.permute: each head's rows (2, d/2) -> (d/2, 2)."""
    return (
        w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)
    )


def write_gguf_lora(
    path: Path,
    tensors: dict,
    alpha: float | None,
    args: ModelArgs,
    *,
    dtype=np.float32,
    permute: bool = True,
    general_type: str = "adapter",
    adapter_type: str = "lora",
    arch: str = "llama",
    extra: dict | None = None,
) -> Path:
    """PEFT tensors written as llama.cpp's convert_lora_to_gguf.py writes them: general.type
    "adapter", adapter.type "lora", adapter.lora.alpha as float32, `blk.N.<name>.weight.lora_a`
    [r, in] and `.lora_b` [out, r] in numpy order, and the base's q/k row permutation run on
    the pair (which moves only B's rows). `extra` adds raw tensors by GGUF name."""
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_type(general_type)
    writer.add_string(gguf.Keys.Adapter.TYPE, adapter_type)
    if alpha is not None:
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    writer.add_name("test adapter")
    writer.add_file_type(1 if dtype == np.float16 else 0)  # MOSTLY_F16 or ALL_F32
    out = {}
    for key, value in tensors.items():
        layer, proj, half = _PEFT_NAME.match(key).groups()
        w = np.array(value.astype(mx.float32)).astype(dtype)
        if permute and half == "B" and proj in ("q_proj", "k_proj"):
            heads = args.num_attention_heads if proj == "q_proj" else args.num_key_value_heads
            w = llama_cpp_permute(w, heads)
        out[f"blk.{layer}.{GGUF_NAMES[proj]}.weight.lora_{half.lower()}"] = w
    out.update(extra or {})
    for name, w in out.items():
        writer.add_tensor(name, w)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def persona_folder(root, pid, name, adapter_args=None, rank=4):
    """An owner's persona folder `root/pid`, with a random PEFT adapter for `adapter_args`
    (a ModelArgs) when given."""
    folder = root / pid
    folder.mkdir(parents=True)
    data = {
        "id": pid,
        "format": 1,
        "name": {"en": name, "zh": name},
        "description": f"{name}, for the test.",
        "system_prompt": f"You are {name}.",
        "greeting": "Hello!",
        "theme": "sage",
    }
    (folder / "persona.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    if adapter_args is not None:
        random_peft(folder / "adapter", adapter_args, r=rank)
    return folder
