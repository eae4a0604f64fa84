"""Who hears what: the event a publication's position calls for, and the people to tell.

Step opens → those who decide it (section heads of the unit, its leaders, the center).
Returned, rejected, published → the submitter and whoever approved an earlier stage of that
revision. Withdrawn by its submitter → everyone who was sent a message about that revision.
Only people holding a role on the unit's items (or the center's role) are addressed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Person, Publication, Role, RoleGrant, Stage, Status
from pubreview import ledger
from pubreview.notify.entries import Notified
from pubreview.notify.records import SENT
from pubreview.review import deciders
from pubreview.review.entries import withdrawn_key
from pubreview.review.workflow import Outcome

# The event names double as template folders under templates/notify/.
STEP_EVENTS = ("prereview", "signoff", "publication")
END_EVENTS = {
    Status.RETURNED: "returned",
    Status.REJECTED: "rejected",
    Status.PUBLISHED: "published",
}
# Withdrawn by the submitter: whoever was told of the revision hears that it ended.
WITHDRAWN_EVENT = "withdrawn"
EVENTS = (*STEP_EVENTS, *END_EVENTS.values(), WITHDRAWN_EVENT)


@dataclass(frozen=True)
class Recipient:
    """A person to tell, and why they hear it."""

    username: str
    name: str
    is_submitter: bool


@dataclass(frozen=True)
class Notice:
    """One event of one revision, and everyone who must hear of it."""

    event: str
    publication_id: int
    revision: int
    stage: str  # the stage the event concerns
    recipients: tuple[Recipient, ...]
    decision: LedgerEntry | None  # the decision that caused it (the one before, for a step)


def may_hear(session: Session, person: Person, pub: Publication) -> bool:
    """Whether the person holds a role on the unit's items, or is the center."""
    return (
        session.scalars(
            select(RoleGrant.id)
            .where(
                RoleGrant.person_id == person.id,
                (RoleGrant.unit_id == pub.unit_id) | (RoleGrant.role == Role.CENTER),
            )
            .limit(1)
        ).first()
        is not None
    )


def notice_for(session: Session, pub: Publication) -> Notice | None:
    """What the publication's position calls for telling; None if nothing (retracted, imported)."""
    decided = ledger.decisions_on(session, pub.id, pub.current_revision)
    last = decided[-1] if decided else None
    if pub.status is Status.IN_REVIEW:
        event, stage, people = pub.stage.value, pub.stage.value, deciders.eligible(session, pub)
    elif pub.status in END_EVENTS and last is not None:
        event, stage = END_EVENTS[pub.status], last.stage
        earlier = [e.actor for e in decided if e.outcome == Outcome.APPROVE and e is not last]
        people = [session.get(Person, pub.submitter_id)]
        people += [
            p
            for p in session.scalars(
                select(Person).where(Person.username.in_(earlier)).order_by(Person.username)
            )
            if p.username != last.actor
        ]
    elif pub.status is Status.WITHDRAWN:
        event, stage = WITHDRAWN_EVENT, _withdrawn_stage(session, pub, last)
        people = [p for p in _told_of(session, pub) if p.id != pub.submitter_id]
    else:
        return None
    # Those who may decide the open step may hear of it whatever unit they sit in (a named
    # unit's reviewer, a 会签 member across the office): deciders.eligible said so.
    deciding = pub.status is Status.IN_REVIEW
    recipients = tuple(
        Recipient(p.username, p.name, p.id == pub.submitter_id)
        for p in dict.fromkeys(people)
        if deciding or may_hear(session, p, pub)
    )
    return Notice(event, pub.id, pub.current_revision, stage, recipients, last)


def _withdrawn_stage(session: Session, pub: Publication, last: LedgerEntry | None) -> str:
    """The step the item stood at when withdrawn (the returning step for a returned item)."""
    entry = ledger.find_by_key(session, withdrawn_key(pub.id))
    if entry is not None and entry.stage:
        return entry.stage
    return last.stage if last is not None else Stage.PRE_REVIEW.value


def _told_of(session: Session, pub: Publication) -> list[Person]:
    """Everyone a message about the item's current revision was sent to, by username."""
    told = {
        Notified.from_payload(e.payload or {}).recipient or None
        for e in session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.publication_id == pub.id,
                LedgerEntry.revision == pub.current_revision,
                LedgerEntry.kind == LedgerKind.NOTIFIED,
                LedgerEntry.outcome == SENT,
            )
        )
    }
    return list(
        session.scalars(
            select(Person).where(Person.username.in_(told - {None})).order_by(Person.username)
        )
    )
