"""The `pubreview` command line."""

from __future__ import annotations

import argparse
import errno
import importlib
import json
import sys

from sqlalchemy.exc import DBAPIError, OperationalError

from pubreview import db, inputs, ledger
from pubreview.cli.output import os_user
from pubreview.errors import PubreviewError, ValidationError

# Which module registers each command, so a command imports only its own module: importing
# all of them (screening, reports, Prefect deployments…) cost every command most of a second.
# tests/cli/test_parser.py checks this against what the modules register.
COMMAND_OWNER = {
    "db": "setup",
    "org": "org",
    "submit": "chain",
    "resubmit": "chain",
    "decide": "chain",
    "status": "chain",
    "chain": "chains",
    "delegate": "delegation",
    "ledger": "ledger",
    "history": "ledger",
    "backup": "ledger",
    "restore": "ledger",
    "worker": "flows",
    "reconcile": "flows",
    "screen": "screen",
    "site": "site",
    "publish": "site",
    "retract": "site",
    "adopt": "site",
    "report": "report",
    "up": "stack",
    "down": "stack",
    "web": "web",
    "outbox": "notify",
    "notify": "notify",
    "user": "accounts",
    "audit": "accounts",
    "request": "requests",
    "case": "requests",
    "columns": "columns",
    "rescan": "rescan",
}
# Modules under pubreview.cli, each adding its subcommands (for help: all of them, in order).
COMMAND_MODULES = list(dict.fromkeys(COMMAND_OWNER.values()))


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser: the command named in `argv` only, or every command (help, unknown)."""
    parser = argparse.ArgumentParser(
        prog="pubreview",
        description="政务公开发布审查: submit → 初审 → 审签 → 中心发布, hash-chained 台帐.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    first = next((a for a in argv or [] if not a.startswith("-")), None)
    owner = COMMAND_OWNER.get(first or "")
    for name in [owner] if owner else COMMAND_MODULES:
        importlib.import_module(f"pubreview.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; a PubreviewError becomes a clear message and exit status 1."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    # Whoever `--as` names, every entry this command writes also names the system account;
    # a command serving others (the web app, the worker) writes as the people it serves.
    operator = None if getattr(args, "serves_others", False) else os_user()
    try:
        _arguments_checked(args)
        with ledger.operated_by(operator):
            return int(args.handler(args) or 0)
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly.
        sys.stderr.close()
        return 0
    except OperationalError as exc:
        # The database is down, locked or out of space: the transaction rolled back, so
        # nothing was written.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if db.disk_full(exc):
            return _fail(
                args,
                "DiskFull",
                f"磁盘空间已满，台帐数据库无法写入（{reason}），未作任何更改，请腾出空间后重试",
            )
        return _fail(
            args,
            "DatabaseUnavailable",
            f"the ledger database is unavailable ({reason}); nothing was written, try again",
        )
    except DBAPIError as exc:
        # Input the database itself refused (a NUL on PostgreSQL, a value too long for its
        # column): the transaction rolled back.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return _fail(args, "DatabaseRefused", f"台帐数据库拒绝了输入（{reason}），未作任何更改")
    except UnicodeDecodeError as exc:
        return _fail(
            args,
            "NotUtf8",
            f"读取的文件不是 UTF-8 编码的文字（第 {exc.start} 字节起），请转为 UTF-8 后重试；"
            "未作任何更改",
        )
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        where = f"，写入 {exc.filename} 时" if exc.filename else ""
        return _fail(
            args, "DiskFull", f"磁盘空间已满或超出配额{where}，请腾出空间后重试（{exc.strerror}）"
        )
    except PubreviewError as exc:
        hint = getattr(exc, "cli_hint", None)
        return _fail(args, type(exc).__name__, f"{exc} ({hint})" if hint else str(exc))


def _arguments_checked(args: argparse.Namespace) -> None:
    """Refuse a number no ledger column can hold, or unusable text, before the ledger is read."""
    for name, value in vars(args).items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and not inputs.in_range(value):
            raise ValidationError(
                f"{name} 的数值 {value} 超出范围（绝对值最大为 {inputs.MAX_NUMBER}），未作任何更改"
            )
        one_line = name in inputs.ONE_LINE_FIELDS
        for text in value if isinstance(value, list) else [value]:
            problem = isinstance(text, str) and inputs.text_problem(text, one_line=one_line)
            if problem:
                raise ValidationError(f"{name} {problem}；未作任何更改")


def _fail(args: argparse.Namespace, kind: str, message: str) -> int:
    """Report an error on stderr (and as JSON with --json); exit status 1."""
    if getattr(args, "json", False):
        json.dump({"error": kind, "message": message}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    print(f"pubreview: error: {message}", file=sys.stderr)
    return 1
