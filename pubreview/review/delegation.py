"""代签: a person delegates their roles (all, or one) to another for a period, in the ledger.

A delegation starts with a `delegated` entry and may be revoked by a `delegation_ended` one;
it lapses by itself at its end. Who may decide by delegation is ruled in `deciders`: a delegate
gains only steps the delegator could decide, and separation of duties holds for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Role
from models.base import as_utc, utcnow
from pubreview import ledger
from pubreview.accounts import org
from pubreview.clock import local_time
from pubreview.errors import NotFound, ValidationError
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
