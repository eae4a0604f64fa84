"""`pubreview db upgrade`: create or migrate the ledger database."""

from __future__ import annotations

import argparse

from pubreview import migrate, settings
from pubreview.cli.output import add_json_flag, emit


def register(sub: argparse._SubParsersAction) -> None:
    """Add the database commands."""
    p = sub.add_parser("db", help="the ledger database")
    db_sub = p.add_subparsers(dest="db_command", required=True, metavar="SUBCOMMAND")
    up = db_sub.add_parser("upgrade", help="create the schema or migrate it to the newest")
    add_json_flag(up)
    up.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    url = settings.load().database_url
    settings.load().data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(url)
    emit(args, {"database": url, "migrated": True}, f"database at head: {url}")
    return 0
