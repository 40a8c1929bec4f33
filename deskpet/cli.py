"""The `deskpet` command. No command: the pet. Each command lives in the module listed in
COMMANDS, which adds itself with `register(subparsers)` and sets `run` on its parser.

Building the parser imports no MLX and no Qt: a command module imports what it needs inside
its `run`, so `deskpet --help` and the error paths answer at once.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from .inference.source import add_model_options

COMMANDS = (
    "deskpet.chat_cli",
    "deskpet.inference.model_cli",
    "deskpet.bench_cli",
    "deskpet.personas.cli",
    "deskpet.bridge.agents_cli",
)


def version() -> str:
    """The installed package's version (pyproject.toml's), or the source tree's when deskpet
    runs without package metadata (a frozen app)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("deskpet")
    except PackageNotFoundError:
        from . import __version__

        return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deskpet",
        description="A desktop pet with a local brain that keeps an eye on your coding agents.",
    )
    parser.add_argument("--version", action="version", version=f"deskpet {version()}")
    add_model_options(parser, top_level=True)
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check the model, generation and rendering (no display needed), "
        "one line per check; exit 1 naming a failed check",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .bridge.installers import remove_stale_temps

    remove_stale_temps()  # what a save killed half-way left behind
    run = getattr(args, "run", None)
    try:
        if run is not None:
            return run(args) or 0
        if args.self_test:
            from .inference.source import from_args
            from .self_test import run_self_test

            return run_self_test(from_args(args))
        from .app_entry import run_app

        return run_app(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
