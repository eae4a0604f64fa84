"""`pubreview rescan`: screen what is already live against the lists as they are now."""

from __future__ import annotations

import argparse

from pubreview import db
from pubreview.cli.output import add_json_flag, emit
from pubreview.screening.findings import BLOCK, WARN
from pubreview.screening.rescan import rescan_published


def register(sub: argparse._SubParsersAction) -> None:
    """Add `rescan [--blocks-only] [--json]`."""
    parser = sub.add_parser(
        "rescan",
        help="已发布信息复查: live items with findings they did not have when approved",
        description=(
            "Screen every published item again with the current negative list, lexicon and "
            "leader list (after a leader's title changes, a name is added to the departed "
            "list or a lexicon entry is added) and list the items with new findings, each "
            "with its page and the center's page to correct or retract it."
        ),
    )
    parser.add_argument(
        "--blocks-only", action="store_true", help="report only findings that block"
    )
    add_json_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the re-scan report; exit status 0 whatever it found (it is a report)."""
    with db.transaction() as session:
        report = rescan_published(session, min_severity=BLOCK if args.blocks_only else WARN)
    emit(args, report.to_dict(), report.to_markdown())
    return 0
