"""`pubreview outbox` (read the embedded outbox) and `pubreview notify check` (the routing)."""

from __future__ import annotations

import argparse

from pubreview import db
from pubreview.cli.output import add_json_flag, emit
from pubreview.notify.config import load_routing
from pubreview.notify.outbox import outbox_dir, read_outbox


def register(sub: argparse._SubParsersAction) -> None:
    """Add the notification commands."""
    p = sub.add_parser("outbox", help="messages the embedded outbox (pubreview://) received")
    p.add_argument("--to", metavar="USER", help="only this person's messages")
    add_json_flag(p)
    p.set_defaults(handler=_outbox)

    p = sub.add_parser("notify", help="notification routing (Apprise configuration)")
    notify_sub = p.add_subparsers(dest="notify_command", required=True, metavar="SUBCOMMAND")
    check = notify_sub.add_parser(
        "check", help="load the Apprise configuration and check it against the organisation"
    )
    add_json_flag(check)
    check.set_defaults(handler=_check)


def _outbox(args: argparse.Namespace) -> int:
    messages = read_outbox(args.to)
    text = (
        "\n\n".join(f"── {m.at} → {m.to}\n{m.title}\n\n{m.body.rstrip()}" for m in messages)
        or f"(no messages in {outbox_dir()}{' for ' + args.to if args.to else ''})"
    )
    emit(args, [m.to_dict() for m in messages], text)
    return 0


def _check(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        routing = load_routing(session, strict=True)
        people = {
            str(tag): len(routing.targets(str(tag)))
            for service in routing.apprise
            for tag in service.tags
            if ":" not in str(tag)
        }
    emit(
        args,
        {"source": routing.source, "services": len(routing.apprise), "people": people},
        f"Apprise configuration {routing.source}: {len(routing.apprise)} service(s), "
        f"{len(people)} people reachable; no problems found",
    )
    return 0
