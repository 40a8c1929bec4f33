"""Other apps' model stores, written in their real layouts under a temporary HOME: the Hugging
Face cache (blobs, refs, snapshot links), LM Studio's publisher/repo/file.gguf folders and
Ollama's manifests and sha256 blobs. GGUF files are real ones, written with the gguf package."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import gguf
import numpy as np


def write_gguf(
    path: Path,
    arch: str = "llama",
    tensor_type: gguf.GGMLQuantizationType = gguf.GGMLQuantizationType.Q8_0,
    file_type: int | None = 7,
) -> Path:
    """A small real GGUF: header, one tensor of `tensor_type`, `general.file_type`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_block_count(1)
    if file_type is not None:
        writer.add_file_type(file_type)
    block_values, block_bytes = gguf.GGML_QUANT_SIZES[tensor_type]
    width = max(256, block_values)
    raw = np.zeros((4, width // block_values * block_bytes), dtype=np.uint8)
    writer.add_tensor("blk.0.attn_q.weight", raw, raw_dtype=tensor_type)
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def put_in_hf_cache(cache: Path, repo: str, files: dict[str, bytes], sha: str) -> Path:
    """Write `files` as huggingface-hub does: content in blobs/, relative links in
    snapshots/<sha>/, refs/main naming the commit. Returns the snapshot folder."""
    root = cache / f"models--{repo.replace('/', '--')}"
    snapshot = root / "snapshots" / sha
    (root / "blobs").mkdir(parents=True, exist_ok=True)
    (root / "refs").mkdir(exist_ok=True)
    snapshot.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        blob = root / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (snapshot / name).symlink_to(Path("..", "..", "blobs", blob.name))
    (root / "refs" / "main").write_text(sha)
    return snapshot


def put_in_ollama(
    store: Path, name: str, tag: str, gguf_bytes: bytes | None, namespace: str = "library"
) -> Path:
    """An Ollama model: its blob under blobs/sha256-<hex> (left out when `gguf_bytes` is
    None) and the manifest naming it. Returns the blob's path."""
    digest = hashlib.sha256(gguf_bytes or name.encode()).hexdigest()
    blob = store / "blobs" / f"sha256-{digest}"
    blob.parent.mkdir(parents=True, exist_ok=True)
    if gguf_bytes is not None:
        blob.write_bytes(gguf_bytes)
    manifest = store / "manifests" / "registry.ollama.ai" / namespace / name / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    config = hashlib.sha256(b"config").hexdigest()
    manifest.write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "digest": f"sha256:{config}",
                    "size": 485,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.ollama.image.model",
                        "digest": f"sha256:{digest}",
                        "size": len(gguf_bytes or b""),
                    },
                    {
                        "mediaType": "application/vnd.ollama.image.template",
                        "digest": f"sha256:{config}",
                        "size": 10,
                    },
                ],
            }
        )
    )
    return blob
