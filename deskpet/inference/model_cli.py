"""`deskpet model info SOURCE | convert SOURCE DESTINATION | list | download [REPO]`.

SOURCE is a model folder, a .gguf file, or "demo". Reading and converting load MLX, so they
are imported only when the action runs; the download action lives in download_cli.py.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata

from ..i18n import N_, shown, tr
from . import download_cli

SOURCE_HELP = "a model folder, a .gguf file, or 'demo'"
# `model info`'s headings that are words (info.py's keys; bos, eos and lm_head stay as named).
HEADINGS = (
    N_("source"),
    N_("format"),
    N_("architecture"),
    N_("vocabulary"),
    N_("context"),
    N_("quantization"),
    N_("parameters"),
    N_("size on disk"),
    N_("memory"),
    N_("think tokens"),
    N_("chat template"),
    N_("gguf tensors"),
    N_("conversion"),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    model = subparsers.add_parser("model", help="inspect, convert and download models")
    actions = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    info = actions.add_parser("info", help="architecture, quantization, size, special tokens")
    info.add_argument("source", help=SOURCE_HELP)
    _bits_option(info)
    info.set_defaults(run=run_info)
    convert = actions.add_parser("convert", help="write any supported model as an MLX folder")
    convert.add_argument("source", help=SOURCE_HELP)
    convert.add_argument("destination", help="the new MLX folder")
    _bits_option(convert)
    convert.set_defaults(run=run_convert)
    listing = actions.add_parser(
        "list", help="models already on this computer (Hugging Face, LM Studio, Ollama)"
    )
    listing.set_defaults(run=run_list)
    download_cli.register(actions)


def _bits_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bits",
        type=int,
        choices=(4, 8),
        default=4,
        help="what GGUF types MLX cannot keep (K-quants, Q5) and unquantized weights are "
        "quantized to (default 4; 8 keeps more of the original at twice the memory)",
    )


def run_info(args: argparse.Namespace) -> int:
    from .info import model_info
    from .load import ModelLoadError
    from .source import local_path

    try:
        for key, value in model_info(local_path(args.source), bits=args.bits).items():
            heading = tr(key) if key in HEADINGS else key
            print(f"{_right(heading, 16)}: {value}")
    except ModelLoadError as e:
        print(f"deskpet: {shown(e)}", file=sys.stderr)
        return 1
    return 0


def _right(text: str, width: int) -> str:
    """`text` right-aligned in `width` terminal columns (a Chinese character takes two)."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return text.rjust(width - wide)


def run_convert(args: argparse.Namespace) -> int:
    from .load import ModelLoadError, read_checkpoint, save_mlx
    from .source import local_path

    def progress(line: str) -> None:
        print(shown(line), flush=True)

    try:
        ckpt = read_checkpoint(local_path(args.source), bits=args.bits, progress=progress)
        dst = save_mlx(ckpt, args.destination, bits=args.bits)
    except ModelLoadError as e:
        print(f"deskpet: {shown(e)}", file=sys.stderr)
        return 1
    print(tr("Wrote {path}", path=dst))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from .local_models import find_local_models, human_size

    found = find_local_models()
    if not found:
        print(tr("No models found in the Hugging Face cache, LM Studio or Ollama."))
        return 0
    for m in found:
        state = tr("runs") if m.runnable else tr("cannot run: {why}", why=m.problem)
        print(f"{m.name}  [{m.where}, {human_size(m.size)}, {shown(m.format)}]  {state}")
        print(f"    {m.path}")
    runnable = sum(m.runnable for m in found)
    print(
        tr(
            "{found} found, {runnable} deskpet can run (use one with --model PATH).",
            found=len(found),
            runnable=runnable,
        )
    )
    return 0
