"""The adapter bank: LoRA adapters resident beside the 4-bit base, one active at a time.

Adapters are never fused into the quantized weights (re-quantizing a fused adapter can erase
it). Instead each targeted projection is wrapped once in a `LoRALinear` that adds
`scale * (x @ A.T) @ B.T` of whichever adapter is active; switching is a pointer flip on every
wrapper (no reload, no recompilation) and "no adapter" runs the base exactly.

Three formats are read: PEFT and mlx-lm folders (their configs by lora_config, their tensors
here) and llama.cpp's GGUF LoRA file (lora_gguf). Tensor keys:
- PEFT: `base_model.model.model.layers.N.<proj>.lora_A.weight` [r, in] and
  `...lora_B.weight` [out, r];
- mlx-lm: `model.layers.N.<proj>.lora_a` [in, r] and `...lora_b` [r, out].
Every failure is an AdapterError with one line naming the file, the tensor or the setting.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn

from deskpet.i18n import Said
from deskpet.safefile import atomic_write_text

from . import lora_gguf
from .load import ModelLoadError, check_safetensors
from .lora_config import MLX_WEIGHTS, PEFT_CONFIG, PEFT_WEIGHTS, AdapterError, read_spec
from .lora_targets import PROJECTIONS, projection_dims
from .model import Model, ModelArgs

log = logging.getLogger(__name__)

_PEFT_KEY = re.compile(
    r"^(?:base_model\.model\.)?model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)\.lora_([AB])(?:\.\w+)?\.weight$"
)
_MLX_KEY = re.compile(r"^model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)\.lora_([ab])$")
_HUB_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def linear_dims(linear: nn.Module) -> tuple[int, int]:
    """(in, out) of a Linear or QuantizedLinear (packed words hold 32 / bits values each)."""
    out_dims, packed = linear.weight.shape
    if isinstance(linear, nn.QuantizedLinear):
        return packed * 32 // linear.bits, out_dims
    return packed, out_dims


class LoRAPair(nn.Module):
    """One projection's low-rank update: A [r, in], B [out, r] (PEFT's layout) and its scale."""

    def __init__(self, a: mx.array, b: mx.array, scale: float):
        super().__init__()
        self.lora_A = a
        self.lora_B = b
        self.scale = scale

    def __call__(self, x: mx.array) -> mx.array:
        # (B, L, in) @ (in, r) @ (r, out): two thin matmuls, never the full (out, in) delta.
        return self.scale * ((x @ self.lora_A.T) @ self.lora_B.T)


class LoRALinear(nn.Module):
    """A frozen base projection plus the active adapter's update, if any.

    `lora` is a child module only while an adapter is active, so the parameter tree is the
    base's plus exactly the active adapter (which is what training differentiates).
    """

    def __init__(self, linear: nn.Module):
        super().__init__()
        self.linear = linear
        self.lora = None

    def __call__(self, x: mx.array) -> mx.array:
        y = self.linear(x)
        lora = self.get("lora")
        if lora is None:
            return y
        return y + lora(x).astype(y.dtype)


@dataclass
class Adapter:
    """One resident adapter: per-module LoRA pairs keyed by module path (model.layers.N.<...>)."""

    name: str
    source: str
    rank: int
    alpha: float
    scale: float
    target_modules: list[str]
    pairs: dict[str, LoRAPair] = field(default_factory=dict)
    format: str = "peft"
    base_model: str | None = None
    serial: int = 0  # bumped on every load, so caches keyed on it never mix two versions

    @property
    def nbytes(self) -> int:
        return sum(p.lora_A.nbytes + p.lora_B.nbytes for p in self.pairs.values())

    @property
    def parameters_count(self) -> int:
        return sum(p.lora_A.size + p.lora_B.size for p in self.pairs.values())

    @property
    def key(self) -> str:
        return f"{self.name}#{self.serial}"


def resolve_source(source: str | Path) -> Path:
    """A local adapter folder or .gguf file. Nothing is downloaded here (this runs on the
    inference thread, where a download would hold up every chat): a hub adapter is fetched
    by the UI first (inference/adapter_fetch.py) and loaded by its local path."""
    path = Path(source).expanduser()
    if path.exists():
        return path
    text = str(source)
    if _HUB_REPO.match(text) and not text.startswith((".", "/", "~")):
        raise AdapterError(Said("the adapter {repo} is not downloaded yet", repo=text))
    raise AdapterError(Said("adapter folder {path} does not exist", path=path))


def weights_file(source: Path) -> Path:
    """The file a persona's sha256 is of: the .gguf itself, or the weights in a folder."""
    if (gguf_file := lora_gguf.find(source)) is not None:
        return gguf_file
    for name in (PEFT_WEIGHTS, MLX_WEIGHTS):
        if (source / name).is_file():
            return source / name
    raise AdapterError(f"{source} holds no adapter weights to check")


