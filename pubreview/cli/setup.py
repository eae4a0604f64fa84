"""`pubreview db upgrade|grant`: create or migrate the ledger database, grant the app role."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from pubreview import db, migrate, settings
from pubreview.cli.output import add_json_flag, emit
from pubreview.ledger.privileges import grant_app_role


def register(sub: argparse._SubParsersAction) -> None:
    """Add the database commands."""
    p = sub.add_parser("db", help="the ledger database")
    db_sub = p.add_subparsers(dest="db_command", required=True, metavar="SUBCOMMAND")
    up = db_sub.add_parser("upgrade", help="create the schema or migrate it to the newest")
    up.add_argument("--app-role", help="PostgreSQL: then (re)grant this application role")
    add_json_flag(up)
    up.set_defaults(handler=_upgrade)
    grant = db_sub.add_parser(
        "grant",
        help="PostgreSQL: create the role the application connects as (no ownership: it "
        "cannot switch off the ledger's triggers); run as the owner after every upgrade",
    )
    grant.add_argument("--app-role", required=True, help="the application's login role")
    grant.add_argument(
        "--password-stdin", action="store_true", help="set the role's password, read from stdin"
    )
    add_json_flag(grant)
    grant.set_defaults(handler=_grant)


def _upgrade(args: argparse.Namespace) -> int:
    url = settings.load().database_url
    settings.load().data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(url)
    emit(args, {"database": url, "migrated": True}, f"database at head: {url}")
    return _grant(args) if args.app_role else 0


def _grant(args: argparse.Namespace) -> int:
    password = sys.stdin.readline().rstrip("\n") if getattr(args, "password_stdin", False) else None
    grants = grant_app_role(db.default_engine(), args.app_role, password)
    made = "created" if grants.created else "updated"
    emit(
        args,
        asdict(grants),
        f"role {grants.role} {made} on {grants.database} (owner {grants.owner}): SELECT and "
        "INSERT on the ledger, rows of the other tables, no ownership\n  "
        + ";\n  ".join(grants.statements),
    )
    return 0
