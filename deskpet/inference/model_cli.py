"""`deskpet model info SOURCE | convert SOURCE DESTINATION | list | download [REPO]`.

SOURCE is a model folder, a .gguf file, or "demo". Reading and converting load MLX, so they
are imported only when the action runs; the download action lives in download_cli.py.
"""

from __future__ import annotations

import argparse
import sys

from . import download_cli

SOURCE_HELP = "a model folder, a .gguf file, or 'demo'"


def register(subparsers: argparse._SubParsersAction) -> None:
    model = subparsers.add_parser("model", help="inspect, convert and download models")
    actions = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    info = actions.add_parser("info", help="architecture, quantization, size, special tokens")
    info.add_argument("source", help=SOURCE_HELP)
    info.set_defaults(run=run_info)
    convert = actions.add_parser("convert", help="write any supported model as an MLX folder")
    convert.add_argument("source", help=SOURCE_HELP)
    convert.add_argument("destination", help="the new MLX folder")
    convert.set_defaults(run=run_convert)
    listing = actions.add_parser(
        "list", help="models already on this computer (Hugging Face, LM Studio, Ollama)"
    )
    listing.set_defaults(run=run_list)
    download_cli.register(actions)


def run_info(args: argparse.Namespace) -> int:
    from .info import model_info
    from .load import ModelLoadError
    from .source import local_path

    try:
        for key, value in model_info(local_path(args.source)).items():
            print(f"{key:>16}: {value}")
    except ModelLoadError as e:
        print(f"deskpet: {e}", file=sys.stderr)
        return 1
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from .load import ModelLoadError, read_checkpoint, save_mlx
    from .source import local_path

    try:
        dst = save_mlx(read_checkpoint(local_path(args.source)), args.destination)
    except ModelLoadError as e:
        print(f"deskpet: {e}", file=sys.stderr)
        return 1
    print(f"Wrote {dst}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from .local_models import find_local_models, human_size

    found = find_local_models()
    if not found:
        print("No models found in the Hugging Face cache, LM Studio or Ollama.")
        return 0
    for m in found:
        state = "runs" if m.runnable else f"cannot run: {m.problem}"
        print(f"{m.name}  [{m.where}, {human_size(m.size)}, {m.format}]  {state}")
        print(f"    {m.path}")
    runnable = sum(m.runnable for m in found)
    print(f"{len(found)} found, {runnable} deskpet can run (use one with --model PATH).")
    return 0
