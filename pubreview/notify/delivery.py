"""Delivering a message to a person's services: retried with backoff, every attempt in the ledger.

A delivery is (publication, revision, event, recipient, service). Its successful send is
recorded under a dedupe key, which is checked before sending: a flow that runs again never
sends the same message twice through the same service. A failure is recorded and returned,
never raised: the decision that caused the message is committed already and stays so.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from apprise import NotifyFormat
from apprise.plugins.base import NotifyBase
from sqlalchemy import Engine

from models import LedgerKind
from pubreview import db, ledger, settings
from pubreview.notify.config import quiet_apprise
from pubreview.notify.entries import Notified, delivery_key
from pubreview.notify.messages import Message
from pubreview.notify.records import FAILED, MISROUTED, SENT

log = logging.getLogger(__name__)

ALREADY = "already"  # sent by an earlier run: not sent again


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try one service, and how long to wait between tries (doubling each time).

    Apprise also spaces sends through one service (5.5 s for mail): that wait comes on top,
    so a dead server holds a step for about (attempts - 1) × 5.5 s per recipient.
    """

    attempts: int = 3
    backoff_s: float = 1.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """PUBREVIEW_NOTIFY_ATTEMPTS and PUBREVIEW_NOTIFY_BACKOFF_S, else the defaults."""
        return cls(
            attempts=settings.load().notify_attempts,
            backoff_s=settings.load().notify_backoff_s,
        )

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return self.backoff_s * 2 ** (attempt - 1)


@dataclass(frozen=True)
class Delivery:
    """What is being told to whom: the identity of a message, before any service."""

    publication_id: int | None  # None: about something other than a publication (a request)
    revision: int | None
    stage: str
    event: str
    recipient: str

    def key(self, service: str) -> str:
        """The dedupe key of this delivery through one service (its masked URL)."""
        return delivery_key(self.publication_id, self.revision, self.event, self.recipient, service)

    def details(self) -> dict[str, object]:
        """What else the ledger entry should say about the subject (none for a publication)."""
        return {}


@dataclass(frozen=True)
class DeliveryResult:
    """How one delivery through one service ended."""

    service: str
    outcome: str  # SENT, FAILED, MISROUTED or ALREADY
    attempts: int
    error: str | None = None


def service_label(service: NotifyBase) -> str:
    """The service's URL with its secrets masked: safe for the ledger."""
    return service.url(privacy=True)


def _send_once(service: NotifyBase, message: Message) -> tuple[bool, str | None]:
    """One try; Apprise reports failure by return value and log lines, which become the error."""
    html = service.notify_format == NotifyFormat.HTML
    raised = None
    with quiet_apprise() as captured:
        try:
            ok = service.notify(
                body=message.html if html else message.text,
                title=message.subject,
                body_format=NotifyFormat.HTML if html else NotifyFormat.TEXT,
            )
        except Exception as exc:  # a plugin bug must not stop the other deliveries
            ok, raised = False, f"{type(exc).__name__}: {exc}"
    if ok:
        return True, None
    lines = [ln for ln in captured.getvalue().splitlines() if ln.strip()]
    error = raised or " | ".join(lines[-3:]) or "the service reported failure"
    secret = getattr(service, "password", None)
    if secret:
        error = error.replace(str(secret), "****")
    return False, error[:500]


def _record(
    engine: Engine | None,
    delivery: Delivery,
    *,
    outcome: str,
    service: str,
    attempt: int,
    error: str | None,
    flow_run_id: str | None,
    key: str,
) -> None:
    payload = Notified(
        delivery.event, delivery.recipient, service, attempt, error, key, delivery.details()
    )
    entry = {
        "kind": LedgerKind.NOTIFIED,
        "publication_id": delivery.publication_id,
        "revision": delivery.revision,
        "stage": delivery.stage,
        "actor": "system",
        "outcome": outcome,
        "flow_run_id": flow_run_id,
        "payload": payload.to_payload(),
    }
    with db.transaction(engine) as session:
        if outcome not in (SENT, MISROUTED):
            # Only a send closes a delivery; failed attempts may repeat on a later run.
            ledger.append(session, **entry)
        elif not ledger.append_once(session, dedupe_key=key, **entry).recorded:
            # Another run recorded the same send (two runs raced): the message went out twice,
            # but the ledger keeps one record of it.
            log.warning("delivery %s was recorded by another run", key)


def _already_sent(engine: Engine | None, key: str) -> bool:
    with db.transaction(engine) as session:
        return ledger.find_by_key(session, key) is not None


def deliver(
    delivery: Delivery,
    message: Message,
    services: list[NotifyBase],
    *,
    engine: Engine | None = None,
    policy: RetryPolicy | None = None,
    flow_run_id: str | None = None,
) -> list[DeliveryResult]:
    """Send to each service not yet sent to, retrying with backoff; record every attempt."""
    policy = policy or RetryPolicy.from_env()
    if not services:
        key = delivery.key(MISROUTED)
        if not _already_sent(engine, key):
            _record(
                engine,
                delivery,
                outcome=MISROUTED,
                service="",
                attempt=0,
                error=f"no Apprise target is tagged {delivery.recipient}",
                flow_run_id=flow_run_id,
                key=key,
            )
        return [DeliveryResult("", MISROUTED, 0, f"no target tagged {delivery.recipient}")]
    outcomes = []
    for service in services:
        label = service_label(service)
        key = delivery.key(label)
        if _already_sent(engine, key):
            outcomes.append(DeliveryResult(label, ALREADY, 0))
            continue
        for attempt in range(1, policy.attempts + 1):
            ok, error = _send_once(service, message)
            _record(
                engine,
                delivery,
                outcome=SENT if ok else FAILED,
                service=label,
                attempt=attempt,
                error=error,
                flow_run_id=flow_run_id,
                key=key,
            )
            if ok or attempt == policy.attempts:
                outcomes.append(DeliveryResult(label, SENT if ok else FAILED, attempt, error))
                break
            time.sleep(policy.delay(attempt))
    return outcomes


def record_unroutable(
    delivery: Delivery, error: str, *, engine: Engine | None = None, flow_run_id: str | None = None
) -> DeliveryResult:
    """Record that a recipient could not be routed at all (the configuration did not load)."""
    _record(
        engine,
        delivery,
        outcome=FAILED,
        service="",
        attempt=0,
        error=error[:500],
        flow_run_id=flow_run_id,
        key=delivery.key("configuration"),
    )
    return DeliveryResult("", FAILED, 0, error)
