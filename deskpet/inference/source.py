"""Which model: the demo model, one named on the command line, or the owner's configured one.

Every command, the self-test and the app answer "which model?" here, the same way:
`--model X`, else `--demo`, else the `model` setting, else the demo model. Light on purpose:
importing this module loads neither MLX nor the settings file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ..i18n import shown

DEMO = "demo"  # the source name of the built-in demo model (deskpet.inference.demo)


def _to_stderr(message: str) -> None:
    print(shown(message), file=sys.stderr)


def add_model_options(parser: argparse._ActionsContainer, *, top_level: bool = False) -> None:
    """`--demo` and `--model X`, declared here once for the top-level parser and every
    sub-command that loads a model. A sub-command's copy has no default of its own, so
    `deskpet --demo chat` and `deskpet chat --demo` both reach the command."""
    default = {} if top_level else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "--demo", action="store_true", help="use the small built-in demo model", **default
    )
    parser.add_argument(
        "--model", help="a model folder (MLX or Hugging Face) or a .gguf file", **default
    )


def add_server_options(parser: argparse._ActionsContainer) -> None:
    """`--server URL [--server-model NAME]`: answer through an OpenAI-compatible server."""
    parser.add_argument(
        "--server",
        metavar="URL",
        help="answer through an OpenAI-compatible model server (e.g. http://127.0.0.1:8080); "
        "its API key is the one saved in Settings, or $DESKPET_SERVER_KEY",
    )
    parser.add_argument(
        "--server-model", metavar="NAME", default="", help="the model to ask the server for"
    )


def server_from_args(args: argparse.Namespace):
    """A ServerBrain (not started) for `--server URL`, else None. SystemExit with one line for
    an address that is not one."""
    url = getattr(args, "server", None)
    if not url:
        return None
    import os

    from deskpet.platform.keychain import server_key

    from .server_brain import ServerBrain

    key = os.environ.get("DESKPET_SERVER_KEY") or server_key()
    try:
        return ServerBrain(url=url, model=getattr(args, "server_model", "") or "", api_key=key)
    except ValueError as e:
        raise SystemExit(f"deskpet: {e}") from None


def named(model: str | None = None, demo: bool = False) -> str | None:
    """The model the command line names: `model`, else the demo model if asked for, else None."""
    if model:
        return model
    return DEMO if demo else None


def choose(
    model: str | None = None,
    demo: bool = False,
    *,
    say: Callable[[str], None] = _to_stderr,
) -> str:
    """`model` if given, else the demo model if asked for, else the configured model, else
    the demo model. When neither `model` nor `demo` named it, `say` tells the owner in one
    line which model answers. A settings file deskpet cannot read is the owner's: `say` tells
    why, the file is left alone, and the demo model answers."""
    given = named(model, demo)
    if given:
        return given
    from deskpet.settings import Settings, SettingsFileError

    try:
        owner = Settings().get("model")
    except SettingsFileError as e:
        say(f"deskpet: {e}; using the demo model")
        return DEMO
    if owner:
        say(f"deskpet: using your configured model {owner} (--model or --demo for another)")
        return owner
    say("deskpet: using the demo model (no model configured; --model for another)")
    return DEMO


def from_args(args: argparse.Namespace, *, say: Callable[[str], None] = _to_stderr) -> str:
    """`choose` for a command's parsed `--model` / `--demo` options."""
    return choose(getattr(args, "model", None), getattr(args, "demo", False), say=say)


def local_path(source: str | Path, progress: Callable[[str], None] = _to_stderr) -> Path:
    """The file or folder to read for `source`; the demo model is fetched once first."""
    if str(source) == DEMO:
        from .demo import ensure_demo_model

        return ensure_demo_model(progress)
    return Path(source)
