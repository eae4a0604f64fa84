"""`pubreview delegate grant|revoke|list`: 代签 delegations, recorded in the ledger.

`--as` names who gives or revokes one; `review.delegation` says whether they may (the delegator
themself or an administrator). Every entry also records the operating-system account.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from models import Role
from pubreview import db, settings
from pubreview.cli.output import add_json_flag, emit
from pubreview.clock import local_time
from pubreview.errors import ValidationError
from pubreview.labels import ROLE_LABEL
from pubreview.review import delegation


def _when(value: str) -> datetime:
    """A date or date-time from the command line, in office time when it names no zone."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"时间「{value}」应写成 2026-12-31 或 2026-12-31T18:00") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.office_timezone())


def register(sub: argparse._SubParsersAction) -> None:
    """Add the delegate commands."""
    dlg = sub.add_parser("delegate", help="代签: let one person decide for another for a period")
    dlg_sub = dlg.add_subparsers(dest="delegate_command", required=True, metavar="SUBCOMMAND")
    grant = dlg_sub.add_parser("grant", help="delegate one role, or all, until a time")
    grant.add_argument(
        "--as", dest="user", required=True, help="who records it: the delegator or an admin"
    )
    grant.add_argument("--from", dest="delegator", required=True, help="who delegates")
    grant.add_argument("--to", dest="delegate", required=True, help="who decides for them")
    grant.add_argument("--role", choices=[r.value for r in Role if r is not Role.SUBMITTER])
    grant.add_argument("--starts", type=_when, help="from (default: now)")
    grant.add_argument("--until", type=_when, required=True, help="until, e.g. 2026-12-31T18:00")
    grant.add_argument("--reason")
    add_json_flag(grant)
    grant.set_defaults(handler=_grant)
    revoke = dlg_sub.add_parser("revoke", help="end a delegation now")
    revoke.add_argument("id", type=int)
    revoke.add_argument(
        "--as", dest="user", required=True, help="who revokes it: the delegator or an admin"
    )
    revoke.add_argument("--reason")
    add_json_flag(revoke)
    revoke.set_defaults(handler=_revoke)
    listing = dlg_sub.add_parser("list", help="every delegation and whether it is in force")
    add_json_flag(listing)
    listing.set_defaults(handler=_list)


def _grant(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        delegation.require_may_grant(session, args.user, args.delegator)
        made = delegation.grant(
            session,
            delegator=args.delegator,
            delegate=args.delegate,
            role=Role(args.role) if args.role else None,
            starts=args.starts,
            ends=args.until,
            actor=args.user,
            reason=args.reason,
        )
    role = ROLE_LABEL[made.role.value] if made.role else "全部角色"
    emit(
        args,
        {"id": made.id, "delegator": made.delegator, "delegate": made.delegate},
        f"已记录第 {made.id} 号代签委托：{made.delegate} 代 {made.delegator}（{role}），"
        f"{local_time(made.starts)} 至 {local_time(made.ends)}",
    )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        delegation.require_may_revoke(session, args.user, args.id)
        delegation.revoke(session, args.id, actor=args.user, reason=args.reason)
    emit(args, {"id": args.id, "revoked": True}, f"第 {args.id} 号代签委托已撤销")
    return 0


def _list(args: argparse.Namespace) -> int:
    with db.snapshot() as session:
        items = delegation.delegations(session)
    rows = [
        {
            "id": d.id,
            "delegator": d.delegator,
            "delegate": d.delegate,
            "role": d.role.value if d.role else None,
            "starts": d.starts.isoformat(),
            "ends": d.ends.isoformat(),
            "active": d.active(),
        }
        for d in items
    ]
    text = "\n".join(
        f"#{d.id} {d.delegate} 代 {d.delegator}"
        f"（{ROLE_LABEL[d.role.value] if d.role else '全部角色'}）"
        f" {local_time(d.starts)} 至 {local_time(d.ends)}："
        + ("有效" if d.active() else d.why_not())
        for d in items
    )
    emit(args, rows, text or "（没有代签委托）")
    return 0
