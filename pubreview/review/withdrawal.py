"""Withdrawing an item (撤销): its submitter takes it back before anyone has decided on it.

Allowed while the current revision has no decision yet (nobody has put their name to it), or
while it is back with the submitter after a return. Withdrawn is terminal: after the commit the
caller resumes the waiting review run, which reads the new status and ends.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import LedgerKind, Publication, Status
from models.base import utcnow
from pubreview import ledger
from pubreview.accounts import org
from pubreview.errors import DecisionRefused
from pubreview.review.entries import Withdrawn, withdrawn_key
from pubreview.review.submission import get

EVENT = "publication.withdrawn"
MAX_REASON = 2000


def refusal(session: Session, pub: Publication, username: str) -> str | None:
    """Why this person may not withdraw the item now, in their words; None when they may."""
    person = org.person(session, username)
    if person.id != pub.submitter_id:
        return f"第 {pub.id} 号信息只能由其报送人撤销"
    if pub.status is Status.WITHDRAWN:
        return f"第 {pub.id} 号信息已经撤销"
    if pub.status is Status.RETURNED:
        return None
    if pub.status is not Status.IN_REVIEW:
        return f"第 {pub.id} 号信息已审核完毕，不能撤销"
    if ledger.decisions_on(session, pub.id, pub.current_revision):
        return f"第 {pub.id} 号信息本稿已有审核决定，不能撤销；如需撤回请联系审核人退回"
    return None


def may_withdraw(session: Session, pub: Publication, username: str) -> bool:
    """Whether the withdraw button is shown to this person."""
    return refusal(session, pub, username) is None


def withdraw(
    session: Session, publication_id: int, username: str, reason: str | None = None
) -> Publication:
    """Record that the submitter withdrew the item; the caller commits, then resumes the run."""
    pub = get(session, publication_id, for_update=True)
    why = refusal(session, pub, username)
    if why is not None:
        raise DecisionRefused(why)
    payload = Withdrawn(pub.status.value, pub.stage.value if pub.stage else None)
    ledger.append(
        session,
        kind=LedgerKind.WITHDRAWN,
        publication_id=pub.id,
        revision=pub.current_revision,
        stage=pub.stage.value if pub.stage else None,
        actor=username,
        outcome="withdrawn",
        comment=((reason or "").strip()[:MAX_REASON] or None),
        payload=payload.to_payload(),
        dedupe_key=withdrawn_key(pub.id),
    )
    pub.status, pub.stage, pub.waiting_since = Status.WITHDRAWN, None, utcnow()
    return pub
