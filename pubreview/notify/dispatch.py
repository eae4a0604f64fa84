"""Telling everyone what a publication's position calls for: read, render, then deliver.

Run by the decision's hand-off, by the review flow after each step opens and when the item
ends, and by the reconcile flow for a delivery whose sender died holding its claim. Everything
is read from the ledger afresh, so running it again is safe: what was sent is not sent again,
and what another sender has claimed is left to it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind
from models.base import utcnow
from pubreview import db, ledger
from pubreview.errors import ValidationError
from pubreview.notify.config import load_routing
from pubreview.notify.delivery import (
    ALREADY,
    ELSEWHERE,
    SENT,
    Delivery,
    DeliveryResult,
    RetryPolicy,
    deliver,
    record_unroutable,
)
from pubreview.notify.entries import Notified, claim_key, release_key
from pubreview.notify.messages import message_for
from pubreview.notify.recipients import notice_for
from pubreview.notify.records import CLAIMED, lease_lapsed
from pubreview.review.submission import get

log = logging.getLogger(__name__)


@dataclass
class NotifyReport:
    """What one pass did: per recipient, how each service went."""

    event: str | None = None
    outcomes: dict[str, list[DeliveryResult]] = field(default_factory=dict)

    @property
    def attempts(self) -> int:
        """Send attempts made in this pass (0 when everything was sent before)."""
        return sum(o.attempts for found in self.outcomes.values() for o in found)

    @property
    def failed(self) -> list[str]:
        """Recipients with a delivery that did not go through."""
        return [
            r
            for r, found in self.outcomes.items()
            if any(o.outcome not in (SENT, ALREADY, ELSEWHERE) for o in found)
        ]


def notify_publication(
    publication_id: int,
    *,
    engine: Engine | None = None,
    flow_run_id: str | None = None,
    policy: RetryPolicy | None = None,
) -> NotifyReport:
    """Send the messages the publication's current position calls for; never raises on a send."""
    # Read-only: planning (who, what, where) must not queue for the write lock the deciders need.
    with db.snapshot(engine) as session:
        notice = notice_for(session, get(session, publication_id))
        if notice is None:
            return NotifyReport()
        try:
            routing = load_routing(session)
            problem = None
        except ValidationError as exc:
            routing, problem = None, str(exc)
        planned = [
            (
                Delivery(publication_id, notice.revision, notice.stage, notice.event, to.username),
                message_for(session, notice, to),
                routing.targets(to.username) if routing else [],
            )
            for to in notice.recipients
        ]
    report = NotifyReport(event=notice.event)
    if problem is not None:
        # A broken configuration reaches nobody; say so once per recipient and go on.
        log.error("notifications not sent: %s", problem)
        for delivery, _, _ in planned:
            report.outcomes[delivery.recipient] = [
                record_unroutable(delivery, problem, engine=engine, flow_run_id=flow_run_id)
            ]
        return report
    for delivery, message, services in planned:
        report.outcomes[delivery.recipient] = deliver(
            delivery, message, services, engine=engine, policy=policy, flow_run_id=flow_run_id
        )
    return report


# How far back the reconcile pass looks for a claim left by a sender that died. It runs every
# few minutes, so a lapsed claim is found on the first pass after its lease; the window only
# keeps each pass from reading every claim ever made.
ABANDONED_WITHIN = timedelta(days=7)


def abandoned_claims(session: Session, *, within: timedelta = ABANDONED_WITHIN) -> list[int]:
    """Publications with a delivery claimed, never sent nor released, and past its lease."""
    claims = session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.kind == LedgerKind.NOTIFIED,
            LedgerEntry.outcome == CLAIMED,
            LedgerEntry.publication_id.is_not(None),
            LedgerEntry.created_at >= utcnow() - within,
        )
    )
    found: set[int] = set()
    for claim in claims:
        if claim.publication_id in found or not lease_lapsed(claim):
            continue
        claimed = Notified.from_payload(claim.payload)
        key, generation = claimed.delivery, claimed.claim
        settled = (
            ledger.find_by_key(session, key),
            ledger.find_by_key(session, claim_key(key, generation + 1)),
            ledger.find_by_key(session, release_key(key, generation)),
        )
        if all(entry is None for entry in settled):
            found.add(claim.publication_id)
    return sorted(found)


def resend_unsent(
    *, engine: Engine | None = None, policy: RetryPolicy | None = None
) -> dict[int, NotifyReport]:
    """Notify again every publication whose message a dead sender claimed and never sent."""
    with db.snapshot(engine) as session:
        publications = abandoned_claims(session)
    reports = {}
    for publication_id in publications:
        report = notify_publication(publication_id, engine=engine, policy=policy)
        reports[publication_id] = report
        if report.attempts:
            log.warning(
                "publication %s: %s sent again, its first sender having stopped",
                publication_id,
                report.event,
            )
    return reports
