"""`deskpet` with no sub-command: the pet on the desktop.

The Qt pet window is not built yet (issue "The pet on the desktop"); until it is, this opens
the terminal chat so the command still does something useful, and says so.
"""

from __future__ import annotations

import sys


def run_app(args) -> int:
    from .cli import _resolve_model
    from .terminal_chat import run_terminal_chat

    print("deskpet: the desktop window is not built yet; chatting in the terminal instead "
          "(`deskpet chat`).", file=sys.stderr)
    args.think = False
    args.system = None
    args.max_tokens = 512
    args.temperature = None
    args.seed = None
    return run_terminal_chat(args, _resolve_model(args))
