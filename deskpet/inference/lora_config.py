"""What an adapter folder says about itself: its config read and checked before any tensor.

- PEFT: adapter_config.json (peft_type LORA, r, lora_alpha, target_modules, use_rslora) beside
  adapter_model.safetensors;
- mlx-lm: adapter_config.json with lora_parameters (rank, scale) beside adapters.safetensors.
Which projections a config targets is read by lora_targets (its regexes run in bounded work).
Every refusal is an AdapterError of one line naming the file and the setting.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from deskpet.i18n import Said

from . import lora_targets
from .lora_targets import TargetError

PEFT_CONFIG = "adapter_config.json"
PEFT_WEIGHTS = "adapter_model.safetensors"
MLX_WEIGHTS = "adapters.safetensors"


class AdapterError(ValueError):
    """An adapter cannot be used with this model; the message is one line for the owner."""


@dataclass
class AdapterSpec:
    """What an adapter folder holds, read and validated before any tensor meets the model."""

    folder: Path
    format: str  # "peft" or "mlx"
    rank: int
    alpha: float
    scale: float
    target_modules: list[str]
    layers: list[int] | None  # None: every layer
    base_model: str | None
    weights_file: Path


def read_spec(folder: str | Path) -> AdapterSpec:
    folder = Path(folder)
    config_file = folder / PEFT_CONFIG
    if not folder.is_dir():
        raise AdapterError(Said("adapter folder {path} does not exist", path=folder))
    if not config_file.exists():
        raise AdapterError(
            Said(
                "{folder} has no {config}: not a PEFT or mlx-lm adapter folder",
                folder=folder,
                config=PEFT_CONFIG,
            )
        )
    try:
        config = json.loads(config_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AdapterError(f"{config_file} is not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise AdapterError(f"{config_file} must hold a JSON object")
    if "lora_parameters" in config:
        return _mlx_spec(folder, config_file, config)
    return _peft_spec(folder, config_file, config)


def _peft_spec(folder: Path, config_file: Path, config: dict) -> AdapterSpec:
    where = config_file
    peft_type = str(config.get("peft_type", "LORA")).upper()
    if peft_type != "LORA":
        raise AdapterError(
            f"{where}: peft_type {peft_type} is not supported (deskpet runs LORA adapters)"
        )
    if config.get("use_dora"):
        raise AdapterError(
            f"{where}: use_dora true (DoRA) is not supported; train a plain LoRA adapter"
        )
    for key, problem in (
        ("rank_pattern", "per-module ranks"),
        ("alpha_pattern", "per-module alphas"),
        ("modules_to_save", "fully trained extra modules"),
        ("layer_replication", "layer replication"),
    ):
        if config.get(key):
            raise AdapterError(f"{where}: {key} ({problem}) is not supported")
    if config.get("bias", "none") != "none" or config.get("lora_bias"):
        raise AdapterError(f"{where}: bias {config.get('bias')!r} is not supported (only 'none')")
    if config.get("fan_in_fan_out"):
        raise AdapterError(f"{where}: fan_in_fan_out true is not supported (Llama has no Conv1D)")
    rank = config.get("r")
    alpha = config.get("lora_alpha", rank)
    if not isinstance(rank, int) or rank <= 0:
        raise AdapterError(f"{where}: r must be a positive integer (got {rank!r})")
    if not isinstance(alpha, int | float) or isinstance(alpha, bool):
        raise AdapterError(f"{where}: lora_alpha must be a number (got {alpha!r})")
    scale = alpha / math.sqrt(rank) if config.get("use_rslora") else alpha / rank
    try:
        targets = lora_targets.peft_targets(config.get("target_modules"))
        layers = lora_targets.check_layers(config.get("layers_to_transform"))
    except TargetError as e:
        raise AdapterError(f"{where}: {e}") from None
    weights = folder / PEFT_WEIGHTS
    if not weights.exists():
        if (folder / "adapter_model.bin").exists():
            raise AdapterError(
                f"{folder} holds adapter_model.bin (pickle); deskpet reads only {PEFT_WEIGHTS} "
                "(re-save it with safe_serialization=True)"
            )
        raise AdapterError(f"{folder} has no {PEFT_WEIGHTS}")
    base = config.get("base_model_name_or_path")
    return AdapterSpec(
        folder, "peft", rank, float(alpha), float(scale), targets, layers, base, weights
    )


def _mlx_spec(folder: Path, config_file: Path, config: dict) -> AdapterSpec:
    where = config_file
    kind = config.get("fine_tune_type", "lora")
    if kind == "dora" or config.get("use_dora"):
        raise AdapterError(
            f"{where}: fine_tune_type dora (DoRA) is not supported; train a plain LoRA adapter"
        )
    if kind != "lora":
        raise AdapterError(f"{where}: fine_tune_type {kind} is not supported (only lora)")
    params = config.get("lora_parameters") or {}
    if not isinstance(params, dict):
        raise AdapterError(f"{where}: lora_parameters must be a JSON object")
    rank, scale = params.get("rank"), params.get("scale")
    if not isinstance(rank, int) or rank <= 0:
        raise AdapterError(
            f"{where}: lora_parameters.rank must be a positive integer (got {rank!r})"
        )
    if not isinstance(scale, int | float) or isinstance(scale, bool):
        raise AdapterError(f"{where}: lora_parameters.scale must be a number (got {scale!r})")
    try:
        targets = lora_targets.mlx_targets(params.get("keys"))
    except TargetError as e:
        raise AdapterError(f"{where}: {e}") from None
    weights = folder / MLX_WEIGHTS
    if not weights.exists():
        raise AdapterError(f"{folder} has no {MLX_WEIGHTS}")
    return AdapterSpec(
        folder,
        "mlx",
        rank,
        float(scale * rank),
        float(scale),
        targets,
        None,
        config.get("model"),
        weights,
    )
