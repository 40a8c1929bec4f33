"""Models other apps already downloaded into the shared Hugging Face cache (mlx-lm, the Hugging
Face CLI, another app): found through huggingface-hub's own cache scan and used where they lie,
never fetched a second time. A snapshot counts only when it holds every file the loader needs.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from .download import DEFAULT_REPOS

log = logging.getLogger(__name__)


def shared_cache_dir() -> Path:
    """The Hugging Face hub cache other apps write to, read from the environment at call time
    (HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME or ~/.cache, then huggingface/hub)."""
    if hub := os.environ.get("HF_HUB_CACHE"):
        return Path(hub).expanduser()
    if home := os.environ.get("HF_HOME"):
        return Path(home).expanduser() / "hub"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "huggingface" / "hub"


def shared_cache_copy(
    repos: str | Iterable[str] = DEFAULT_REPOS,
    revision: str | None = None,
    cache_dir: Path | None = None,
) -> Path | None:
    """The snapshot folder of the first of `repos` found complete in the shared Hugging Face
    cache (at `revision` when pinned: a commit sha or prefix, a branch or a tag; else the one
    `main` points at, else the newest), or None. Never asks the hub."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    folder = cache_dir or shared_cache_dir()
    try:
        cache = scan_cache_dir(folder)
    except CacheNotFound:
        return None
    except Exception as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        log.warning("cannot read the Hugging Face cache at %s (%s)", folder, reason)
        return None
    by_id = {r.repo_id: r for r in cache.repos if r.repo_type == "model"}
    for repo in [repos] if isinstance(repos, str) else list(repos):
        info = by_id.get(repo)
        if info is None:
            continue
        revisions = sorted(info.revisions, key=lambda r: r.last_modified, reverse=True)
        if revision:
            revisions = [
                r for r in revisions if r.commit_hash.startswith(revision) or revision in r.refs
            ]
        else:
            revisions.sort(key=lambda r: "main" not in r.refs)  # stable: newest first otherwise
        for rev in revisions:
            snapshot = Path(rev.snapshot_path)
            missing = _missing_for_loading(snapshot)
            if missing:
                log.info(
                    "%s@%s in the Hugging Face cache lacks %s; not using it",
                    repo,
                    rev.commit_hash[:8],
                    missing,
                )
                continue
            log.info("%s@%s found in the shared Hugging Face cache", repo, rev.commit_hash[:8])
            return snapshot
    return None


def _missing_for_loading(snapshot: Path) -> str:
    """What a cached snapshot lacks for the loader ("" when complete). Cache files are links
    into blobs/: a link whose blob is gone counts as missing."""
    if not (snapshot / "config.json").is_file():
        return "config.json"
    index = snapshot / "model.safetensors.index.json"
    if index.is_file():
        try:
            shards = set(json.loads(index.read_text())["weight_map"].values())
        except (ValueError, KeyError, TypeError, AttributeError):
            return "a readable weight index"
        gone = sorted(s for s in shards if not (snapshot / s).is_file())
        if gone:
            return gone[0]
    elif not any(p.is_file() for p in snapshot.glob("*.safetensors")):
        return "weights (*.safetensors)"
    tokenizers = ("tokenizer.json", "tokenizer.model")
    if not any((snapshot / t).is_file() for t in tokenizers) and not (
        (snapshot / "vocab.json").is_file() and (snapshot / "merges.txt").is_file()
    ):
        return "a tokenizer"
    return ""
