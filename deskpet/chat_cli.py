"""`deskpet chat [--demo | --model X | --server URL [--server-model NAME]] [--think] ...`.

The command's options; the chat itself is deskpet.terminal_chat, imported only when it runs.
"""

from __future__ import annotations

import argparse

from .inference.source import add_model_options, add_server_options
from .settings import add_flags, fill_flags

# Chat options that are declared settings: flags generated from settings.SETTINGS.
SETTING_FLAGS = ("max_tokens", "temperature")


def register(subparsers: argparse._SubParsersAction) -> None:
    chat = subparsers.add_parser(
        "chat",
        help="chat with the model in the terminal",
        description="Chat with the model in the terminal. The demo model keeps its own low "
        "temperature unless --temperature is given.",
    )
    add_model_options(chat)
    add_server_options(chat)
    chat.add_argument("--think", action="store_true", help="start with thinking mode on")
    chat.add_argument("--system", help="the system prompt")
    add_flags(chat, SETTING_FLAGS)
    chat.add_argument("--seed", type=int, default=None)
    chat.add_argument(
        "--fp16",
        action="store_true",
        help="recast bf16 weights to fp16 (faster on M1/M2, which emulate bf16)",
    )
    chat.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .inference.source import DEMO, from_args, server_from_args
    from .terminal_chat import run_terminal_chat

    server = server_from_args(args)
    if server is not None:
        fill_flags(args, SETTING_FLAGS)
        return run_terminal_chat(args, server.url, brain=server.start())
    source = from_args(args)
    # The demo model keeps its own sampling, as it does in the pet (inference.demo).
    fill_flags(args, SETTING_FLAGS if source != DEMO else ("max_tokens",))
    return run_terminal_chat(args, source)
