"""The `deskpet` command. No command: the pet. Each command lives in the module listed in
COMMANDS, which adds itself with `register(subparsers)` and sets `run` on its parser.

Building the parser imports no MLX and no Qt: a command module imports what it needs inside
its `run`, so `deskpet --help` and the error paths answer at once.

Every run logs to a file (deskpet.logs); `--verbose`, before or after the command, logs more.
A command's expected failures are its own one-line messages; anything unexpected is one line
naming the log file, which holds the traceback.

A command speaks the owner's language (the `language` setting; with "auto", the terminal's
locale variables) where it says why something was refused; its log stays English.
"""

from __future__ import annotations

import argparse
import logging
import sys
from importlib import import_module

from . import i18n, logs
from .inference.source import add_model_options

log = logging.getLogger(__name__)

COMMANDS = (
    "deskpet.chat_cli",
    "deskpet.inference.model_cli",
    "deskpet.bench_cli",
    "deskpet.personas.cli",
    "deskpet.bridge.agents_cli",
    "deskpet.bridge.doctor_cli",
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
    add_verbose_option(parser, top_level=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        import_module(name).register(sub)
    for command in _every_subparser(parser):
        add_verbose_option(command)
    return parser


def add_verbose_option(parser: argparse.ArgumentParser, *, top_level: bool = False) -> None:
    """`--verbose`: debug lines in the log file. Sub-commands' copies have no default of their
    own, so it works before or after the command."""
    default = {} if top_level else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "--verbose",
        action="store_true",
        help=f"write debug detail to the log file (as {logs.ENV_LEVEL}=debug does)",
        **default,
    )


def _every_subparser(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in dict.fromkeys(action.choices.values()):  # aliases share a parser
                yield command
                yield from _every_subparser(command)


def _command_name(parser: argparse.ArgumentParser, argv: list[str]) -> str:
    """The command's words (e.g. "agents status"): sub-commands and fixed choices only, never
    free arguments, which can be paths or text that does not belong in a log."""
    words: list[str] = []
    for word in argv:
        for action in parser._actions:
            if action.option_strings or not action.choices or word not in action.choices:
                continue
            words.append(word)
            if isinstance(action, argparse._SubParsersAction):
                parser = action.choices[word]
            break
    return " ".join(words)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    from .settings import language_setting

    # Before parsing: a refused flag value is said in the owner's language too.
    i18n.set_language(i18n.choose(language_setting()))
    parser = build_parser()
    args = parser.parse_args(argv)
    command = _command_name(parser, argv)
    logs.configure(
        command=command,
        verbose=getattr(args, "verbose", False),
        model="demo" if getattr(args, "demo", False) else getattr(args, "model", None),
    )
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
    except Exception as exc:
        # Expected failures are each command's own one-line message; this is anything else.
        log.exception("deskpet %s failed", command or "(the pet)")
        where = logs.current_log()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        what = {"error": type(exc).__name__, "message": first}
        if where:
            said = i18n.tr(
                "unexpected error: {error}: {message} (the details are in {log})", log=where, **what
            )
        else:
            said = i18n.tr("unexpected error: {error}: {message}", **what)
        print(f"deskpet: {said}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