def verify_sha256(source: Path, expected: str) -> None:
    """Refuse an adapter whose weights do not match the sha256 its persona gives."""
    file = weights_file(source)
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != expected.lower():
        log.warning("adapter %s refused: sha256 mismatch", file.name)
        raise AdapterError(
            f"{file.name} does not match the sha256 its persona gives; not used (prompt only)"
        )


def read_adapter(
    name: str,
    folder: str | Path,
    dims: dict[str, tuple[int, int]],
    num_layers: int,
    dtype: mx.Dtype = mx.float32,
    heads: tuple[int, int] | None = None,
) -> Adapter:
    """Read and check an adapter against a base's projection dims, depth and head counts."""
    if (gguf_file := lora_gguf.find(folder)) is not None:
        spec, raw = lora_gguf.read(gguf_file, heads)
    else:
        spec = read_spec(folder)
        try:
            check_safetensors(spec.weights_file)
            raw = mx.load(str(spec.weights_file))
        except ModelLoadError as e:
            raise AdapterError(f"{spec.folder.name}: {e}") from None
        except Exception as e:
            raise AdapterError(f"{spec.weights_file} could not be read ({e})") from None
    fname = spec.weights_file.name
    halves: dict[str, dict[str, mx.array]] = {}
    layers_seen: set[int] = set()
    key_re = _MLX_KEY if spec.format == "mlx" else _PEFT_KEY
    for key, value in raw.items():
        m = key_re.match(key)
        if m is None:
            raise AdapterError(f"{fname}: tensor {key} is not a LoRA weight of a Llama projection")
        layer, block, proj, half = int(m[1]), m[2], m[3], m[4].upper()
        if proj not in PROJECTIONS or PROJECTIONS[proj] != block:
            raise AdapterError(
                f"{fname}: tensor {key} targets {block}.{proj}, which deskpet's model does not have"
            )
        if layer >= num_layers:
            raise AdapterError(
                Said(
                    "{file}: tensor {key} is for layer {layer}, but the model has {count} "
                    "layers (the adapter was made for another base model)",
                    file=fname,
                    key=key,
                    layer=layer,
                    count=num_layers,
                )
            )
        if spec.format == "mlx":
            value = value.T  # mlx-lm stores A as [in, r] and B as [r, out]
        layers_seen.add(layer)
        halves.setdefault(f"model.layers.{layer}.{block}.{proj}", {})[half] = (key, value)
    if not halves:
        raise AdapterError(f"{fname} holds no LoRA tensors")
    if spec.format == "peft" and spec.layers is None and layers_seen != set(range(num_layers)):
        top = max(layers_seen) + 1
        raise AdapterError(
            Said(
                "{file}: the adapter covers {covered} layers (up to layer {last}) but the model "
                "has {count} (the adapter was made for another base model)",
                file=fname,
                covered=len(layers_seen),
                last=top - 1,
                count=num_layers,
            )
        )
    pairs = {}
    for path, parts in sorted(halves.items()):
        proj = path.rsplit(".", 1)[-1]
        if set(parts) != {"A", "B"}:
            missing = ({"A", "B"} - set(parts)).pop()
            raise AdapterError(f"{fname}: {path} has no lora_{missing} tensor")
        (a_key, a), (b_key, b) = parts["A"], parts["B"]
        d_in, d_out = dims[proj]
        if a.ndim != 2 or a.shape[1] != d_in:
            raise AdapterError(
                Said(
                    "{file}: tensor {key} has shape {shape} but the model's {proj} takes {inputs} "
                    "inputs (expected [r, {inputs}]; the adapter was made for another base model)",
                    file=fname,
                    key=a_key,
                    shape=tuple(a.shape),
                    proj=proj,
                    inputs=d_in,
                )
            )
        if b.ndim != 2 or b.shape[0] != d_out or b.shape[1] != a.shape[0]:
            raise AdapterError(
                f"{fname}: tensor {b_key} has shape {tuple(b.shape)} but expected "
                f"[{d_out}, {a.shape[0]}] for the model's {proj}"
            )
        pairs[path] = LoRAPair(a.astype(dtype), b.astype(dtype), spec.scale)
    return Adapter(
        name=name,
        source=str(spec.folder),
        rank=spec.rank,
        alpha=spec.alpha,
        scale=spec.scale,
        target_modules=sorted({p.rsplit(".", 1)[-1] for p in pairs}, key=list(PROJECTIONS).index),
        pairs=pairs,
        format=spec.format,
        base_model=spec.base_model,
    )


