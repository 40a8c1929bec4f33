"""Logging set-up: a rotating file in the logs folder, a fault handler, exception hooks.

`configure()` runs once at the start of the pet and of every command (deskpet.cli.main). It
sends every `deskpet.*` logger (INFO, or DEBUG with `--verbose` or `DESKPET_LOG=debug`) and any
other library's warnings to `deskpet.log` in `paths.logs_dir()`, about 2 MB x 3 files, opening
with the version, the platform, MLX and the model named on the command line.

Crashes go to `crash.log` beside it as well: `faulthandler` writes a hard fault's stack there
(the file stays open for the life of the process), and an exception nobody caught, on any
thread, is logged at ERROR and appended there. The pet's next launch asks `take_crash_notice()`
whether crash.log grew since the last launch looked (the size it saw is kept in `crash.seen`),
so a crash is told once.

Log lines name what happened, never what was said: no prompts, chat text, agent payloads or
file contents.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import platform
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

from . import paths

LOG_NAME = "deskpet.log"
CRASH_NAME = "crash.log"
SEEN_NAME = "crash.seen"  # how many bytes of crash.log the last launch already looked at
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 2  # deskpet.log, deskpet.log.1, deskpet.log.2
CRASH_MAX_BYTES = 1024 * 1024  # beyond this, crash.log is moved to crash.log.1 at start
NOTICE_TAIL = 64 * 1024  # a crash notice reads at most this much of crash.log
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
ENV_LEVEL = "DESKPET_LOG"

log = logging.getLogger(__name__)


@dataclass
class _Setup:
    folder: Path
    handler: logging.Handler
    crash: TextIO
    level_before: int
    excepthook: object
    threading_excepthook: object
    faulthandler_before: bool


_setup: _Setup | None = None
_lock = threading.Lock()


def log_path(folder: Path | None = None) -> Path:
    return (folder or paths.logs_dir()) / LOG_NAME


def crash_path(folder: Path | None = None) -> Path:
    return (folder or paths.logs_dir()) / CRASH_NAME


def level_for(verbose: bool = False) -> int:
    """DEBUG with `--verbose`; else `DESKPET_LOG` (debug, info, warning, error); else INFO."""
    if verbose:
        return logging.DEBUG
    name = os.environ.get(ENV_LEVEL, "").strip().upper()
    level = logging.getLevelName(name) if name else logging.INFO
    return level if isinstance(level, int) else logging.INFO


def configure(
    *,
    command: str = "",
    verbose: bool = False,
    model: str | None = None,
    folder: Path | None = None,
) -> Path | None:
    """Log to the file, hook faults and uncaught exceptions; return the log file's path.

    Idempotent: a second call for the same folder only sets the level; one for another folder
    (a test's own HOME) undoes the first. A logs folder that cannot be written is not fatal:
    deskpet runs without a log file and returns None."""
    global _setup
    folder = folder or paths.logs_dir()
    level = level_for(verbose)
    with _lock:
        if _setup is not None and _setup.folder == folder:
            logging.getLogger("deskpet").setLevel(level)
            return log_path(folder)
    if _setup is not None:
        reset()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _rotate_crash_file(folder)
        handler = RotatingFileHandler(
            log_path(folder), maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
        crash = open(crash_path(folder), "a", encoding="utf-8")  # noqa: SIM115 (process-long)
    except OSError as exc:
        print(f"deskpet: cannot write logs in {folder}: {exc}", file=sys.stderr)
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    ours = logging.getLogger("deskpet")
    with _lock:
        _setup = _Setup(
            folder=folder,
            handler=handler,
            crash=crash,
            level_before=ours.level,
            excepthook=sys.excepthook,
            threading_excepthook=threading.excepthook,
            faulthandler_before=faulthandler.is_enabled(),
        )
        # On the root logger so other libraries' warnings land here too; deskpet's own
        # loggers still propagate, so pytest's caplog sees them.
        logging.getLogger().addHandler(handler)
        ours.setLevel(level)
        faulthandler.enable(file=crash, all_threads=True)
        sys.excepthook = _excepthook
        threading.excepthook = _threading_excepthook
    for line in header(command, model):
        log.info("%s", line)
    log.debug("logging to %s at %s", log_path(folder), logging.getLevelName(level))
    return log_path(folder)


def reset() -> None:
    """Undo `configure` (for tests, and before configuring another folder)."""
    global _setup
    with _lock:
        setup, _setup = _setup, None
        if setup is None:
            return
        logging.getLogger().removeHandler(setup.handler)
        setup.handler.close()
        logging.getLogger("deskpet").setLevel(setup.level_before)
        if sys.excepthook is _excepthook:
            sys.excepthook = setup.excepthook
        if threading.excepthook is _threading_excepthook:
            threading.excepthook = setup.threading_excepthook
        faulthandler.disable()
        if setup.faulthandler_before and sys.__stderr__ is not None:
            faulthandler.enable(file=sys.__stderr__, all_threads=True)
        setup.crash.close()


def current_log() -> Path | None:
    """The log file this process writes, if `configure` succeeded."""
    setup = _setup
    return log_path(setup.folder) if setup is not None else None


def header(command: str = "", model: str | None = None) -> list[str]:
    """The first lines of a run: version, platform, MLX, the model named (if any)."""
    from .cli import version

    lines = [
        f"deskpet {version()} (pid {os.getpid()}) starting: {command or 'the pet'}",
        f"platform: {platform.platform()} {platform.machine()}, "
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        f"MLX: {mlx_description()}",
    ]
    if model:
        lines.append(f"model: {model}")
    return lines


def mlx_description() -> str:
    """MLX's version and device. The device only when MLX is already loaded: a command that
    never touches a model does not pay for importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("mlx")
    except PackageNotFoundError:
        installed = "not installed"
    core = sys.modules.get("mlx.core")
    if core is None:
        return f"{installed} (not loaded yet)"
    try:
        return f"{installed}, device {core.default_device()}"
    except Exception as exc:  # a broken MLX install still gets its line
        return f"{installed}, device unknown ({exc})"


# -- uncaught exceptions -------------------------------------------------------------------------


def record_crash(what: str, exc_info) -> None:
    """Log an uncaught exception at ERROR and append its traceback to crash.log."""
    log.error("%s", what, exc_info=exc_info)
    setup = _setup
    if setup is None:
        return
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    text = "".join(traceback.format_exception(*exc_info))
    with _lock:
        try:
            setup.crash.write(f"=== {stamp} pid {os.getpid()}: {what}\n{text}\n")
            setup.crash.flush()
        except (OSError, ValueError) as exc:  # a full disk or a closed file: the log has it
            log.warning("could not write the crash file: %s", exc)


def _excepthook(exc_type, exc, tb) -> None:
    previous = _setup.excepthook if _setup is not None else sys.__excepthook__
    if not issubclass(exc_type, KeyboardInterrupt):
        record_crash("uncaught exception on the main thread", (exc_type, exc, tb))
    previous(exc_type, exc, tb)


def _threading_excepthook(args) -> None:
    previous = _setup.threading_excepthook if _setup is not None else threading.__excepthook__
    if not issubclass(args.exc_type, SystemExit):
        name = args.thread.name if args.thread is not None else "a thread"
        record_crash(
            f"uncaught exception in thread {name}",
            (args.exc_type, args.exc_value, args.exc_traceback),
        )
    previous(args)


# -- the crash notice ----------------------------------------------------------------------------


def take_crash_notice(folder: Path | None = None) -> str | None:
    """Whether crash.log grew since the last time this was asked: its newest crash in one line
    (e.g. "ZeroDivisionError: division by zero"), else None. Asking marks it seen, so the pet
    tells a crash once. Never raises: an unreadable file is logged and counts as no crash."""
    folder = folder or paths.logs_dir()
    crash, seen_file = crash_path(folder), folder / SEEN_NAME
    try:
        size = crash.stat().st_size if crash.exists() else 0
        try:
            seen = int(seen_file.read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            seen = 0
        if seen > size:  # the file was moved aside or emptied since
            seen = 0
        if size == seen:
            return None
        with open(crash, "rb") as f:
            f.seek(max(seen, size - NOTICE_TAIL))
            new = f.read(size - f.tell()).decode("utf-8", "replace")
        folder.mkdir(parents=True, exist_ok=True)
        seen_file.write_text(str(size), encoding="ascii")
    except OSError as exc:
        log.warning("cannot read the crash file: %s", exc)
        return None
    return _summary(new)


def _summary(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("Fatal Python error")]
    if fatal:
        return fatal[-1]
    # A traceback's last line says what was raised; skip the file/thread lines after it.
    for line in reversed(lines):
        if not line.startswith(("File ", "Thread ", "Current thread", "===", "^", "~")):
            return line[:200]
    return "an unexpected error"


def _rotate_crash_file(folder: Path) -> None:
    crash = crash_path(folder)
    if crash.exists() and crash.stat().st_size > CRASH_MAX_BYTES:
        os.replace(crash, crash.with_name(CRASH_NAME + ".1"))
