"""`pubreview ledger verify|import` and `pubreview history PUB`."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from pubreview import db
from pubreview import ledger as ledger_mod
from pubreview.cli.output import add_json_flag, emit
from pubreview.ledger.importer import import_file
from pubreview.review.status import format_history, history_rows
from pubreview.review.submission import get


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ledger commands."""
    led = sub.add_parser("ledger", help="the 发布台帐: verify the chain, import old 台帐")
    led_sub = led.add_subparsers(dest="ledger_command", required=True, metavar="SUBCOMMAND")
    verify = led_sub.add_parser("verify", help="check the hash chain; exit 1 at the first break")
    verify.add_argument("--expect-head", help="the head hash noted earlier (detects truncation)")
    add_json_flag(verify)
    verify.set_defaults(handler=_verify)
    imp = led_sub.add_parser("import", help="bring an old 台帐 (CSV or XLSX) in as published items")
    imp.add_argument("file", type=Path)
    imp.add_argument("--as", dest="actor", default="import", help="who is importing")
    add_json_flag(imp)
    imp.set_defaults(handler=_import)
    hist = sub.add_parser("history", help="every ledger entry of one publication")
    hist.add_argument("publication", type=int)
    add_json_flag(hist)
    hist.set_defaults(handler=_history)


def _verify(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        result = ledger_mod.verify(session)
    ok = result.ok and (args.expect_head is None or args.expect_head == result.head)
    data = {**result.__dict__, "ok": ok}
    if result.ok and not ok:
        data["reason"] = (
            f"head is {result.head}, expected {args.expect_head}: "
            "entries were removed or added at the end"
        )
    if ok:
        text = f"ledger verified: {result.entries} entries, head {result.head}"
    else:
        text = f"LEDGER BROKEN at entry {data['broken_at']}: {data['reason']}"
    emit(args, data, text)
    return 0 if ok else 1


def _import(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        summary = import_file(session, args.file, args.actor)
    years = ", ".join(f"{year}: {n}" for year, n in sorted(summary.years.items()))
    emit(
        args,
        asdict(summary),
        f"imported {summary.items} items from {args.file} ({summary.published} channel "
        f"publications, {summary.adoptions} adoptions; by year {years}); "
        f"ledger entries {summary.first_entry}–{summary.last_entry}",
    )
    return 0


def _history(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        get(session, args.publication)
        rows = history_rows(session, args.publication)
    emit(args, rows, format_history(rows))
    return 0
