"""`pubreview columns`: which columns of the site are out of date, blank, or about to be."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

from pubreview import db
from pubreview.cli.output import add_json_flag, emit
from pubreview.errors import ValidationError
from pubreview.publishing import catalog as catalog_mod
from pubreview.screening.columns import column_health, load_rules


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期应写成 2026-12-01 的形式，而不是 {value!r}") from exc


def register(sub: argparse._SubParsersAction) -> None:
    """Add `columns [--as-of DATE] [--rules PATH] [--json]`."""
    parser = sub.add_parser(
        "columns",
        help="栏目更新情况: stale and blank columns against the inspection's periods",
        description=(
            "For each column (category × channel) of the site: its last publication, the last "
            "day it is still in date, the day it breaches, and whether the inspection's "
            "单项否决 limits on stale and blank columns are reached."
        ),
    )
    parser.add_argument(
        "--as-of", type=_date, metavar="DATE", help="the day to assess (default: today)"
    )
    parser.add_argument(
        "--rules",
        type=Path,
        metavar="PATH",
        help="column rules YAML (default: config/screening/columns.yaml)",
    )
    add_json_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the column report; exit status 0 whatever it says (it is a report, not a gate)."""
    rules = load_rules(args.rules)
    catalog = catalog_mod.load()
    if not catalog.categories or not catalog.channels:
        raise ValidationError("catalog has no categories or no channels: there are no columns")
    with db.transaction() as session:
        report = column_health(session, catalog, rules=rules, as_of=args.as_of)
    emit(args, report.to_dict(), report.to_markdown())
    return 0
