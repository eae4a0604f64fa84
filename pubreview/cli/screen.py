"""`pubreview screen FILE…`: a submitter checks a draft before submitting it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pubreview.cli.output import add_json_flag, emit
from pubreview.errors import ValidationError
from pubreview.screening import screen_files

# Exit statuses: scripts tell "has a block finding" from "could not check".
CLEAN, BLOCKED, UNREADABLE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    """Add `screen FILE... [--json] [--negative-list PATH]`."""
    parser = sub.add_parser(
        "screen",
        help="confidentiality pre-screen of draft files (保密预审)",
        description=(
            "Screen .txt, .md and .docx files for classification markings, ID numbers, "
            "bank cards, mobiles, e-mail and negative-list terms. Exit status: 0 no block "
            "finding, 1 a block finding, 2 a file could not be read."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help="files to screen")
    parser.add_argument(
        "--negative-list",
        type=Path,
        metavar="PATH",
        help="negative list YAML (default: config/negative-list.yaml)",
    )
    add_json_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Screen the files, print the findings, and say by exit status whether any blocks."""
    try:
        result = screen_files(args.files, args.negative_list)
    except ValidationError as exc:
        # Not PubreviewError's exit status 1: that would read as "a block finding".
        if args.json:
            emit(args, {"error": type(exc).__name__, "message": str(exc)}, "")
        print(f"pubreview screen: {exc}", file=sys.stderr)
        return UNREADABLE
    emit(args, result.to_dict(), result.to_text())
    return BLOCKED if result.blocked else CLEAN
