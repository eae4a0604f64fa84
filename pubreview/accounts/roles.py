"""Changing who holds which role for which unit — every change in the access audit."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Person, Role, RoleGrant, Unit
from pubreview.accounts import audit
from pubreview.accounts.audit import AccessEvent


def grants_of(session: Session, person_id: int) -> set[tuple[Role, int]]:
    """The (role, unit id) pairs a person holds."""
    rows = session.execute(
        select(RoleGrant.role, RoleGrant.unit_id).where(RoleGrant.person_id == person_id)
    )
    return {(Role(role), unit_id) for role, unit_id in rows}


def _described(session: Session, pairs: set[tuple[Role, int]]) -> list[str]:
    codes = dict(session.execute(select(Unit.id, Unit.code)).all())
    return sorted(f"{role.value}@{codes.get(unit_id, unit_id)}" for role, unit_id in pairs)


def set_roles(
    session: Session,
    person: Person,
    wanted: set[tuple[Role, int]],
    *,
    actor: str,
    via: str = "web",
    ip: str | None = None,
    audited: bool = True,
) -> bool:
    """Make the person hold exactly `wanted`; audit what was added and removed. False: no change.

    `audited=False` is for a person created in the same step (their first roles are part of
    creating them, which the caller records).
    """
    before = grants_of(session, person.id)
    added, removed = wanted - before, before - wanted
    if not added and not removed:
        return False
    for role, unit_id in removed:
        session.execute(
            delete(RoleGrant).where(
                RoleGrant.person_id == person.id,
                RoleGrant.unit_id == unit_id,
                RoleGrant.role == role,
            )
        )
    for role, unit_id in sorted(added):
        session.add(RoleGrant(person_id=person.id, unit_id=unit_id, role=role))
    session.flush()
    if audited:
        audit.record_about(
            session,
            AccessEvent.ROLE_CHANGED,
            person,
            actor=actor,
            ip=ip,
            via=via,
            added=_described(session, added),
            removed=_described(session, removed),
        )
    return True
