"""Which model: the demo model, one named on the command line, or the owner's configured one.

Every command, the self-test and the app answer "which model?" here, the same way. Light on
purpose: importing this module loads neither MLX nor the settings file.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

DEMO = "demo"  # the source name of the built-in demo model (deskpet.inference.demo)


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def choose(
    model: str | None = None,
    demo: bool = False,
    *,
    warn: Callable[[str], None] = _to_stderr,
) -> str:
    """`model` if given, else the demo model if asked for, else the configured model, else
    the demo model. A settings file deskpet cannot read is the owner's: `warn` says so, the
    file is left alone, and the demo model answers."""
    if model:
        return model
    if demo:
        return DEMO
    from deskpet.settings import Settings, SettingsFileError

    try:
        configured = Settings().get("model")
    except SettingsFileError as e:
        warn(f"deskpet: {e}; using the demo model")
        configured = None
    return configured or DEMO


def from_args(args, *, warn: Callable[[str], None] = _to_stderr) -> str:
    """`choose` for a command's parsed `--model` / `--demo` options."""
    return choose(getattr(args, "model", None), getattr(args, "demo", False), warn=warn)


def local_path(source: str | Path, progress: Callable[[str], None] = _to_stderr) -> Path:
    """The file or folder to read for `source`; the demo model is fetched once first."""
    if str(source) == DEMO:
        from .demo import ensure_demo_model

        return ensure_demo_model(progress)
    return Path(source)
