"""`pubreview user …` (passwords, disable/enable, second factor) and `pubreview audit`.

A password is read from standard input, never from the command line, where `ps` and the
shell history would show it. These commands are the operator's: each audit record names the
operating-system account that ran it.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

from pubreview import db, settings
from pubreview.accounts import audit, manage, org, passwords
from pubreview.cli.output import add_json_flag, emit, os_user
from pubreview.errors import ValidationError

OPERATOR = "operator"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the user and audit commands."""
    user = sub.add_parser("user", help="accounts: passwords, disable/enable, second factor")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="SUBCOMMAND")
    setpw = user_sub.add_parser(
        "set-password", help="set or reset a password, read from standard input"
    )
    setpw.add_argument("username")
    add_json_flag(setpw)
    setpw.set_defaults(handler=_set_password)
    link = user_sub.add_parser(
        "password-link", help="print a one-time link for the person to choose a password"
    )
    link.add_argument("username")
    add_json_flag(link)
    link.set_defaults(handler=_password_link)
    listing = user_sub.add_parser("list", help="every account: password set, disabled, locked")
    add_json_flag(listing)
    listing.set_defaults(handler=_list)
    for name, helptext in (
        ("disable", "disable an account; its sessions end at once"),
        ("enable", "enable a disabled account"),
        ("unlock", "end a lock-out before its time"),
        ("reset-totp", "forget a person's second factor (a lost phone)"),
    ):
        cmd = user_sub.add_parser(name, help=helptext)
        cmd.add_argument("username")
        add_json_flag(cmd)
        cmd.set_defaults(handler=_change, change=name)
    totp = user_sub.add_parser(
        "require-totp", help="require a one-time code (TOTP) at this person's login"
    )
    totp.add_argument("username")
    totp.add_argument("--off", action="store_true", help="stop requiring it")
    add_json_flag(totp)
    totp.set_defaults(handler=_change, change="require-totp")
    aud = sub.add_parser("audit", help="the access audit: logins, lock-outs, account changes")
    aud.add_argument("--since", help="only events on or after this date (YYYY-MM-DD, office time)")
    aud.add_argument("--limit", type=int, default=200, help="at most this many, newest first")
    add_json_flag(aud)
    aud.set_defaults(handler=_audit)


def _read_password(username: str) -> str:
    """The new password: typed twice at a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"New password for {username}: ")
        if getpass.getpass("Repeat it: ") != first:
            raise ValidationError("两次输入的密码不一致，未作更改")
        return first
    line = sys.stdin.readline()
    password = line.removesuffix("\n").removesuffix("\r")
    if not password:
        raise ValidationError("标准输入中没有密码：请用管道或重定向提供一行密码，未作更改")
    return password


def _set_password(args: argparse.Namespace) -> int:
    password = _read_password(args.username)
    with db.transaction() as session:
        person = org.person(session, args.username)
        passwords.set_password(
            session, person, password, actor=OPERATOR, via="cli", os_user=os_user()
        )
    emit(
        args,
        {"username": args.username, "password_set": True},
        f"password set for {args.username}; their open sessions have ended",
    )
    return 0


def _password_link(args: argparse.Namespace) -> int:
    from pubreview.accounts.password_links import issue_password_link
    from pubreview.links import secret_key, web_url

    with db.transaction() as session:
        person = org.person(session, args.username)
        url = issue_password_link(
            session,
            person,
            secret=secret_key(),
            base_url=web_url(),
            actor=OPERATOR,
            via="cli",
            os_user=os_user(),
        )
    hours = settings.load().password_link_ttl_s // 3600
    emit(
        args,
        {"username": args.username, "url": url, "valid_hours": hours},
        f"{url}\n(one use; valid for {hours} hours; send it to {args.username} privately)",
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        rows = manage.accounts(session)
    lines = []
    for row in rows:
        state = []
        if not row.has_password:
            state.append("no password")
        if row.disabled:
            state.append("DISABLED")
        if row.locked_until:
            state.append(f"locked until {_local(row.locked_until)}")
        if row.totp_enrolled:
            state.append("totp")
        elif row.totp_required:
            state.append("totp required, not enrolled")
        last = _local(row.last_login_at) if row.last_login_at else "never"
        lines.append(
            f"{row.username:<14} {row.name:<6} last login {last:<16} "
            f"sessions {row.live_sessions}  {', '.join(state) or 'ok'}"
        )
    emit(args, [r.to_dict() for r in rows], "\n".join(lines) or "no people loaded")
    return 0


def _change(args: argparse.Namespace) -> int:
    who = {"actor": OPERATOR, "via": "cli", "os_user": os_user()}
    with db.transaction() as session:
        person = org.person(session, args.username)
        if args.change == "disable":
            changed = manage.set_disabled(session, person, True, **who)
            done = "disabled; open sessions ended"
        elif args.change == "enable":
            changed = manage.set_disabled(session, person, False, **who)
            done = "enabled"
        elif args.change == "unlock":
            changed = manage.unlock(session, person, **who)
            done = "unlocked"
        elif args.change == "reset-totp":
            changed = manage.reset_totp(session, person, **who)
            done = "second factor cleared; they enrol again at next login if it is required"
        else:
            changed = manage.set_totp_required(session, person, not args.off, **who)
            done = (
                "no longer required to use a one-time code"
                if args.off
                else ("must use a one-time code (TOTP) from the next login")
            )
    text = f"{args.username}: {done}" if changed else f"{args.username}: nothing to change"
    emit(args, {"username": args.username, "changed": changed, "action": args.change}, text)
    return 0


def _local(moment: datetime) -> str:
    return moment.astimezone(settings.office_timezone()).strftime("%Y-%m-%d %H:%M")


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError as exc:
        raise ValidationError(f"--since {value!r}: expected a date as YYYY-MM-DD") from exc
    return day.replace(tzinfo=settings.office_timezone()).astimezone(UTC)


def _audit(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        records = audit.entries(session, since=_since(args.since), limit=args.limit)
    lines = []
    for r in records:
        detail = ", ".join(f"{k}={v}" for k, v in sorted(r.detail.items()))
        by = f" by {r.actor}" if r.actor and r.actor != r.username else ""
        lines.append(
            f"{_local(r.at)}  #{r.entry_id:<6} {r.event.value:<16} {r.username or '-':<14}"
            f"{by} via {r.via}"
            + (f" from {r.ip}" if r.ip else "")
            + (f"  {detail}" if detail else "")
        )
    emit(args, [r.to_dict() for r in records], "\n".join(lines) or "no access events recorded")
    return 0
