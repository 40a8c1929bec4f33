"""Download a model from a Hugging Face-compatible hub: size first, then bytes with progress,
resume, checksums and cancel.

huggingface-hub answers the questions (which repo resolves, at which commit, which files, their
sizes and checksums, the file URLs, the mirror endpoint, offline mode); the bytes are streamed
here through huggingface-hub's own HTTP session. `hf_hub_download` resumes too, but it can be
neither cancelled between chunks nor asked for aggregated progress, and it writes into the HF
cache, which would hold a second copy of 600 MB. Streaming ourselves gives all three, and the
resolve URL still redirects Xet-stored files to a plain HTTPS range-capable CDN.

On disk: `<models_dir>/<repo name>@<short sha>.partial/` while downloading (each file as
`<name>.incomplete` until its checksum matches), renamed to `<repo name>@<short sha>` once every
file is verified and the folder loads as a model. A quit or a lost connection keeps the
`.incomplete` bytes: the next run continues with an HTTP Range request.

A model another app already put in the shared Hugging Face cache is used where it lies
(hf_cache.py). The owner's hub token (HF_TOKEN or a Hugging Face CLI login) goes on every request
as a Bearer header.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..i18n import Said

log = logging.getLogger(__name__)

# The official 4-bit MLX build of MiniCPM5-1B; OpenBMB spells it both ways: the first that
# resolves wins.
DEFAULT_REPOS = ("openbmb/MiniCPM5-1B-MLX", "openbmb/MiniCPM5-1B-MLX-4bit")

# What load.read_checkpoint needs from an MLX / HF folder; README, images, .gguf etc. stay out.
NEEDED_FILES = (
    "config.json",
    "*.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "merges.txt",
    "chat_template.jinja",
    "chat_template.json",
    "generation_config.json",
)

CHUNK_SIZE = 1 << 20
READ_TIMEOUT = 30.0  # seconds a stalled connection may stay silent before a retry
PARTIAL_SUFFIX = ".partial"
INCOMPLETE_SUFFIX = ".incomplete"
Progress = Callable[[int, int], None]  # (done_bytes, total_bytes), total fixed for a download
Pick = Callable[[str, list[str]], list[str]]  # (repo, its file names) -> the names to fetch


# DownloadError.kind: what the owner can do next. The terminal (download_cli.for_terminal) and
# the onboarding window (ui/first_run.for_window) each word that their own way.
RESUME = "resume"  # the bytes so far are kept: the same download goes on from them
FETCH_ANEW = "fetch_anew"  # a file did not match its checksum and was deleted: download again
DISK_FULL = "disk_full"  # too little free space: free some, then resume
HUB = "hub"  # the hub cannot be reached or will not serve the files: another model may do
CANCELLED = "cancelled"  # stopped on request; the bytes so far are kept
OTHER = "other"


class DownloadError(Exception):
    """A download failed. The message is one line meant for the owner and says what went
    wrong, not what to do next: `kind` says that."""

    def __init__(self, message: str, kind: str = OTHER) -> None:
        super().__init__(message)
        self.kind = kind


class HubUnreachable(DownloadError):
    """No answer from the hub (offline, refused, DNS, timeout)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, HUB)


class DownloadCancelled(DownloadError):
    """The cancel event was set; the bytes so far are kept for the next run."""

    def __init__(self, message: str = Said("download stopped")) -> None:
        super().__init__(message, CANCELLED)


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    sha256: str | None = None  # LFS files: the hub's sha256 of the content
    blob_id: str | None = None  # small files: the git blob sha1

    def verify(self, path: Path) -> None:
        """Raise DownloadError unless the file matches the hub's checksum."""
        if path.stat().st_size != self.size:
            raise DownloadError(
                Said(
                    "{name} is {size} bytes, the hub says {listed}",
                    name=self.name,
                    size=path.stat().st_size,
                    listed=self.size,
                )
            )
        if self.sha256:
            digest, expected = _hash_file(path, hashlib.sha256()), self.sha256
        elif self.blob_id:
            digest, expected = _hash_file(path, _git_blob_hasher(self.size)), self.blob_id
        else:
            raise DownloadError(
                Said("the hub gave no checksum for {name}; not using it", name=self.name)
            )
        if digest != expected.lower():
            raise DownloadError(
                Said(
                    "{name} does not match the hub's checksum (a corrupt download or a bad "
                    "mirror); it was deleted",
                    name=self.name,
                ),
                FETCH_ANEW,
            )


