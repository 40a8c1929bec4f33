"""`deskpet model download [REPO] [--revision R] [--endpoint URL] [--yes]`."""

from __future__ import annotations

import argparse
import sys
import threading
import time

from ..i18n import N_, reason, shown, tr
from . import download as dl

# The error's line with what to do next, by DownloadError.kind: one sentence each, so a
# language can put the step where it reads best.
_NEXT_STEP = {
    dl.RESUME: N_("{why}; run again to resume"),
    dl.FETCH_ANEW: N_("{why}, run again to fetch it anew"),
    dl.DISK_FULL: N_("{why} and run again"),
    dl.HUB: N_(
        "{why}; use a local MLX folder or .gguf file with --model PATH, or the demo model with "
        "--demo"
    ),
    dl.CANCELLED: N_("{why}; run it again to resume"),
}
# What else the owner can run when the hub cannot help (in English).
ALTERNATIVES = _NEXT_STEP[dl.HUB].removeprefix("{why}; ")


def register(model_actions: argparse._SubParsersAction) -> None:
    """Add `download` to the actions of `deskpet model` (model_cli.py)."""
    p = model_actions.add_parser(
        "download", help="download a model from the hub (default: MiniCPM5-1B, 4-bit MLX)"
    )
    p.add_argument(
        "repo",
        nargs="?",
        default=None,
        help="a hub repo (default: openbmb/MiniCPM5-1B-MLX, or its -4bit spelling)",
    )
    p.add_argument(
        "--revision", help="a branch, tag or commit (default: main, pinned to its commit)"
    )
    p.add_argument(
        "--endpoint", help="a hub mirror (default: the hub_endpoint setting, then HF_ENDPOINT)"
    )
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before downloading")
    p.set_defaults(run=run_download)


def run_download(args: argparse.Namespace) -> int:
    from .download import (
        DEFAULT_REPOS,
        DownloadError,
        check_disk_space,
        download,
        format_bytes,
        resolve,
    )
    from .hf_cache import shared_cache_copy

    endpoint = args.endpoint or _endpoint_setting()
    if cached := shared_cache_copy(args.repo or DEFAULT_REPOS, args.revision):
        print(tr("Already in the Hugging Face cache: {path}", path=cached))
        print(tr("Use it with: {command}", command=f"deskpet --model '{cached}'"))
        return 0
    try:
        plan = resolve(args.repo or DEFAULT_REPOS, revision=args.revision, endpoint=endpoint)
        final = plan.destination()
        if final.exists():
            print(tr("Already downloaded: {path}", path=final))
            return 0
        need = check_disk_space(plan)
        what = {
            "repo": f"{plan.repo} @ {plan.revision[:8]}",
            "count": len(plan.files),
            "size": format_bytes(plan.total_bytes),
            "folder": final,
        }
        if need < plan.total_bytes:
            line = tr(
                "{repo}: {count} files, {size} ({left} left to fetch) -> {folder}",
                left=format_bytes(need),
                **what,
            )
        else:
            line = tr("{repo}: {count} files, {size} -> {folder}", **what)
        print(line, file=sys.stderr)
        if not args.yes and not _confirm(tr("Download it?")):
            print(tr("Not downloaded."), file=sys.stderr)
            return 1
        bar = ProgressBar()
        try:
            path = download(plan, progress=bar)
        finally:
            bar.close()
    except DownloadError as e:
        print(f"deskpet: {for_terminal(reason(e), e.kind)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        stopped = tr("download stopped; run the same command again to resume")
        print(f"\ndeskpet: {stopped}", file=sys.stderr)
        return 130
    print(tr("Downloaded {path}", path=path))
    print(tr("Use it with: {command}", command=f"deskpet --model '{path}'"))
    return 0


def for_terminal(message: str, kind: str) -> str:
    """A download error's line with what to do next in the terminal (by its kind), in the
    owner's language (the message too, when it is a Said)."""
    step = _NEXT_STEP.get(kind)
    return tr(step, why=message) if step else shown(message)


def _endpoint_setting() -> str | None:
    from .download import hub_endpoint_setting  # late: --help stays light

    return hub_endpoint_setting()


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        print(
            tr("{question} (pass --yes to download without asking)", question=question),
            file=sys.stderr,
        )
        return False
    try:
        answer = input(f"{question} [Y/n] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("", "y", "yes", tr("yes"))


class ProgressBar:
    """A one-line byte progress bar on stderr; a progress callback (done_bytes, total_bytes)."""

    def __init__(self, stream=None, width: int = 30, interval: float = 0.1):
        self.stream = stream or sys.stderr
        self.width = width
        self.interval = interval
        self._last = 0.0
        self._start = time.monotonic()
        self._first: int | None = None
        self._lock = threading.Lock()
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        from .download import format_bytes

        now = time.monotonic()
        if self._first is None:
            self._first = done
        if now - self._last < self.interval and done < total:
            return
        self._last = now
        done = max(0, min(done, total))  # a fixed-width line, never past 100%
        frac = done / total if total else 1.0
        filled = int(self.width * frac)
        speed = (done - self._first) / max(now - self._start, 1e-6)
        line = (
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {frac:6.1%} "
            f"{format_bytes(done)} / {format_bytes(total)}  {format_bytes(int(speed))}/s "
        )
        with self._lock:
            self.stream.write(line)
            self.stream.flush()
            self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
