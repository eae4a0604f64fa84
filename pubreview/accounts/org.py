"""Loading the organisation (units, people, roles) from YAML, and asking who may do what."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from models import Person, Role, RoleGrant, Unit, UnitKind
from pubreview import inputs, yamldoc
from pubreview.accounts import roles
from pubreview.errors import NotFound
from pubreview.yamldoc import Doc, Fields


@dataclass(frozen=True)
class OrgSummary:
    """What a load wrote."""

    units: int
    people: int
    grants: int


def _text(
    doc: Doc,
    fields: Fields,
    name: str,
    field: str,
    parent: yaml.Node,
    required: bool = True,
    column: InstrumentedAttribute | None = None,
) -> str | None:
    """One field's text, checked as every input is and against its column's length."""
    node = fields.get(name)
    if node is None:
        if required:
            raise doc.fail(parent, f"{field}.{name}", "缺少此项")
        return None
    value = doc.text(node, f"{field}.{name}")
    problem = inputs.text_problem(value, one_line=True)
    if problem:
        raise doc.fail(node, f"{field}.{name}", problem)
    # The column's length, checked here: PostgreSQL refuses a longer value, SQLite keeps it.
    limit = getattr(column.type, "length", None) if column is not None else None
    if limit and len(value) > limit:
        raise doc.fail(node, f"{field}.{name}", f"有 {len(value)} 个字符，最多 {limit} 个")
    return value


def _one_of(doc: Doc, node: yaml.Node, field: str, value: str, choices: list[str], what: str):
    if value not in choices:
        raise doc.fail(node, field, f"未知{what}「{value}」（可选：{'、'.join(choices)}）")


def parse_org(path: Path) -> tuple[list[dict], list[dict]]:
    """Parse and check an organisation file; every error names its line and field."""
    root = yamldoc.read(path)
    doc = Doc(path, "组织机构文件")
    top = doc.mapping(root, "(顶层)", {"units", "people"})
    units: list[dict] = []
    codes: set[str] = set()
    for i, node in enumerate(doc.sequence(top.get("units", root), "units")):
        with doc.part():
            field = f"units[{i}]"
            f = doc.mapping(node, field, {"code", "name", "kind"}, stop=True)
            code = _text(doc, f, "code", field, node, column=Unit.code)
            if code in codes:
                raise doc.wrong(f, "code", f"单位代码「{code}」重复")
            codes.add(code)
            kind = _text(doc, f, "kind", field, node)
            _one_of(doc, f["kind"], f"{field}.kind", kind, [k.value for k in UnitKind], "单位类型")
            name = _text(doc, f, "name", field, node, column=Unit.name)
            units.append({"code": code, "name": name, "kind": UnitKind(kind)})
    people: list[dict] = []
    usernames: set[str] = set()
    for i, node in enumerate(doc.sequence(top.get("people", root), "people")):
        with doc.part():
            field = f"people[{i}]"
            f = doc.mapping(node, field, {"username", "name", "email", "roles"}, stop=True)
            username = _text(doc, f, "username", field, node, column=Person.username)
            if username in usernames:
                raise doc.wrong(f, "username", f"用户名「{username}」重复")
            usernames.add(username)
            grants = []
            found = len(doc.errors)
            for j, rnode in enumerate(doc.sequence(f.get("roles", node), f"{field}.roles")):
                with doc.part():
                    grants.append(_grant(doc, f"{field}.roles[{j}]", rnode, codes))
            if len(doc.errors) > found:
                continue
            people.append(
                {
                    "username": username,
                    "name": _text(doc, f, "name", field, node, column=Person.name),
                    "email": _text(
                        doc, f, "email", field, node, required=False, column=Person.email
                    ),
                    "roles": grants,
                }
            )
    doc.check()
    return units, people


def _grant(doc: Doc, field: str, node: yaml.Node, codes: set[str]) -> tuple[str, Role]:
    """One `{unit, role}` of a person: a unit defined above, a role pubreview knows."""
    f = doc.mapping(node, field, {"unit", "role"}, stop=True)
    unit = _text(doc, f, "unit", field, node)
    if unit not in codes:
        raise doc.wrong(f, "unit", f"未知单位「{unit}」")
    role = _text(doc, f, "role", field, node)
    _one_of(doc, f["role"], f"{field}.role", role, [r.value for r in Role], "角色")
    return unit, Role(role)


def load_org(session: Session, path: Path, *, actor: str = "system") -> OrgSummary:
    """Load an organisation file: units and people are upserted, each person's roles replaced.

    A changed role of someone already known is an access-audit record (by `actor`).
    """
    units, people = parse_org(path)
    by_code: dict[str, Unit] = {u.code: u for u in session.scalars(select(Unit))}
    for spec in units:
        unit = by_code.get(spec["code"]) or Unit(code=spec["code"])
        unit.name, unit.kind = spec["name"], spec["kind"]
        session.add(unit)
        by_code[unit.code] = unit
    session.flush()
    by_name: dict[str, Person] = {p.username: p for p in session.scalars(select(Person))}
    grants = 0
    for spec in people:
        known = spec["username"] in by_name
        person = by_name.get(spec["username"]) or Person(username=spec["username"])
        person.name, person.email = spec["name"], spec["email"]
        session.add(person)
        session.flush()
        wanted = {(role, by_code[code].id) for code, role in spec["roles"]}
        roles.set_roles(session, person, wanted, actor=actor, via="org-load", audited=known)
        grants += len(wanted)
    session.flush()
    return OrgSummary(len(units), len(people), grants)


def person(session: Session, username: str) -> Person:
    """The person with this username, or NotFound."""
    found = session.scalars(select(Person).where(Person.username == username)).first()
    if found is None:
        raise NotFound(f"unknown user {username!r}")
    return found


def unit(session: Session, code: str) -> Unit:
    """The unit with this code, or NotFound."""
    found = session.scalars(select(Unit).where(Unit.code == code)).first()
    if found is None:
        raise NotFound(f"unknown unit {code!r}")
    return found


def holds(session: Session, person_id: int, role: Role, unit_id: int | None = None) -> bool:
    """Whether the person holds `role` for the unit (for any unit when unit_id is None)."""
    query = select(RoleGrant.id).where(RoleGrant.person_id == person_id, RoleGrant.role == role)
    if unit_id is not None:
        query = query.where(RoleGrant.unit_id == unit_id)
    return session.scalars(query.limit(1)).first() is not None


def holders(session: Session, role: Role, unit_id: int | None = None) -> list[Person]:
    """Everyone holding `role` for the unit (any unit when unit_id is None), by username."""
    query = (
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.role == role)
    )
    if unit_id is not None:
        query = query.where(RoleGrant.unit_id == unit_id)
    return list(session.scalars(query.distinct().order_by(Person.username)))