@dataclass(frozen=True)
class DownloadPlan:
    """One repo pinned at one commit, and the files deskpet needs from it."""

    repo: str
    revision: str  # the full commit sha the hub resolved
    files: tuple[RemoteFile, ...]
    endpoint: str | None = None  # None: huggingface-hub's (HF_ENDPOINT or huggingface.co)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def folder_name(self) -> str:
        return f"{self.repo.rsplit('/', 1)[-1]}@{self.revision[:8]}"

    def destination(self, models_dir: Path | None = None) -> Path:
        return (models_dir or paths.models_dir()) / self.folder_name

    def bytes_on_disk(self, models_dir: Path | None = None) -> int:
        """Bytes already fetched into the .partial folder (finished or not)."""
        partial = _partial(self.destination(models_dir))
        done = 0
        for f in self.files:
            for candidate in (partial / f.name, partial / (f.name + INCOMPLETE_SUFFIX)):
                if candidate.exists():
                    done += min(candidate.stat().st_size, f.size)
                    break
        return done


def hub_name(endpoint: str | None) -> str:
    from huggingface_hub import constants

    return (endpoint or constants.ENDPOINT).rstrip("/")


def resolve(
    repos: str | Iterable[str] = DEFAULT_REPOS,
    revision: str | None = None,
    endpoint: str | None = None,
    timeout: float = 15.0,
    pick: Pick | None = None,
) -> DownloadPlan:
    """Ask the hub for the first repo that resolves: its commit sha and needed files with sizes
    and checksums. Raises HubUnreachable or DownloadError (one line each).

    `pick(repo, names)` chooses the files to fetch from the repo's file names (default: what a
    model folder needs, config.json included); persona adapters pick their own."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    candidates = [repos] if isinstance(repos, str) else list(repos)
    api = HfApi(endpoint=endpoint, token=_token() or False)
    missing = []
    for repo in candidates:
        try:
            info = api.model_info(repo, revision=revision, files_metadata=True, timeout=timeout)
        except HfHubHTTPError as e:
            status = e.response.status_code if e.response is not None else None
            if status in (401, 403, 404):
                missing.append(repo)
                continue
            raise DownloadError(
                Said(
                    "the hub at {hub} refused {repo} ({status})",
                    hub=hub_name(endpoint),
                    repo=repo,
                    status=status,
                )
            ) from None
        except Exception as e:
            raise _unreachable(endpoint, e) from None
        if not info.sha:
            raise DownloadError(
                Said(
                    "the hub at {hub} gave no commit for {repo}", hub=hub_name(endpoint), repo=repo
                )
            )
        siblings = list(info.siblings or ())
        wanted = set((pick or model_files)(repo, [s.rfilename for s in siblings]))
        files = tuple(_remote_file(s) for s in siblings if s.rfilename in wanted)
        files = tuple(_fill_missing(f, repo, info.sha, endpoint, timeout) for f in files)
        return DownloadPlan(repo, info.sha, files, endpoint)
    repos, hub = " or ".join(missing), hub_name(endpoint)
    if revision:
        raise DownloadError(
            Said(
                "{repo} at revision {revision} not found on {hub}",
                repo=repos,
                revision=revision,
                hub=hub,
            )
        )
    raise DownloadError(Said("{repo} not found on {hub}", repo=repos, hub=hub))


def model_files(repo: str, names: list[str]) -> list[str]:
    """The files of a model repo that load.read_checkpoint needs (config.json required)."""
    if "config.json" not in names:
        raise DownloadError(
            Said("{repo} has no config.json: not a model deskpet can run", repo=repo)
        )
    return [name for name in names if _needed(name)]


def check_disk_space(plan: DownloadPlan, models_dir: Path | None = None) -> int:
    """The bytes still to fetch; raises DownloadError when the disk cannot hold them."""
    need = plan.total_bytes - plan.bytes_on_disk(models_dir)
    folder = plan.destination(models_dir).parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    if need > free:
        raise DownloadError(
            Said(
                "{repo} needs {need} more but only {free} is free on the disk holding {folder}: "
                "free some space",
                repo=plan.repo,
                need=format_bytes(need),
                free=format_bytes(free),
                folder=folder,
            ),
            DISK_FULL,
        )
    return need


def download(
    plan: DownloadPlan,
    models_dir: Path | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    retries: int = 3,
    validate: bool = True,
) -> Path:
    """Fetch, verify and validate every file of the plan; return the finished folder.

    `progress(done_bytes, total_bytes)` is called from this thread after every chunk (already
    fetched bytes count from the start). A set `cancel` raises DownloadCancelled within one
    chunk. A lost connection is resumed in place up to `retries` times, then DownloadError;
    the bytes stay for the next call either way."""
    final = plan.destination(models_dir)
    if final.exists():
        return final
    partial = _partial(final)
    partial.mkdir(parents=True, exist_ok=True)
    check_disk_space(plan, models_dir)
    total = plan.total_bytes
    done = plan.bytes_on_disk(models_dir)
    report = progress or (lambda _done, _total: None)
    report(done, total)
    for f in plan.files:
        target = partial / f.name
        target.parent.mkdir(parents=True, exist_ok=True)  # a file in a folder of the repo
        if target.exists():
            try:
                f.verify(target)
                continue
            except DownloadError:
                done -= min(target.stat().st_size, f.size)
                target.unlink()
        done = _fetch(plan, f, target, done, total, report, cancel, retries)
    if validate:
        _validate(partial)
    partial.rename(final)
    return final


def local_copies(
    models_dir: Path | None = None, repos: Iterable[str] = DEFAULT_REPOS
) -> tuple[Path | None, Path | None]:
    """(finished, partial): the newest finished download of one of `repos` in the models folder
    and the newest unfinished one, each None when there is none. Lets onboarding use or resume
    a download without asking the hub first."""
    folder = models_dir or paths.models_dir()
    names = tuple(repo.rsplit("/", 1)[-1] + "@" for repo in repos)
    finished, partial = [], []
    if folder.is_dir():
        for entry in folder.iterdir():
            if not entry.is_dir() or not entry.name.startswith(names):
                continue
            if entry.name.endswith(PARTIAL_SUFFIX):
                partial.append(entry)
            elif "@" in entry.name and (entry / "config.json").is_file():
                finished.append(entry)

    def newest(found: list[Path]) -> Path | None:
        return max(found, key=lambda p: p.stat().st_mtime) if found else None

    from .hf_cache import shared_cache_copy

    return newest(finished) or shared_cache_copy(repos), newest(partial)


def partial_bytes(partial: Path) -> int:
    """Bytes already in an unfinished download folder."""
    return sum(f.stat().st_size for f in partial.iterdir() if f.is_file())


def format_bytes(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def hub_endpoint_setting() -> str | None:
    """The owner's `hub_endpoint` setting (a mirror), or None for huggingface-hub's default."""
    from ..settings import Settings, SettingsFileError

    try:
        return Settings().get("hub_endpoint") or None
    except SettingsFileError:
        return None  # an unreadable settings file: the hub default (the loader says why)


# --- internals -----------------------------------------------------------------------------


def _token() -> str | None:
    """The owner's hub token: HF_TOKEN, else the Hugging Face CLI login's. Never logged."""
    from huggingface_hub import get_token

    try:
        return get_token()
    except Exception:  # an unreadable token file: download anonymously
        return None


def _auth_headers() -> dict[str, str]:
    token = _token()
    return {"Authorization": f"Bearer {token}"} if token else {}


def _partial(final: Path) -> Path:
    return final.with_name(final.name + PARTIAL_SUFFIX)


def _needed(name: str) -> bool:
    return "/" not in name and any(fnmatch.fnmatch(name, pattern) for pattern in NEEDED_FILES)


def _remote_file(sibling) -> RemoteFile:
    lfs = sibling.lfs
    if lfs is not None:
        return RemoteFile(sibling.rfilename, lfs.size, sha256=lfs.sha256)
    return RemoteFile(
        sibling.rfilename, sibling.size if sibling.size is not None else -1, blob_id=sibling.blob_id
    )


def _fill_missing(
    f: RemoteFile, repo: str, sha: str, endpoint: str | None, timeout: float
) -> RemoteFile:
    """Mirrors may list files without sizes or checksums: take them from the file's headers
    (ETag is the sha256 for LFS files and the git blob sha1 for the others)."""
    if f.size >= 0 and (f.sha256 or f.blob_id):
        return f
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    try:
        meta = get_hf_file_metadata(
            hf_hub_url(repo, f.name, revision=sha, endpoint=endpoint),
            timeout=timeout,
            token=_token() or False,
        )
    except Exception as e:
        raise _unreachable(endpoint, e) from None
    etag = (meta.etag or "").lower()
    size = f.size if f.size >= 0 else (meta.size if meta.size is not None else -1)
    if size < 0:
        raise DownloadError(Said("the hub gave no size for {name}", name=f.name))
    if f.sha256 or f.blob_id:
        return RemoteFile(f.name, size, f.sha256, f.blob_id)
    if len(etag) == 64:
        return RemoteFile(f.name, size, sha256=etag)
    return RemoteFile(f.name, size, blob_id=etag if len(etag) == 40 else None)


def _fetch(
    plan,
    f: RemoteFile,
    target: Path,
    done: int,
    total: int,
    report: Progress,
    cancel: threading.Event | None,
    retries: int,
) -> int:
    """Stream one file into target.incomplete (resuming it), verify it, move it to target."""
    from huggingface_hub import hf_hub_url
    from huggingface_hub.utils import get_session, hf_raise_for_status

    url = hf_hub_url(plan.repo, f.name, revision=plan.revision, endpoint=plan.endpoint)
    incomplete = target.with_name(target.name + INCOMPLETE_SUFFIX)
    attempt = 0
    while True:
        have = incomplete.stat().st_size if incomplete.exists() else 0
        if have > f.size:
            done -= f.size
            incomplete.unlink()
            have = 0
        headers = {"Accept-Encoding": "identity", **_auth_headers()}
        if 0 < have:
            headers["Range"] = f"bytes={have}-"
        try:
            with get_session().stream(
                "GET", url, headers=headers, timeout=READ_TIMEOUT
            ) as response:
                if have and response.status_code == 416 and have == f.size:
                    break  # everything is already here
                hf_raise_for_status(response)
                if have and response.status_code != 206:
                    done -= have  # the server ignored Range: start the file again
                    have = 0
                with open(incomplete, "ab" if have else "wb") as out:
                    # Unchunked: each network read is written at once, so a cut keeps it.
                    for chunk in response.iter_bytes():
                        if cancel is not None and cancel.is_set():
                            raise DownloadCancelled()
                        if have + len(chunk) > f.size:
                            # A mirror may stream without end: never keep more than listed.
                            raise _Oversized()
                        out.write(chunk)
                        have += len(chunk)
                        done += len(chunk)
                        report(done, total)
            if incomplete.stat().st_size < f.size:
                raise _ShortRead()
            break
        except _Oversized:
            incomplete.unlink(missing_ok=True)
            log.warning("%s sent more bytes than listed for %s", hub_name(plan.endpoint), f.name)
            raise DownloadError(
                Said(
                    "the hub at {hub} sent more than the {size} bytes it lists for {name}; the "
                    "partial file was deleted",
                    hub=hub_name(plan.endpoint),
                    size=f.size,
                    name=f.name,
                ),
                HUB,
            ) from None
        except (DownloadError, KeyboardInterrupt):
            raise
        except Exception as e:
            if cancel is not None and cancel.is_set():  # a stop during a stalled read
                raise DownloadCancelled() from None
            if _is_http_status_error(e) or attempt >= retries:
                raise _unreachable(plan.endpoint, e, during=f.name) from None
            attempt += 1
    try:
        f.verify(incomplete)
    except DownloadError:
        incomplete.unlink()
        raise
    incomplete.rename(target)
    return done


class _ShortRead(Exception):
    """The server closed the body before the advertised size."""


class _Oversized(Exception):
    """The server sent more bytes than the hub lists for the file."""


def _is_http_status_error(e: Exception) -> bool:
    from huggingface_hub.errors import HfHubHTTPError

    return isinstance(e, HfHubHTTPError)


def _validate(folder: Path) -> None:
    from .load import ModelLoadError, read_checkpoint

    try:
        read_checkpoint(folder)
    except ModelLoadError as e:
        raise DownloadError(Said("the downloaded model does not load: {why}", why=e)) from None


def _unreachable(endpoint: str | None, e: Exception, during: str | None = None) -> DownloadError:
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    hub = hub_name(endpoint)
    if isinstance(e, OfflineModeIsEnabled):
        return HubUnreachable(Said("offline mode is on (HF_HUB_OFFLINE)"))
    if isinstance(e, HfHubHTTPError):
        status = e.response.status_code if e.response is not None else "?"
        if during:
            answered = Said(
                "the hub at {hub} answered {status} for {name}", hub=hub, status=status, name=during
            )
        else:  # (this line used to end in a dangling "for")
            answered = Said("the hub at {hub} answered {status}", hub=hub, status=status)
        return DownloadError(answered, HUB)
    if during:
        return DownloadError(
            Said(
                "the connection to {hub} broke while fetching {name} ({why})",
                hub=hub,
                name=during,
                why=_reason(e),
            ),
            RESUME,
        )
    return HubUnreachable(
        Said("cannot reach the model hub at {hub} ({why})", hub=hub, why=_reason(e))
    )


def _reason(e: Exception) -> str:
    if isinstance(e, _ShortRead):
        return Said("the file ended early")
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return text or type(e).__name__


def _git_blob_hasher(size: int):
    h = hashlib.sha1()
    h.update(f"blob {size}\0".encode())
    return h


def _hash_file(path: Path, h) -> str:
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK_SIZE):
            h.update(block)
    return h.hexdigest()
