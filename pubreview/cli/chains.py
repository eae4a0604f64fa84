"""`pubreview chain check FILE` and `pubreview chain show ID`: the review chains."""

from __future__ import annotations

import argparse
from pathlib import Path

from pubreview import db
from pubreview.chains.standing import describe, standing
from pubreview.chains.validation import check_file
from pubreview.cli.output import add_json_flag, emit
from pubreview.publishing import catalog as catalog_mod
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
    show.add_argument("publication", type=int)
    add_json_flag(show)
    show.set_defaults(handler=_show)


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
    }
    text = "\n".join(
        [f"{args.file}：检查通过，{len(chain_set.chains)} 条审核链，{len(chain_set.rules)} 条规则"]
        + [
            f"  {name}（版本 {c.version}）："
            + " → ".join(s.label for s in c.steps)
            + ("（默认）" if name == chain_set.default else "")
            for name, c in chain_set.chains.items()
        ]
    )
    emit(args, data, text)
    return 0


def _show(args: argparse.Namespace) -> int:
    with db.snapshot() as session:
        item = standing(session, get(session, args.publication))
    emit(args, item.to_dict(), describe(item))
    return 0