def check_adapter(folder: str | Path, args: ModelArgs) -> Adapter:
    """Validate an adapter against a base model's config alone (used by `persona import`)."""
    heads = (args.num_attention_heads, args.num_key_value_heads)
    return read_adapter("check", folder, projection_dims(args), args.num_hidden_layers, heads=heads)


class AdapterBank:
    """Adapters resident beside one loaded model; `switch` picks the active one.

    Attach once per model: the first adapter loaded wraps the seven projections of every layer
    in a LoRALinear (a no-op while no adapter is active). Owned by the inference thread.
    """

    def __init__(self, model: Model, dtype: mx.Dtype | None = None):
        self.model = model
        self.adapters: dict[str, Adapter] = {}
        self.active: str | None = None
        self.dtype = dtype
        self._serial = 0
        self._wrappers: dict[str, LoRALinear] = {}

    @property
    def active_key(self) -> str | None:
        """Names the adapter and its version: caches of KV values must include it."""
        return self.adapters[self.active].key if self.active else None

    def _wrap(self) -> None:
        if self._wrappers:
            return
        for i, layer in enumerate(self.model.layers):
            for proj, block in PROJECTIONS.items():
                parent = getattr(layer, block)
                current = getattr(parent, proj)
                if isinstance(current, LoRALinear):
                    raise AdapterError("this model already has an adapter bank attached")
                wrapper = LoRALinear(current)
                setattr(parent, proj, wrapper)
                self._wrappers[f"model.layers.{i}.{block}.{proj}"] = wrapper

    def detach(self) -> None:
        """Put the plain projections back and forget every adapter (the model is as loaded)."""
        for path, wrapper in self._wrappers.items():
            _, _, i, block, proj = path.split(".")
            setattr(getattr(self.model.layers[int(i)], block), proj, wrapper.linear)
        self._wrappers.clear()
        self.adapters.clear()
        self.active = None

    def dims(self) -> dict[str, tuple[int, int]]:
        layer = self.model.layers[0]
        out = {}
        for proj, block in PROJECTIONS.items():
            module = getattr(getattr(layer, block), proj)
            out[proj] = linear_dims(module.linear if isinstance(module, LoRALinear) else module)
        return out

    def _dtype(self) -> mx.Dtype:
        if self.dtype is not None:
            return self.dtype
        return self.model.model.norm.weight.dtype

    def load(self, name: str, folder: str | Path, sha256: str | None = None) -> Adapter:
        """Read, check (against `sha256` when given, and always against the model's shapes)
        and keep an adapter (replacing one of the same name). Not activated."""
        heads = (self.model.args.num_attention_heads, self.model.args.num_key_value_heads)
        layers, dtype = len(self.model.layers), self._dtype()
        source = resolve_source(folder)
        if sha256:
            verify_sha256(source, sha256)
        adapter = read_adapter(name, source, self.dims(), layers, dtype, heads)
        mx.eval([(p.lora_A, p.lora_B) for p in adapter.pairs.values()])
        return self.add(adapter)

    def add(self, adapter: Adapter) -> Adapter:
        self._wrap()
        self._serial += 1
        adapter.serial = self._serial
        was_active = self.active == adapter.name
        self.adapters[adapter.name] = adapter
        if was_active:
            self.switch(adapter.name)
        return adapter

    def new(
        self,
        name: str,
        rank: int = 8,
        alpha: float = 16.0,
        targets: list[str] | None = None,
        seed: int | None = None,
    ) -> Adapter:
        """A fresh trainable adapter as PEFT initializes one: A uniform(+-1/sqrt(in)), B zero,
        so it starts as the base exactly."""
        if seed is not None:
            mx.random.seed(seed)
        targets = targets or list(PROJECTIONS)
        dims = self.dims()
        pairs = {}
        for i in range(len(self.model.layers)):
            for proj in targets:
                d_in, d_out = dims[proj]
                bound = 1 / math.sqrt(d_in)
                a = mx.random.uniform(-bound, bound, (rank, d_in), dtype=mx.float32)
                pairs[f"model.layers.{i}.{PROJECTIONS[proj]}.{proj}"] = LoRAPair(
                    a, mx.zeros((d_out, rank), mx.float32), alpha / rank
                )
        adapter = Adapter(name, "", rank, alpha, alpha / rank, targets, pairs)
        return self.add(adapter)

    def remove(self, name: str) -> None:
        if self.active == name:
            self.switch(None)
        self.adapters.pop(name, None)

    def switch(self, name: str | None) -> float:
        """Make `name` (or no adapter) active. Returns the milliseconds it took."""
        started = time.perf_counter()
        if name is not None and name not in self.adapters:
            raise AdapterError(f"adapter {name!r} is not loaded")
        pairs = self.adapters[name].pairs if name is not None else {}
        for path, wrapper in self._wrappers.items():
            wrapper.lora = pairs.get(path)
        self.active = name
        return (time.perf_counter() - started) * 1000

    def memory(self) -> dict[str, int]:
        """Bytes held by each resident adapter."""
        return {name: a.nbytes for name, a in self.adapters.items()}


