"""`deskpet agents status|install|uninstall [claude|codex|cursor|gemini|all]`.

The lead wires it in with `agents_cli.register(subparsers)`; the parser's default `run` runs
the command and returns the exit code (0 when every file could be read and written).
"""

from __future__ import annotations

import argparse
import sys

from deskpet.bridge import agents, installers
from deskpet.i18n import shown, tr


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "agents",
        help=f"connect deskpet to {_names()}",
        description="Show, install or remove deskpet's hooks in your coding agents' settings. "
        "Your own hooks are kept; each file is backed up once before deskpet first changes it.",
    )
    parser.add_argument(
        "action", choices=("status", "install", "uninstall"), nargs="?", default="status"
    )
    parser.add_argument("agent", choices=(*agents.ids(), "all"), nargs="?", default="all")
    parser.set_defaults(run=run)
    return parser


def _names() -> str:
    *first, last = [agent.long_name for agent in agents.AGENTS]
    return f"{', '.join(first)} and {last}"


def run(args: argparse.Namespace) -> int:
    reports = installers.run(args.action, args.agent)
    for report in reports:
        for line in report.lines:
            print(shown(line))
    if args.action == "install" and any(r.changed for r in reports):
        print(tr("Restart running agents so they pick up the new hooks."))
    return 0 if all(r.ok for r in reports) else 1


def main(argv: list[str] | None = None) -> int:
    """Standalone entry for testing: `python -m deskpet.bridge.agents_cli status`."""
    parser = argparse.ArgumentParser(prog="deskpet")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["agents", *(sys.argv[1:] if argv is None else argv)])
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
