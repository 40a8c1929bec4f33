"""`deskpet doctor [--json]`: why doesn't my pet react? (deskpet.bridge.doctor)

One line per finding, with what to do, in the owner's language; exit 0 when nothing failed, 1
otherwise. `--json` prints one JSON object instead, its texts in English for tools:
{"healthy": bool, "findings": [{"topic", "level", "text"}], "pet": ...}.
"""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "doctor",
        help="check the connection to your coding agents, the model and the log",
        description="Check, per agent, that deskpet's hooks are installed, run and reach the pet "
        "(a test event the pet never shows), what the pet last heard, and the model and log "
        "file. Exit 0 when healthy, 1 when something needs fixing.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from deskpet.bridge.doctor import diagnose
    from deskpet.i18n import tr

    result = diagnose()
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        for line in result.shown_lines():
            print(line)
        print(tr("All good.") if result.healthy else tr("Something needs fixing (the !! lines)."))
    return 0 if result.healthy else 1
