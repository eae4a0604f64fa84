"""The organisation as YAML in the format `org load` reads, so an export loads back unchanged."""

from __future__ import annotations

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Person, RoleGrant, Unit


def org_document(session: Session) -> dict:
    """Units, people and their roles as the plain data of an organisation file."""
    units = list(session.scalars(select(Unit).order_by(Unit.code)))
    codes = {u.id: u.code for u in units}
    grants: dict[int, list[tuple[str, str]]] = {}
    for grant in session.scalars(select(RoleGrant)):
        grants.setdefault(grant.person_id, []).append((codes[grant.unit_id], grant.role.value))
    people = []
    for person in session.scalars(select(Person).order_by(Person.username)):
        entry: dict = {"username": person.username, "name": person.name}
        if person.email:
            entry["email"] = person.email
        entry["roles"] = [{"unit": u, "role": r} for u, r in sorted(grants.get(person.id, []))]
        people.append(entry)
    return {
        "units": [{"code": u.code, "name": u.name, "kind": u.kind.value} for u in units],
        "people": people,
    }


def org_yaml(session: Session) -> str:
    """The organisation file text (UTF-8, Chinese left readable)."""
    return yaml.safe_dump(org_document(session), allow_unicode=True, sort_keys=False, width=100)
