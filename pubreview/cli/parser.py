"""The `pubreview` command line."""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from sqlalchemy.exc import OperationalError

from pubreview import ids, ledger
from pubreview.cli.output import os_user
from pubreview.errors import PubreviewError, ValidationError

# Modules under pubreview.cli, each adding its subcommands.
COMMAND_MODULES = [
    "setup",
    "org",
    "chain",
    "chains",
    "delegation",
    "ledger",
    "flows",
    "screen",
    "site",
    "report",
    "stack",
    "web",
    "notify",
    "accounts",
    "requests",
    "columns",
    "rescan",
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="pubreview",
        description="政务公开发布审查: submit → 初审 → 审签 → 中心发布, hash-chained 台帐.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"pubreview.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; a PubreviewError becomes a clear message and exit status 1."""
    args = build_parser().parse_args(argv)
    # Whoever `--as` names, every entry this command writes also names the system account;
    # a command serving others (the web app, the worker) writes as the people it serves.
    operator = None if getattr(args, "serves_others", False) else os_user()
    try:
        _numbers_in_range(args)
        with ledger.operated_by(operator):
            return int(args.handler(args) or 0)
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly.
        sys.stderr.close()
        return 0
    except OperationalError as exc:
        # The database is down or locked: the transaction rolled back, so nothing was written.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return _fail(
            args,
            "DatabaseUnavailable",
            f"the ledger database is unavailable ({reason}); nothing was written, try again",
        )
    except PubreviewError as exc:
        hint = getattr(exc, "cli_hint", None)
        return _fail(args, type(exc).__name__, f"{exc} ({hint})" if hint else str(exc))


def _numbers_in_range(args: argparse.Namespace) -> None:
    """Refuse a number no ledger column can hold before anything reads the ledger."""
    for name, value in vars(args).items():
        if isinstance(value, int) and not isinstance(value, bool) and not ids.in_range(value):
            raise ValidationError(
                f"{name} 的数值 {value} 超出范围（绝对值最大为 {ids.MAX_NUMBER}），未作任何更改"
            )


def _fail(args: argparse.Namespace, kind: str, message: str) -> int:
    """Report an error on stderr (and as JSON with --json); exit status 1."""
    if getattr(args, "json", False):
        json.dump({"error": kind, "message": message}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    print(f"pubreview: error: {message}", file=sys.stderr)
    return 1
