"""Who may open which page or do which action — the one place the web asks.

`require` raises Forbidden with a Chinese explanation; the web answers 403 with it and, since
the exception leaves the transaction, nothing is written. Roles are read fresh on every call,
so a role taken away takes effect on the next request.
"""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Person, Publication, Role, RoleGrant, Unit
from pubreview.chains.binding import chain_of
from pubreview.errors import Forbidden


class Action(enum.StrEnum):
    """What a page or a form wants to do."""

    SUBMIT = "submit"  # submit for a unit: holds submitter there
    VIEW_ITEM = "view_item"  # see one item: its submitter, its reviewers, the center, admin
    CENTER = "center"  # the publication console: holds the center role
    ADMIN = "admin"  # administration: holds the admin role


def _person_id(who: object) -> int:
    person_id = getattr(who, "person_id", None)
    if person_id is None:
        person_id = getattr(who, "id", None)
    if not isinstance(person_id, int):
        raise TypeError(f"not a person: {who!r}")
    return person_id


def _username(session: Session, who: object) -> str:
    username = getattr(who, "username", None)
    if username is None:
        username = session.get(Person, _person_id(who)).username
    return username


def roles_of(session: Session, person_id: int) -> frozenset[tuple[str, int]]:
    """Every (role value, unit id) the person holds."""
    rows = session.execute(
        select(RoleGrant.role, RoleGrant.unit_id).where(RoleGrant.person_id == person_id)
    )
    return frozenset((Role(role).value, unit_id) for role, unit_id in rows)


def _holds(roles: frozenset[tuple[str, int]], role: Role, unit_id: int | None = None) -> bool:
    return any(r == role.value and (unit_id is None or u == unit_id) for r, u in roles)


def _unit_name(session: Session, unit_id: int) -> str:
    unit = session.get(Unit, unit_id)
    return unit.name if unit else f"单位 {unit_id}"


def _may_view(session: Session, who: object, roles: frozenset, pub: Publication) -> bool:
    if pub.submitter_id == _person_id(who):
        return True
    if _holds(roles, Role.CENTER) or _holds(roles, Role.ADMIN):
        return True
    from pubreview.review.deciders import step_scope  # deciders imports the org, which needs us

    for step in chain_of(session, pub).steps:
        if _holds(roles, step.role, step_scope(session, pub, step)):
            return True
    decided = session.scalars(
        select(LedgerEntry.id)
        .where(
            LedgerEntry.publication_id == pub.id,
            LedgerEntry.kind == LedgerKind.DECIDED,
            LedgerEntry.actor == _username(session, who),
        )
        .limit(1)
    ).first()
    return decided is not None


def allowed(
    session: Session,
    who: object,
    action: Action | str,
    *,
    unit_id: int | None = None,
    publication: Publication | None = None,
) -> bool:
    """Whether `require` would let this through (for showing or hiding a link)."""
    try:
        require(session, who, action, unit_id=unit_id, publication=publication)
    except Forbidden:
        return False
    return True


def require(
    session: Session,
    who: object,
    action: Action | str,
    *,
    unit_id: int | None = None,
    publication: Publication | None = None,
) -> None:
    """Raise Forbidden, saying why in Chinese, unless `who` may do `action`."""
    action = Action(action)
    roles = roles_of(session, _person_id(who))
    if action is Action.SUBMIT:
        if unit_id is None:
            if not _holds(roles, Role.SUBMITTER):
                raise Forbidden("您没有任何单位的报送权限，如需报送信息请联系管理员")
        elif not _holds(roles, Role.SUBMITTER, unit_id):
            raise Forbidden(
                f"您不是{_unit_name(session, unit_id)}的报送人，不能以该单位名义报送信息"
            )
    elif action is Action.VIEW_ITEM:
        if publication is None:
            raise TypeError("view_item needs the publication")
        if not _may_view(session, who, roles, publication):
            raise Forbidden(
                "您无权查看这条信息：只有报送人、负责审核它的人员、中心和管理员可以查看"
            )
    elif action is Action.CENTER:
        if not _holds(roles, Role.CENTER):
            raise Forbidden("只有中心发布人员可以使用发布台")
    elif action is Action.ADMIN and not _holds(roles, Role.ADMIN):
        raise Forbidden("只有管理员可以使用系统管理页面")
