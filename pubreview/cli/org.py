"""`pubreview org load FILE` and `pubreview org show`."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Person, Unit
from pubreview import db, migrate, settings
from pubreview.accounts.org import load_org
from pubreview.chains import selection
from pubreview.chains.validation import check_org
from pubreview.cli.output import add_json_flag, emit
from pubreview.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the org commands."""
    org = sub.add_parser("org", help="the organisation: units, people, roles")
    org_sub = org.add_subparsers(dest="org_command", required=True, metavar="SUBCOMMAND")
    load = org_sub.add_parser("load", help="load units, people and roles from a YAML file")
    load.add_argument("file", type=Path)
    add_json_flag(load)
    load.set_defaults(handler=_load)
    show = org_sub.add_parser("show", help="list units, people and their roles")
    add_json_flag(show)
    show.set_defaults(handler=_show)


def _load(args: argparse.Namespace) -> int:
    migrate.upgrade(settings.load().database_url)
    with db.transaction() as session:
        summary = load_org(session, args.file)
        # The org and the chains are checked against each other: a step nobody in the new
        # organisation could decide refuses the load (the transaction rolls back).
        chain_set = selection.configured()
        stranded = check_org(session, chain_set)
        if stranded:
            raise ValidationError(
                f"{args.file}：组织架构未载入，审核链中有环节无人可决定：\n" + "\n".join(stranded)
            )
    emit(
        args,
        summary.__dict__,
        f"loaded {summary.units} units, {summary.people} people, {summary.grants} role grants",
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        units = {u.id: u for u in session.scalars(select(Unit).order_by(Unit.code))}
        people = session.scalars(
            select(Person).options(selectinload(Person.grants)).order_by(Person.username)
        ).all()
        data = {
            "units": [
                {"code": u.code, "name": u.name, "kind": u.kind.value} for u in units.values()
            ],
            "people": [
                {
                    "username": p.username,
                    "name": p.name,
                    "roles": [
                        {"unit": units[g.unit_id].code, "role": g.role.value}
                        for g in sorted(p.grants, key=lambda g: (g.unit_id, g.role))
                    ],
                }
                for p in people
            ],
        }
    text = "\n".join(
        [f"{u['code']:<10} {u['name']} ({u['kind']})" for u in data["units"]]
        + [""]
        + [
            f"{p['username']:<12} {p['name']}: "
            + ", ".join(f"{r['role']}@{r['unit']}" for r in p["roles"])
            for p in data["people"]
        ]
    )
    emit(args, data, text)
    return 0
