"""Loading the organisation (units, people, roles) from YAML, and asking who may do what."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from models import Person, Role, RoleGrant, Unit, UnitKind
from pubreview import inputs
from pubreview.accounts import roles
from pubreview.errors import NotFound, ValidationError


@dataclass(frozen=True)
class OrgSummary:
    """What a load wrote."""

    units: int
    people: int
    grants: int


class _Doc:
    """A YAML node tree that reports errors with the file, line and field path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: yaml.Node, field: str, message: str) -> ValidationError:
        return ValidationError(f"{self.path}: line {node.start_mark.line + 1}: {field}: {message}")

    def mapping(self, node: yaml.Node, field: str, allowed: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, field, "expected a mapping")
        out: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if key.value not in allowed:
                raise self.fail(
                    key,
                    f"{field}.{key.value}",
                    f"unknown field (allowed: {', '.join(sorted(allowed))})",
                )
            out[key.value] = value
        return out

    def sequence(self, node: yaml.Node, field: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, field, "expected a list")
        return list(node.value)

    def text(
        self,
        fields: dict[str, yaml.Node],
        name: str,
        field: str,
        parent: yaml.Node,
        required: bool = True,
        column: InstrumentedAttribute | None = None,
    ) -> str | None:
        node = fields.get(name)
        if node is None:
            if required:
                raise self.fail(parent, f"{field}.{name}", "missing")
            return None
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.fail(node, f"{field}.{name}", "expected a non-empty text")
        value = str(node.value).strip()
        problem = inputs.text_problem(value, one_line=True)
        if problem:
            raise self.fail(node, f"{field}.{name}", problem)
        # The column's length, checked here: PostgreSQL refuses a longer value, SQLite keeps it.
        limit = getattr(column.type, "length", None) if column is not None else None
        if limit and len(value) > limit:
            raise self.fail(node, f"{field}.{name}", f"有 {len(value)} 个字符，最多 {limit} 个")
        return value


def parse_org(path: Path) -> tuple[list[dict], list[dict]]:
    """Parse and check an organisation file; errors name the line and the field."""
    doc = _Doc(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ValidationError(f"{path}: not valid YAML: {exc}") from exc
    if root is None:
        raise ValidationError(f"{path}: the file is empty")
    top = doc.mapping(root, "(top)", {"units", "people"})
    units: list[dict] = []
    codes: set[str] = set()
    for i, node in enumerate(doc.sequence(top.get("units", root), "units")):
        field = f"units[{i}]"
        f = doc.mapping(node, field, {"code", "name", "kind"})
        code = doc.text(f, "code", field, node, column=Unit.code)
        if code in codes:
            raise doc.fail(f["code"], f"{field}.code", f"duplicate unit code {code!r}")
        kind = doc.text(f, "kind", field, node)
        if kind not in {k.value for k in UnitKind}:
            raise doc.fail(
                f["kind"],
                f"{field}.kind",
                f"unknown kind {kind!r} (one of {', '.join(k.value for k in UnitKind)})",
            )
        codes.add(code)
        units.append(
            {
                "code": code,
                "name": doc.text(f, "name", field, node, column=Unit.name),
                "kind": UnitKind(kind),
            }
        )
    people: list[dict] = []
    usernames: set[str] = set()
    for i, node in enumerate(doc.sequence(top.get("people", root), "people")):
        field = f"people[{i}]"
        f = doc.mapping(node, field, {"username", "name", "email", "roles"})
        username = doc.text(f, "username", field, node, column=Person.username)
        if username in usernames:
            raise doc.fail(f["username"], f"{field}.username", f"duplicate username {username!r}")
        usernames.add(username)
        roles = []
        for j, rnode in enumerate(doc.sequence(f.get("roles", node), f"{field}.roles")):
            rfield = f"{field}.roles[{j}]"
            rf = doc.mapping(rnode, rfield, {"unit", "role"})
            unit = doc.text(rf, "unit", rfield, rnode)
            if unit not in codes:
                raise doc.fail(rf["unit"], f"{rfield}.unit", f"unknown unit {unit!r}")
            role = doc.text(rf, "role", rfield, rnode)
            if role not in {r.value for r in Role}:
                raise doc.fail(
                    rf["role"],
                    f"{rfield}.role",
                    f"unknown role {role!r} (one of {', '.join(r.value for r in Role)})",
                )
            roles.append((unit, Role(role)))
        people.append(
            {
                "username": username,
                "name": doc.text(f, "name", field, node, column=Person.name),
                "email": doc.text(f, "email", field, node, required=False, column=Person.email),
                "roles": roles,
            }
        )
    return units, people


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
