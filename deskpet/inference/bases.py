"""The base models deskpet knows by name, and which one a loaded model is.

A persona's adapter is made for one base model. Which base is loaded is read from the model
itself, never from a persona's word: its shapes (architecture and every size an adapter
depends on) must equal a known base's, AND the name it came by (the repo id or the file or
folder name) must be one that base is known by. A fine-tune with the same shapes but another
name, or a renamed file of another shape, is no known base: personas speak with their prompt.

No MLX here (ModelArgs is only read), so menus and `deskpet persona list` may ask too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The sizes an adapter depends on, as ModelArgs and HF config.json name them.
SHAPE_KEYS = (
    "model_type",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "vocab_size",
    "intermediate_size",
)


@dataclass(frozen=True)
class Base:
    """One known base model: its id (as persona.yaml writes it), its shapes, and the names
    (lower case) of the repos and files it is published as. A source name matches a known
    name when it is that name or starts with it followed by '-', '.', '_' or '@'
    ("minicpm5-1b" covers MiniCPM5-1B-MLX@0123abcd and MiniCPM5-1B-Q8_0.gguf)."""

    id: str
    shape: dict[str, Any]
    names: tuple[str, ...]


BASES: dict[str, Base] = {
    base.id: base
    for base in (
        # /work/shared/reference/minicpm5-1b.md (config.json of openbmb/MiniCPM5-1B).
        Base(
            "minicpm5-1b",
            {
                "model_type": "llama",
                "hidden_size": 1536,
                "num_hidden_layers": 24,
                "num_attention_heads": 16,
                "num_key_value_heads": 2,
                "head_dim": 128,
                "vocab_size": 130560,
                "intermediate_size": 4608,
            },
            ("minicpm5-1b",),
        ),
        # The demo model (HuggingFaceTB/SmolLM2-135M-Instruct; its GGUF's own config).
        Base(
            "smollm2-135m-instruct",
            {
                "model_type": "llama",
                "hidden_size": 576,
                "num_hidden_layers": 30,
                "num_attention_heads": 9,
                "num_key_value_heads": 3,
                "head_dim": 64,
                "vocab_size": 49152,
                "intermediate_size": 1536,
            },
            ("smollm2-135m-instruct",),
        ),
    )
}

_SHA_TAIL = re.compile(r"@[0-9a-f]{6,40}$")
_HF_CACHE = re.compile(r"^models--([^/]+)--([^/]+)$")


def shape_of(args) -> dict[str, Any]:
    """The identity-bearing sizes of a loaded model's ModelArgs."""
    return {key: getattr(args, key) for key in SHAPE_KEYS}


def source_names(source: str | Path) -> list[str]:
    """The names a model's source goes by, lower case: a .gguf's file name without the
    extension, a folder's name without deskpet's `@<sha>` tail, and the repo name of a
    Hugging Face cache snapshot (models--owner--name/snapshots/<sha>)."""
    path = Path(source)
    names = []
    if path.suffix.lower() == ".gguf":
        names.append(path.stem)
    else:
        names.append(_SHA_TAIL.sub("", path.name))
    for parent in path.parents:
        if m := _HF_CACHE.match(parent.name):
            names.append(m[2])
            break
    return [n.lower() for n in names if n]


def _named(names: list[str], known: tuple[str, ...]) -> bool:
    for name in names:
        for k in known:
            if name == k or (name.startswith(k) and name[len(k)] in "-._@"):
                return True
    return False


def identify(args, source: str | Path) -> str | None:
    """The id of the known base a loaded model is, or None: shapes equal and name agreeing."""
    shape = shape_of(args)
    names = source_names(source)
    for base in BASES.values():
        if base.shape == shape and _named(names, base.names):
            return base.id
    return None


def describe(base_id: str | None) -> str:
    return base_id if base_id else "a model no persona adapter is made for"
