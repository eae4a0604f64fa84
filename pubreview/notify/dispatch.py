"""Telling everyone what a publication's position calls for: read, render, then deliver.

Run by the review flow after each step opens and when the item ends. Everything is read
from the ledger afresh, so running it again is safe: what was sent is not sent again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from pubreview import db
from pubreview.errors import ValidationError
from pubreview.notify.config import load_routing
from pubreview.notify.delivery import (
    ALREADY,
    SENT,
    Delivery,
    DeliveryResult,
    RetryPolicy,
    deliver,
    record_unroutable,
)
from pubreview.notify.messages import message_for
from pubreview.notify.recipients import notice_for
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
            if any(o.outcome not in (SENT, ALREADY) for o in found)
        ]


def notify_publication(
    publication_id: int,
    *,
    engine: Engine | None = None,
    flow_run_id: str | None = None,
    policy: RetryPolicy | None = None,
) -> NotifyReport:
    """Send the messages the publication's current position calls for; never raises on a send."""
    with db.transaction(engine) as session:
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
