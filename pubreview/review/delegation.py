"""代签: a person delegates their roles (all, or one) to another for a period, in the ledger.

A delegation starts with a `delegated` entry and may be revoked by a `delegation_ended` one;
it lapses by itself at its end. Who may decide by delegation is ruled in `deciders`: a delegate
gains only steps the delegator could decide, and separation of duties holds for both.

Who may give or end a delegation, and who may reassign a step (改派), is ruled here once, for
the web pages and the command line alike: a delegation is given or revoked by the delegator
themself or an administrator (for someone on leave); only an administrator reassigns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Person, Role
from models.base import as_utc, utcnow
from pubreview import ledger
from pubreview.accounts import org
from pubreview.clock import local_time
from pubreview.errors import Forbidden, NotFound, ValidationError
from pubreview.labels import ROLE_LABEL
from pubreview.review.entries import Delegated, DelegationEnded, delegation_ended_key


@dataclass(frozen=True)
class Delegation:
    """One delegation, as its ledger entries say."""

    id: int  # the `delegated` entry
    delegator: str
    delegate: str
    role: Role | None  # None: every role the delegator holds
    starts: datetime
    ends: datetime
    revoked_at: datetime | None = None

    def active(self, at: datetime | None = None) -> bool:
        """In force at `at` (now): started, not ended, not revoked."""
        at = at or utcnow()
        return self.starts <= at < self.ends and (self.revoked_at is None or at < self.revoked_at)

    def covers(self, role: Role) -> bool:
        """Whether the delegation is of this role."""
        return self.role is None or self.role is role

    def why_not(self, at: datetime | None = None) -> str:
        """Why the delegation is not in force, in words for the delegate."""
        at = at or utcnow()
        if self.revoked_at is not None and at >= self.revoked_at:
            return f"已于 {local_time(self.revoked_at)} 撤销"
        if at < self.starts:
            return f"自 {local_time(self.starts)} 起才生效"
        return f"已于 {local_time(self.ends)} 到期"


def grant(
    session: Session,
    *,
    delegator: str,
    delegate: str,
    ends: datetime,
    role: Role | None = None,
    starts: datetime | None = None,
    actor: str,
    reason: str | None = None,
) -> Delegation:
    """Record a delegation (caller commits); refused when it could never be used."""
    giver, taker = org.person(session, delegator), org.person(session, delegate)
    if giver.id == taker.id:
        raise ValidationError("代签：不能委托给本人", field="delegate")
    starts = as_utc(starts) if starts else utcnow()
    ends = as_utc(ends)
    if ends <= starts or ends <= utcnow():
        raise ValidationError("代签：结束时间须晚于开始时间和当前时间", field="ends")
    if role is not None and not org.holds(session, giver.id, role):
        raise ValidationError(
            f"代签：{giver.name}（{giver.username}）不是{ROLE_LABEL[role.value]}，无此角色可委托",
            field="role",
        )
    entry = ledger.append(
        session,
        kind=LedgerKind.DELEGATED,
        actor=actor,
        comment=(reason or "").strip() or None,
        payload=Delegated(
            giver.username,
            taker.username,
            role.value if role else None,
            starts.isoformat(),
            ends.isoformat(),
        ).to_payload(),
    )
    return Delegation(entry.id, giver.username, taker.username, role, starts, ends)


def revoke(session: Session, delegation_id: int, *, actor: str, reason: str | None = None) -> None:
    """End a delegation now (caller commits); a second revocation changes nothing."""
    if delegation_id not in {d.id for d in delegations(session)}:
        raise NotFound(f"没有第 {delegation_id} 号代签委托")
    ledger.append_once(
        session,
        kind=LedgerKind.DELEGATION_ENDED,
        actor=actor,
        comment=(reason or "").strip() or None,
        payload=DelegationEnded(delegation_id).to_payload(),
        dedupe_key=delegation_ended_key(delegation_id),
    )


def delegations(session: Session) -> list[Delegation]:
    """Every delegation ever recorded, oldest first."""
    rows = session.execute(
        select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.payload, LedgerEntry.created_at)
        .where(LedgerEntry.kind.in_([LedgerKind.DELEGATED, LedgerKind.DELEGATION_ENDED]))
        .order_by(LedgerEntry.id)
    ).all()
    ended = {
        DelegationEnded.from_payload(r.payload).delegation: as_utc(r.created_at)
        for r in rows
        if r.kind == LedgerKind.DELEGATION_ENDED
    }
    given = [
        (r.id, Delegated.from_payload(r.payload)) for r in rows if r.kind == LedgerKind.DELEGATED
    ]
    return [
        Delegation(
            id=entry_id,
            delegator=d.delegator,
            delegate=d.delegate,
            role=Role(d.role) if d.role else None,
            starts=as_utc(datetime.fromisoformat(d.starts)),
            ends=as_utc(datetime.fromisoformat(d.ends)),
            revoked_at=ended.get(entry_id),
        )
        for entry_id, d in given
    ]


def held_by(session: Session, delegate: str) -> list[Delegation]:
    """The delegations made to this person, in force or not, newest first."""
    return [d for d in reversed(delegations(session)) if d.delegate == delegate]


def may_act_for(actor: str, delegator: str, *, admin: bool) -> bool:
    """Whether `actor` may give or end a delegation of `delegator`'s: themself, or an admin."""
    return actor == delegator or admin


def _acting(session: Session, actor: str) -> tuple[Person, bool]:
    """The acting person (NotFound for an unknown username) and whether they are an admin."""
    person = org.person(session, actor)
    return person, org.holds(session, person.id, Role.ADMIN)


def require_may_grant(session: Session, actor: str, delegator: str) -> None:
    """Forbidden unless `actor` is the delegator themself or an administrator."""
    person, admin = _acting(session, actor)
    if not may_act_for(person.username, delegator, admin=admin):
        raise Forbidden(
            f"只有管理员可以为他人设置代签委托，{person.name}（{person.username}）只能为本人设置"
        )


def require_may_revoke(session: Session, actor: str, delegation_id: int) -> Delegation:
    """The delegation, which `actor` (its delegator or an administrator) may end; else refused."""
    found = {d.id: d for d in delegations(session)}.get(delegation_id)
    if found is None:
        raise NotFound(f"没有第 {delegation_id} 号代签委托")
    person, admin = _acting(session, actor)
    if not may_act_for(person.username, found.delegator, admin=admin):
        raise Forbidden(
            f"只有委托人本人或管理员可以撤销这项代签委托，{person.name}（{person.username}）"
            f"不是第 {delegation_id} 号委托的委托人"
        )
    return found


def require_may_reassign(session: Session, actor: str) -> Person:
    """The acting person, who must be an administrator to reassign a step (改派)."""
    person, admin = _acting(session, actor)
    if not admin:
        raise Forbidden(f"只有管理员可以改派审核环节，{person.name}（{person.username}）不是管理员")
    return person
