"""The `deskpet` command. No argument: the pet. Sub-commands: chat, model, bench, persona, agents.

Heavy imports (MLX, Qt) happen inside the sub-command that needs them, so `deskpet --help` and
the error paths answer at once.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deskpet",
        description="A desktop pet with a local brain that keeps an eye on your coding agents.",
    )
    parser.add_argument("--demo", action="store_true", help="use the small built-in demo model")
    parser.add_argument("--model", help="a model folder (MLX or Hugging Face) or a .gguf file")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check the model, generation and rendering (no display needed), "
        "one line per check; exit 1 naming a failed check",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = sub.add_parser("chat", help="chat with the model in the terminal")
    _model_choice(chat)
    chat.add_argument("--think", action="store_true", help="start with thinking mode on")
    chat.add_argument("--system", help="the system prompt")
    chat.add_argument("--max-tokens", type=int, default=512)
    chat.add_argument("--temperature", type=float, default=None)
    chat.add_argument("--seed", type=int, default=None)
    chat.add_argument(
        "--fp16",
        action="store_true",
        help="recast bf16 weights to fp16 (faster on M1/M2, which emulate bf16)",
    )
    chat.set_defaults(run=_run_chat)

    model = sub.add_parser("model", help="inspect and convert models")
    model_sub = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    info = model_sub.add_parser("info", help="architecture, quantization, size, special tokens")
    info.add_argument("source", help="a model folder, a .gguf file, or 'demo'")
    info.set_defaults(run=_run_model_info)
    convert = model_sub.add_parser("convert", help="write any supported model as an MLX folder")
    convert.add_argument("source", help="a model folder, a .gguf file, or 'demo'")
    convert.add_argument("destination", help="the new MLX folder")
    convert.set_defaults(run=_run_model_convert)
    from .inference.download_cli import add_download_parser

    add_download_parser(model_sub)

    for register in _optional_commands():
        register(sub)
    return parser


def _optional_commands():
    """Sub-commands that live beside the rooms they belong to."""
    from importlib import import_module

    for module in (
        "deskpet.inference.bench_cli",
        "deskpet.bridge.agents_cli",
        "deskpet.personas.cli",
    ):
        try:
            yield import_module(module).register
        except ModuleNotFoundError as e:
            if e.name != module:
                raise


def _model_choice(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--demo", action="store_true", help="use the small built-in demo model")
    parser.add_argument("--model", help="a model folder (MLX or Hugging Face) or a .gguf file")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "run", None)
    try:
        if getattr(args, "self_test", False) and run is None:
            from .self_test import run_self_test

            return run_self_test(args.model)
        if run is None:
            return _run_app(args)
        return run(args) or 0
    except KeyboardInterrupt:
        return 130


def _run_app(args) -> int:
    from .app_entry import run_app

    return run_app(args)


def _run_chat(args) -> int:
    from .inference.source import from_args
    from .terminal_chat import run_terminal_chat

    return run_terminal_chat(args, from_args(args))


def _run_model_info(args) -> int:
    from .inference.info import model_info
    from .inference.load import ModelLoadError
    from .inference.source import local_path

    try:
        for key, value in model_info(local_path(args.source)).items():
            print(f"{key:>16}: {value}")
    except ModelLoadError as e:
        print(f"deskpet: {e}", file=sys.stderr)
        return 1
    return 0


def _run_model_convert(args) -> int:
    from .inference.load import ModelLoadError, read_checkpoint, save_mlx
    from .inference.source import local_path

    try:
        dst = save_mlx(read_checkpoint(local_path(args.source)), args.destination)
    except ModelLoadError as e:
        print(f"deskpet: {e}", file=sys.stderr)
        return 1
    print(f"Wrote {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
