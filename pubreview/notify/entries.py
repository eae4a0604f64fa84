"""The ledger entry of a delivery (kind NOTIFIED): its typed payload and its dedupe keys.

Each attempt through one service is an entry; a send (or a misrouting) is recorded under the
delivery's key, which is checked before sending, so a flow that runs again never sends twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

_FIELDS = ("event", "recipient", "service", "attempt", "error", "delivery")
# A claim entry's details (outcome claimed): the claim's number and how long it holds, in seconds.
CLAIM, LEASE = "claim", "lease_s"


@dataclass(frozen=True)
class Notified:
    """One attempt to tell one person of one event through one service."""

    event: str
    recipient: str
    service: str  # the service's URL with its secrets masked; empty: no service matched
    attempt: int
    error: str | None
    delivery: str  # the delivery's dedupe key (failed attempts carry it too)
    # What else the entry says about its subject (a request's id and deadline, a findings
    # digest), stored beside the fields above.
    details: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger (the details flat beside the fields)."""
        return {name: getattr(self, name) for name in _FIELDS} | self.details

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Notified:
        """Read an entry's payload back (what is not a field is a detail)."""
        return cls(
            event=payload.get("event", ""),
            recipient=payload.get("recipient", ""),
            service=payload.get("service", ""),
            attempt=payload.get("attempt", 0),
            error=payload.get("error"),
            delivery=payload.get("delivery", ""),
            details={k: v for k, v in payload.items() if k not in _FIELDS},
        )

    @property
    def claim(self) -> int:
        """A claim entry's number (the `generation`-th claim); 0 on any other attempt."""
        return int(self.details.get(CLAIM, 0))

    @property
    def lease_s(self) -> float | None:
        """How long a claim entry holds off other senders; None: it names no lease."""
        lease = self.details.get(LEASE)
        return None if lease is None else float(lease)


def claim_details(generation: int, lease_s: float) -> dict[str, Any]:
    """What a claim entry records beside the Notified fields."""
    return {CLAIM: generation, LEASE: lease_s}


def _service_digest(service: str) -> str:
    # The masked URL may still name a mailbox: the key keeps only a digest of it.
    return hashlib.sha256(service.encode()).hexdigest()[:12]


def delivery_key(
    publication_id: int | None, revision: int | None, event: str, recipient: str, service: str
) -> str:
    """A message about a publication: once per revision, event, recipient and service."""
    where = f"{publication_id}:r{revision}:{event}"
    return f"notified:{where}:{recipient}:{_service_digest(service)}"


def claim_key(delivery: str, generation: int) -> str:
    """A sender's claim on a delivery (the `generation`-th; a new one only once the last lapsed)."""
    return f"{delivery}:claim:{generation}"


def release_key(delivery: str, generation: int) -> str:
    """The claim's holder gave up (every attempt failed): the next run may claim again."""
    return f"{delivery}:released:{generation}"


def center_notice_key(event: str, findings: str, recipient: str, service: str) -> str:
    """A scheduled check's notice to the center: once per set of findings and recipient."""
    return f"notified:{event}:{findings}:{recipient}:{_service_digest(service)}"


def reminder_key(request_id: int, event: str, due_on: date, recipient: str, service: str) -> str:
    """A request's deadline reminder: once per kind and deadline (a new deadline, a new key)."""
    where = f"{request_id}:{event}:{due_on.isoformat()}"
    return f"reminded:request:{where}:{recipient}:{_service_digest(service)}"


def reply_step_key(request_id: int, round_: int, step: str, recipient: str, service: str) -> str:
    """A reply step opened: told once per request, draft round, step, recipient and service."""
    where = f"{request_id}:r{round_}:{step}"
    return f"notified:reply:{where}:{recipient}:{_service_digest(service)}"
