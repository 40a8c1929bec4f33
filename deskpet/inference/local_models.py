"""Models already on this computer: the shared Hugging Face cache, LM Studio's models folder
and Ollama's store, listed with name, size, format and whether deskpet can run them (and why
not).

Bounded on purpose, since these folders are the owner's and may be huge or odd: only stats,
config.json files and GGUF headers are read (the header walk is gguf_header.py's bounds-checked
cursor), folders are read to a fixed depth and breadth, symlinked folders are not followed,
and the list stops at MAX_MODELS. Anything unreadable becomes a row saying so, never an
exception. No Qt: the UI runs `find_local_models` off its thread.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from ..i18n import Said
from . import gguf as gguf_file
from . import gguf_header as header_walk
from .hf_cache import _missing_for_loading, shared_cache_dir
from .load import MAX_CONFIG_BYTES
from .model import ModelArgs, UnsupportedModelError

log = logging.getLogger(__name__)

MAX_MODELS = 200  # rows in one list
MAX_FOLDER_ENTRIES = 2000  # entries read from any one folder
MAX_MANIFEST_BYTES = 1 << 20  # an Ollama manifest is a few hundred bytes

HUGGING_FACE, LM_STUDIO, OLLAMA = "Hugging Face", "LM Studio", "Ollama"
_OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
_DIGEST = re.compile(r"sha256[:-]([0-9a-f]{64})")
_OLLAMA_HOST = "registry.ollama.ai"
_COMMIT = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class LocalModel:
    """One model found on this computer.

    Attributes:
        name: what the owner knows it as ("HuggingFaceTB/SmolLM2-135M-Instruct", "llama3.2:1b").
        where: HUGGING_FACE, LM_STUDIO or OLLAMA.
        path: what deskpet loads: a model folder, a .gguf file or an Ollama blob.
        size: bytes on disk (0 when unknown).
        format: "MLX folder", "safetensors folder", "GGUF Q4_K_M", or "?" when unreadable.
        problem: "" when deskpet can run it, else why not (one line).
    """

    name: str
    where: str
    path: Path
    size: int
    format: str
    problem: str = ""

    @property
    def runnable(self) -> bool:
        return not self.problem


def lm_studio_dirs(home: Path | None = None) -> list[Path]:
    home = home or Path.home()
    return [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]


def ollama_dir(home: Path | None = None) -> Path:
    if found := os.environ.get("OLLAMA_MODELS"):
        return Path(found).expanduser()
    return (home or Path.home()) / ".ollama" / "models"


def find_local_models(home: Path | None = None, limit: int = MAX_MODELS) -> list[LocalModel]:
    """Every model found in the three places, at most `limit`, runnable ones first."""
    sources = [_hugging_face(shared_cache_dir())]
    sources += [_lm_studio(root) for root in lm_studio_dirs(home)]
    sources.append(_ollama(ollama_dir(home)))
    found: list[LocalModel] = []
    for source in sources:
        found += islice(source, limit - len(found))
    return sorted(found, key=lambda m: (not m.runnable, m.where, m.name.lower()))


# --- the three places ----------------------------------------------------------------------


def _hugging_face(hub: Path) -> Iterator[LocalModel]:
    for repo in _folders(hub):
        if not repo.name.startswith("models--"):
            continue
        name = repo.name[len("models--") :].replace("--", "/")
        snapshot = _snapshot(repo)
        if snapshot is None:
            continue
        yield from _model_folder(name, HUGGING_FACE, snapshot)


def _lm_studio(root: Path) -> Iterator[LocalModel]:
    # publisher/repo/file.gguf, or publisher/repo/ holding an MLX folder.
    for publisher in _folders(root):
        for repo in _folders(publisher):
            yield from _model_folder(f"{publisher.name}/{repo.name}", LM_STUDIO, repo)


def _ollama(root: Path) -> Iterator[LocalModel]:
    # manifests/<host>/<namespace>/<name>/<tag>: a JSON manifest naming the GGUF blob.
    for host in _folders(root / "manifests"):
        for namespace in _folders(host):
            for model in _folders(namespace):
                for tag in _files(model):
                    name = f"{model.name}:{tag.name}"
                    if namespace.name != "library":
                        name = f"{namespace.name}/{name}"
                    if host.name != _OLLAMA_HOST:
                        name = f"{host.name}/{name}"
                    yield _ollama_model(name, tag, root / "blobs")


def _ollama_model(name: str, manifest: Path, blobs: Path) -> LocalModel:
    try:
        if manifest.stat().st_size > MAX_MANIFEST_BYTES:
            raise ValueError("the manifest is too large")
        layers = json.loads(manifest.read_bytes()).get("layers") or []
        digests = [
            layer.get("digest", "")
            for layer in layers
            if isinstance(layer, dict) and layer.get("mediaType") == _OLLAMA_MODEL_LAYER
        ]
        match = _DIGEST.fullmatch(str(digests[0])) if digests else None
        if match is None:
            raise ValueError("the manifest names no model file")
    except (OSError, ValueError, AttributeError) as e:
        return _unreadable(name, OLLAMA, manifest, e)
    return _gguf(name, OLLAMA, blobs / f"sha256-{match.group(1)}")


# --- one model -----------------------------------------------------------------------------


def _model_folder(name: str, where: str, folder: Path) -> Iterator[LocalModel]:
    """The folder as one model when it holds a config.json, else each .gguf in it."""
    if (folder / "config.json").is_file():
        yield _folder_model(name, where, folder)
        return
    for file in _files(folder):
        if file.suffix.lower() == ".gguf":
            yield _gguf(f"{name}/{file.name}", where, file)


def _folder_model(name: str, where: str, folder: Path) -> LocalModel:
    try:
        config_file = folder / "config.json"
        if config_file.stat().st_size > MAX_CONFIG_BYTES:
            raise ValueError("its config.json is too large")
        config = json.loads(config_file.read_bytes())
        if not isinstance(config, dict):
            raise ValueError("its config.json is not a JSON object")
        size = sum(_size(f) for f in _files(folder))
    except (OSError, ValueError) as e:
        return _unreadable(name, where, folder, e)
    kind = Said("MLX folder") if "quantization" in config else Said("safetensors folder")
    problem = ""
    try:
        ModelArgs.from_dict(config)
    except UnsupportedModelError as e:
        problem = str(e)
    except Exception as e:  # a config from outside: any oddity is a refusal, in one line
        problem = Said("its config cannot be read ({why})", why=type(e).__name__)
    if not problem and (missing := _missing_for_loading(folder)):
        problem = Said("incomplete: it lacks {files}", files=missing)
    return LocalModel(name, where, folder, size, kind, problem)


def _gguf(name: str, where: str, path: Path) -> LocalModel:
    try:
        arch, label, types = gguf_header(path)
        size = path.stat().st_size
    except (OSError, ValueError) as e:
        return _unreadable(name, where, path, e)
    problem = ""
    if arch != "llama":
        problem = Said(
            "a {arch} model; deskpet runs Llama-architecture models", arch=arch or "unnamed"
        )
    elif bad := sorted(t for t in types if not gguf_file.can_run_type(t)):
        problem = Said("holds {types} tensors, which deskpet cannot run", types=", ".join(bad))
    return LocalModel(name, where, path, size, f"GGUF {label}", problem)


def gguf_header(path: Path) -> tuple[str, str, set[str]]:
    """(architecture, weight type label, tensor type names) from a GGUF file's header only.
    ValueError (or OSError) when the header is not well formed or the file is cut short."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, LlamaFileType

    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        h = header_walk._Cursor(data)
        if bytes(data[:4]) != header_walk.GGUF_MAGIC:
            raise ValueError("it does not start with GGUF")
        h.pos = 4
        if h.take("I") not in (2, 3):
            raise ValueError("its GGUF version is not supported")
        n_tensors = h.count(header_walk.MAX_GGUF_TENSORS, "tensor", 8 + 4 + 8 + 4 + 8)
        n_keys = h.count(header_walk.MAX_GGUF_KEYS, "metadata", 8 + 4)
        meta = {"general.architecture": "", "general.file_type": None, "general.alignment": 32}
        for _ in range(n_keys):
            key = _string(h)
            kind = h.take("I")
            if key in meta and kind == header_walk._STRING:
                meta[key] = _string(h)[:40]
            elif key in meta and kind in header_walk._SCALAR:
                meta[key] = h.take(header_walk._SCALAR[kind])
            else:
                h.skip_value(kind)
        types: Counter[str] = Counter()
        end = 0  # where the last tensor's data ends, past the header
        for _ in range(n_tensors):
            h.skip_string()
            dims = h.take("I")
            if not 0 < dims <= header_walk.MAX_GGUF_DIMS:
                raise ValueError(f"a tensor has {dims} dimensions")
            elements = 1
            for _ in range(dims):
                elements *= h.take("Q")
            code, offset = h.take("I"), h.take("Q")
            try:
                kind = GGMLQuantizationType(code)
            except ValueError:
                types[f"type {code}"] += 1
                continue
            types[kind.name] += 1
            values, size = GGML_QUANT_SIZES.get(kind, (1, 0))
            end = max(end, offset + elements // values * size)
        align = meta["general.alignment"]
        align = align if isinstance(align, int) and 0 < align <= 1 << 16 else 32
        if -(-h.pos // align) * align + end > len(data):
            raise ValueError("the file is cut short")
    try:
        label = LlamaFileType(meta["general.file_type"]).name
        label = label.removeprefix("MOSTLY_").removeprefix("ALL_")
    except ValueError:
        label = types.most_common(1)[0][0] if types else "?"
    return str(meta["general.architecture"]), label, set(types)


def _string(h) -> str:
    length = h.count(len(h.data), "string length")
    text = bytes(h.data[h.pos : h.pos + length]).decode("utf-8", "replace")
    h.pos += length
    return text


def _unreadable(name: str, where: str, path: Path, error: Exception) -> LocalModel:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if isinstance(error, OSError):
        reason = error.strerror or type(error).__name__
    log.info("%s model %s cannot be read: %s", where, name, reason)
    return LocalModel(name, where, path, 0, "?", Said("cannot read it ({why})", why=reason[:120]))


# --- bounded folder reading ----------------------------------------------------------------


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return sorted(islice(it, MAX_FOLDER_ENTRIES), key=lambda e: e.name)
    except FileNotFoundError:
        return []  # the app is not installed: nothing there
    except OSError as e:
        log.info("cannot read the folder %s (%s)", folder, e.strerror or type(e).__name__)
        return []


def _folders(folder: Path) -> Iterator[Path]:
    # A symlinked folder could lead anywhere (or in a circle): not followed.
    for entry in _entries(folder):
        try:
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                yield Path(entry.path)
        except OSError:
            continue


def _files(folder: Path) -> Iterator[Path]:
    # Files may be links (the Hugging Face cache links snapshots to blobs): those are followed.
    for entry in _entries(folder):
        try:
            if entry.is_file() and not entry.name.startswith("."):
                yield Path(entry.path)
        except OSError:
            continue


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _snapshot(repo: Path) -> Path | None:
    """The snapshot `refs/main` names, else the newest one."""
    try:
        sha = (repo / "refs" / "main").read_text(errors="replace").strip()[:64]
        if _COMMIT.fullmatch(sha) and (repo / "snapshots" / sha).is_dir():
            return repo / "snapshots" / sha
    except OSError:
        pass
    snapshots = list(_folders(repo / "snapshots"))
    return max(snapshots, key=_mtime) if snapshots else None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def human_size(n: int) -> str:
    if n <= 0:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"
