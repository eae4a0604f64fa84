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
    """Add `screen FILE... [--json] [--negative-list PATH] [--lexicon PATH] [--leaders PATH]`."""
    parser = sub.add_parser(
        "screen",
        help="pre-screen of draft files (保密预审 and 错敏)",
        description=(
            "Screen .txt, .md, .docx, .pdf and .xlsx files for classification markings, ID "
            "numbers, bank cards, mobiles, e-mail, negative-list terms, serious errors and "
            "fixed formulas (错敏词库), leaders' names and titles, and links that lead "
            "nowhere. Exit status: 0 no block finding, 1 a block finding, 2 a file or a "
            "list could not be read."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help="files to screen")
    parser.add_argument(
        "--negative-list",
        type=Path,
        metavar="PATH",
        help="negative list YAML (default: config/negative-list.yaml)",
    )
    parser.add_argument(
        "--lexicon",
        type=Path,
        metavar="PATH",
        help="错敏 lexicon YAML (default: config/screening/errata.yaml) + PUBREVIEW_ERRATA_OFFICE",
    )
    parser.add_argument(
        "--leaders",
        type=Path,
        metavar="PATH",
        help="leader list YAML (default: PUBREVIEW_LEADERS, else config/sample-leaders.yaml)",
    )
    add_json_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Screen the files, print the findings, and say by exit status whether any blocks."""
    try:
        result = screen_files(
            args.files, args.negative_list, lexicon_path=args.lexicon, leaders_path=args.leaders
        )
    except ValidationError as exc:
        # Not PubreviewError's exit status 1: that would read as "a block finding".
        if args.json:
            emit(args, {"error": type(exc).__name__, "message": str(exc)}, "")
        print(f"pubreview screen: {exc}", file=sys.stderr)
        return UNREADABLE
    emit(args, result.to_dict(), result.to_text())
    return BLOCKED if result.blocked else CLEAN
