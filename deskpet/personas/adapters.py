"""A persona's adapters, one per base model, and which one speaks with the loaded model.

```yaml
adapters:
  - base: smollm2-135m-instruct          # a known base id (deskpet/inference/bases.py)
    path: adapters/smollm2-135m-instruct # a PEFT / mlx-lm folder or a .gguf, relative here
    sha256: <optional: of the file, or of the weights file in a folder>
  - base: minicpm5-1b
    hub: {repo: owner/name, file: name.gguf, revision: <optional pinned commit>}
```
A hub entry without `file` takes the repo's only .gguf (or, in a PEFT repo, its
adapter_config.json and weights). The entry for the loaded base is used; the base is read from
the model itself (inference/bases.py), so an entry's `base` only says which model it is for.
The older single `adapter:` (any base, checked by shapes when it loads) still works and is used
when no entry names the loaded base. No Qt and no MLX here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from deskpet.i18n import tr

_BASE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_HUB_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_REVISION = re.compile(r"^[0-9a-f]{7,40}$")
_FILE = re.compile(r"^[\w.-]+(/[\w.-]+)*$")
MAX_ENTRIES = 16


@dataclass(frozen=True)
class HubSource:
    """An adapter on a Hugging Face-compatible hub: the repo, the file (None: the repo's
    only .gguf, or its PEFT files), and a revision the persona pins (None: the one that
    resolves at the first download, which deskpet then keeps)."""

    repo: str
    file: str | None = None
    revision: str | None = None

    @property
    def key(self) -> str:
        return f"{self.repo}:{self.file or '*'}"


@dataclass(frozen=True)
class AdapterEntry:
    """One adapter of a persona: for `base`, a local path (absolute) or a hub source."""

    base: str
    path: str | None = None
    hub: HubSource | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Voice:
    """How a persona speaks with one base model: `entry` is None for prompt only."""

    entry: AdapterEntry | None

    @property
    def prompt_only(self) -> bool:
        return self.entry is None

    def describe(self) -> str:
        if self.entry is None:
            return tr("voice: prompt only with this model")
        if self.entry.hub is not None:
            return tr("voice: adapter from {repo}", repo=self.entry.hub.repo)
        return tr("voice: adapter {name}", name=Path(self.entry.path).name)


def parse(file: Path, folder: Path, value, error) -> tuple[AdapterEntry, ...]:
    """The `adapters:` list of `file`; `error(field, problem)` builds the exception to raise."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise error("adapters", "must be a list of {base, path | hub, sha256}")
    if len(value) > MAX_ENTRIES:
        raise error("adapters", f"has {len(value)} entries; at most {MAX_ENTRIES}")
    return tuple(_entry(folder, i, item, error) for i, item in enumerate(value))


def _entry(folder: Path, i: int, item, error) -> AdapterEntry:
    where = f"adapters[{i}]"
    if not isinstance(item, dict):
        raise error(where, "must be a mapping with base and path or hub")
    unknown = sorted(set(map(str, item)) - {"base", "path", "hub", "sha256"})
    if unknown:
        raise error(f"{where}.{unknown[0]}", "unknown (use base, path, hub, sha256)")
    base = item.get("base")
    if not isinstance(base, str) or not _BASE_ID.match(base):
        raise error(f"{where}.base", f"must be a base model id like minicpm5-1b (got {base!r})")
    sha = item.get("sha256")
    if sha is not None and (not isinstance(sha, str) or not _SHA256.match(sha)):
        raise error(f"{where}.sha256", "must be 64 hex digits")
    path, hub = item.get("path"), item.get("hub")
    if (path is None) == (hub is None):
        raise error(where, "needs exactly one of path and hub")
    if hub is not None:
        if sha is not None:
            raise error(
                f"{where}.sha256", "is for local files (a hub file is checked by the hub's)"
            )
        return AdapterEntry(base, hub=_hub(f"{where}.hub", hub, error))
    if not isinstance(path, str) or not path.strip():
        raise error(f"{where}.path", f"must be a folder or file name (got {path!r})")
    local = (folder / path).resolve()
    if not local.exists():
        raise error(f"{where}.path", f"{local} does not exist")
    return AdapterEntry(base, path=str(local), sha256=sha.lower() if sha else None)


def _hub(where: str, hub, error) -> HubSource:
    if not isinstance(hub, dict):
        raise error(where, "must be a mapping {repo, file, revision}")
    unknown = sorted(set(map(str, hub)) - {"repo", "file", "revision"})
    if unknown:
        raise error(f"{where}.{unknown[0]}", "unknown (use repo, file, revision)")
    repo, name, revision = hub.get("repo"), hub.get("file"), hub.get("revision")
    if not isinstance(repo, str) or not _HUB_REPO.match(repo) or ".." in repo:
        raise error(f"{where}.repo", f"must be a repo id like owner/name (got {repo!r})")
    if name is not None and (
        not isinstance(name, str) or not _FILE.match(name) or ".." in name.split("/")
    ):
        raise error(f"{where}.file", f"must be a file name in the repo (got {name!r})")
    if revision is not None and (not isinstance(revision, str) or not _REVISION.match(revision)):
        raise error(f"{where}.revision", "must be a commit id (7 to 40 lower-case hex digits)")
    return HubSource(repo, name, revision)


def legacy_entry(adapter: str | None) -> AdapterEntry | None:
    """The older `adapter:` as an entry for any base: a local path, or a hub repo id."""
    if adapter is None:
        return None
    if Path(adapter).is_absolute():
        return AdapterEntry("*", path=adapter)
    return AdapterEntry("*", hub=HubSource(adapter))


def voice(entries: tuple[AdapterEntry, ...], legacy: str | None, base: str | None) -> Voice:
    """The entry for the loaded base (`base` from inference.bases.identify), else the older
    `adapter:`, else prompt only."""
    if base is not None:
        for entry in entries:
            if entry.base == base:
                return Voice(entry)
    return Voice(legacy_entry(legacy))