def save_peft(
    adapter: Adapter,
    folder: str | Path,
    base_model: str | None = None,
    dtype: mx.Dtype = mx.float32,
) -> Path:
    """Write an adapter as PEFT does: adapter_config.json + adapter_model.safetensors
    (A and B in `dtype`: float16 halves the file of a shipped adapter)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = {}
    for path, pair in adapter.pairs.items():
        weights[f"base_model.model.{path}.lora_A.weight"] = pair.lora_A.astype(dtype)
        weights[f"base_model.model.{path}.lora_B.weight"] = pair.lora_B.astype(dtype)
    config = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": base_model or adapter.base_model,
        "r": adapter.rank,
        "lora_alpha": adapter.alpha,
        "lora_dropout": 0.0,
        "target_modules": list(adapter.target_modules),
        "bias": "none",
        "use_rslora": False,
        "use_dora": False,
        "fan_in_fan_out": False,
        "inference_mode": True,
        "modules_to_save": None,
    }
    tmp = folder / ".adapter_model.partial.safetensors"
    mx.save_safetensors(str(tmp), weights, metadata={"format": "pt"})
    tmp.replace(folder / PEFT_WEIGHTS)
    atomic_write_text(folder / PEFT_CONFIG, json.dumps(config, indent=2) + "\n")
    return folder
