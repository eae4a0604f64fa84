"""`pubreview chain check FILE`, `chain show ID` and `chain reassign ID`: the review chains."""

from __future__ import annotations

import argparse
from pathlib import Path

from pubreview import db
from pubreview.chains.definitions import Chain
from pubreview.chains.standing import describe, standing
from pubreview.chains.validation import check_file
from pubreview.cli.output import add_json_flag, emit
from pubreview.errors import ValidationError
from pubreview.publishing import catalog as catalog_mod
from pubreview.requests import calendar
from pubreview.review import delegation
from pubreview.review.reassignment import reassign
from pubreview.review.submission import get


def register(sub: argparse._SubParsersAction) -> None:
    """Add the chain commands."""
    chain = sub.add_parser("chain", help="review chains (审核链): check a file, show an item's")
    chain_sub = chain.add_subparsers(dest="chain_command", required=True, metavar="SUBCOMMAND")
    check = chain_sub.add_parser(
        "check", help="check a chains file, also against the organisation loaded now"
    )
    check.add_argument("file", type=Path)
    add_json_flag(check)
    check.set_defaults(handler=_check)
    show = chain_sub.add_parser("show", help="an item's chain and where it stands on it")
    show.add_argument("publication", type=int, nargs="?")
    show.add_argument("--request", type=int, help="a disclosure request's reply chain instead")
    add_json_flag(show)
    show.set_defaults(handler=_show)
    moved = chain_sub.add_parser(
        "reassign", help="改派: give the step an item waits on to another person who may decide it"
    )
    moved.add_argument("publication", type=int)
    moved.add_argument("--as", dest="user", required=True, help="the administrator reassigning it")
    moved.add_argument("--to", required=True, help="username of the person to decide it")
    moved.add_argument("--reason", required=True, help="why (recorded in the ledger)")
    moved.add_argument("--seat", help="会签: the member whose seat in this round --to takes")
    add_json_flag(moved)
    moved.set_defaults(handler=_reassign)


def _check(args: argparse.Namespace) -> int:
    with db.snapshot() as session:
        chain_set = check_file(session, args.file, catalog_mod.load())
    data = {
        "ok": True,
        "default": chain_set.default,
        "chains": {
            name: {"version": c.version, "steps": [s.id for s in c.steps]}
            for name, c in chain_set.chains.items()
        },
        "rules": len(chain_set.rules),
        # The office's reply chain (applies_to: reply), checked with the rest; None: built-in.
        "reply": (
            {
                "name": reply.name,
                "version": reply.version,
                "steps": [s.id for s in reply.steps],
            }
            if (reply := chain_set.reply) is not None
            else None
        ),
    }
    replies = "，1 条答复审批链" if reply is not None else "，答复用内置审批链"
    text = "\n".join(
        [
            f"{args.file}：检查通过，{len(chain_set.chains)} 条审核链，"
            f"{len(chain_set.rules)} 条规则{replies}"
        ]
        + [
            f"  {name}（版本 {c.version}）："
            + " → ".join(s.label for s in c.steps)
            + ("（默认）" if name == chain_set.default else "")
            for name, c in chain_set.chains.items()
        ]
        + (
            [f"  {reply.name}（版本 {reply.version}，答复）：" + _reply_steps(reply)]
            if reply is not None
            else []
        )
    )
    emit(args, data, text)
    return 0


def _reply_steps(chain: Chain) -> str:
    """承办 → the chain's steps: the reply's chain starts at the 承办's draft."""
    from pubreview.requests.reply import DRAFT_LABEL  # the request stack: only when declared

    return " → ".join([DRAFT_LABEL] + [s.label for s in chain.steps])


def _show(args: argparse.Namespace) -> int:
    if args.request is not None:
        return _show_reply(args)
    if args.publication is None:
        raise ValidationError("请给出稿件编号，或用 --request 给出申请编号", field="publication")
    with db.snapshot() as session:
        item = standing(session, get(session, args.publication), cal=calendar.load())
    emit(args, item.to_dict(), describe(item))
    return 0


def _show_reply(args: argparse.Namespace) -> int:
    """The reply's chain for one request: its steps, the one awaited and who may decide it."""
    from pubreview.requests import reply  # the request stack: only this command pays for it
    from pubreview.review import deciders

    with db.snapshot() as session:
        last = reply.current(session, args.request)
        if last is None:
            raise ValidationError(f"第 {args.request} 号申请还没有承办答复稿", field="request")
        found = reply.subject(session, args.request)
        waiting_on = [p.username for p in deciders.eligible(session, found)] if found else []
    steps = []
    for step in last.chain.steps:
        settled = last.settled(step.id)
        state = "waiting" if step.id == last.next_step else "ahead"
        if settled is not None:
            state = "done" if settled.outcome == reply.APPROVE else "returned"
        steps.append({"id": step.id, "label": step.label, "state": state})
    data = {
        "request": args.request,
        "round": last.number,
        "chain": last.chain.name,
        "drafter": last.drafter,
        "next_step": last.next_step,
        "signed_on": last.signed_on.isoformat() if last.signed_on else None,
        "steps": steps,
        "waiting_on": waiting_on,
    }
    marks = {"done": "✓", "returned": "✗", "waiting": "→", "ahead": " "}
    text = "\n".join(
        [
            f"第 {args.request} 号申请答复稿（第 {last.number} 稿，{last.chain.name}）："
            + _reply_steps(last.chain)
        ]
        + [f"{marks[s['state']]} {i}. {s['label']}（{s['id']}）" for i, s in enumerate(steps, 1)]
        + ([f"待决定：{'、'.join(waiting_on)}"] if waiting_on else [])
    )
    emit(args, data, text)
    return 0


def _reassign(args: argparse.Namespace) -> int:
    # The after-commit hand-off imports the notification stack: only this command pays for it.
    from pubreview.orchestration.after_commit import tell_next

    with db.transaction() as session:
        delegation.require_may_reassign(session, args.user)
        done = reassign(
            session,
            args.publication,
            to=args.to,
            reason=args.reason,
            actor=args.user,
            via="cli",
            seat=args.seat,
        )
    # The new person is told now; the review run keeps waiting on the same step.
    tell_next(done.publication_id)
    emit(args, done.to_dict(), done.message)
    return 0
