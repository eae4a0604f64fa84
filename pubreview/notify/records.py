"""Reading deliveries back from the ledger: which notifications never went through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind
from models.base import as_utc, utcnow
from pubreview.notify.entries import Notified

# Outcomes of a NOTIFIED ledger entry. CLAIMED: a sender took the delivery and is sending it;
# its outcome follows (sent, or failed and released), unless the sender died first.
SENT, FAILED, MISROUTED, CLAIMED = "sent", "failed", "misrouted", "claimed"
# How long a claim holds off other senders when its entry names no lease of its own.
DEFAULT_LEASE_S = 300.0


def lease_lapsed(claim: LedgerEntry) -> bool:
    """Whether a claim entry is older than the lease it recorded: its sender is taken as gone."""
    lease = Notified.from_payload(claim.payload or {}).lease_s
    lease = DEFAULT_LEASE_S if lease is None else lease
    return as_utc(claim.created_at) + timedelta(seconds=lease) <= utcnow()


@dataclass(frozen=True)
class FailedDelivery:
    """A delivery whose latest attempt did not go through."""

    event: str
    revision: int | None
    recipient: str
    service: str
    outcome: str
    attempts: int
    error: str | None

    def describe(self) -> str:
        """One line: what, to whom, through what, and why it failed."""
        via = f" via {self.service}" if self.service else ""
        return (
            f"{self.event} r{self.revision} → {self.recipient}{via}: {self.outcome} "
            f"after {self.attempts} attempt(s): {self.error or 'no detail'}"
        )


def failed_deliveries(session: Session, publication_id: int) -> list[FailedDelivery]:
    """Deliveries of a publication that failed or were misrouted and never sent since."""
    latest: dict[str, tuple[LedgerEntry, Notified]] = {}
    for entry in session.scalars(
        select(LedgerEntry)
        .where(
            LedgerEntry.publication_id == publication_id,
            LedgerEntry.kind == LedgerKind.NOTIFIED,
        )
        .order_by(LedgerEntry.id)
    ):
        notified = Notified.from_payload(entry.payload)
        latest[notified.delivery or str(entry.id)] = entry, notified
    # A misrouting or a broken configuration (no service named) is settled once the person
    # was reached through a target added since.
    reached = {(n.event, e.revision, n.recipient) for e, n in latest.values() if e.outcome == SENT}
    return [
        FailedDelivery(
            event=n.event,
            revision=e.revision,
            recipient=n.recipient,
            service=n.service,
            outcome=e.outcome,
            attempts=n.attempt,
            error=n.error if e.outcome != CLAIMED else "its sender stopped before sending",
        )
        for e, n in latest.values()
        if e.outcome != SENT
        and not (not n.service and (n.event, e.revision, n.recipient) in reached)
        # A claim still within its lease is being sent right now.
        and not (e.outcome == CLAIMED and not lease_lapsed(e))
    ]
