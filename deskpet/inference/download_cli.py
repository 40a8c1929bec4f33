"""`deskpet model download [REPO] [--revision R] [--endpoint URL] [--yes]`."""

from __future__ import annotations

import argparse
import sys
import threading
import time

from . import download as dl

# What else the owner can run when the hub cannot help.
ALTERNATIVES = (
    "use a local MLX folder or .gguf file with --model PATH, or the demo model with --demo"
)
# What to do next, by DownloadError.kind, appended to the error's line.
_NEXT_STEP = {
    dl.RESUME: "; run again to resume",
    dl.FETCH_ANEW: ", run again to fetch it anew",
    dl.DISK_FULL: " and run again",
    dl.HUB: f"; {ALTERNATIVES}",
    dl.CANCELLED: "; run it again to resume",
}


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
        print(f"Already in the Hugging Face cache: {cached}")
        print(f"Use it with: deskpet --model '{cached}'")
        return 0
    try:
        plan = resolve(args.repo or DEFAULT_REPOS, revision=args.revision, endpoint=endpoint)
        final = plan.destination()
        if final.exists():
            print(f"Already downloaded: {final}")
            return 0
        need = check_disk_space(plan)
        print(
            f"{plan.repo} @ {plan.revision[:8]}: {len(plan.files)} files, "
            f"{format_bytes(plan.total_bytes)}"
            + (f" ({format_bytes(need)} left to fetch)" if need < plan.total_bytes else "")
            + f" -> {final}",
            file=sys.stderr,
        )
        if not args.yes and not _confirm("Download it?"):
            print("Not downloaded.", file=sys.stderr)
            return 1
        bar = ProgressBar()
        try:
            path = download(plan, progress=bar)
        finally:
            bar.close()
    except DownloadError as e:
        print(f"deskpet: {for_terminal(str(e), e.kind)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndeskpet: download stopped; run the same command again to resume", file=sys.stderr)
        return 130
    print(f"Downloaded {path}")
    print(f"Use it with: deskpet --model '{path}'")
    return 0


def for_terminal(message: str, kind: str) -> str:
    """A download error's line with what to do next in the terminal (by its kind)."""
    return message + _NEXT_STEP.get(kind, "")


def _endpoint_setting() -> str | None:
    from .download import hub_endpoint_setting  # late: --help stays light

    return hub_endpoint_setting()


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        print(f"{question} (pass --yes to download without asking)", file=sys.stderr)
        return False
    try:
        answer = input(f"{question} [Y/n] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("", "y", "yes")


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
