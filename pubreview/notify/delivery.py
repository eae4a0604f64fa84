"""Delivering a message to a person's services: retried with backoff, every attempt in the ledger.

A delivery is (publication, revision, event, recipient, service). Two senders may reach the
same delivery at once (the decision's hand-off and the review run's own pass), so a sender
first claims it: a ledger entry under the delivery's claim key, appended in its own short
transaction. The unique dedupe key lets exactly one sender append it; that one sends, and
the other sees the claim and sends nothing. A claim holds for its lease (RetryPolicy.lease_s,
recorded in the claim): a sender that died holding one stops nobody for longer, and the next
pass over the item (a run's, or the reconcile flow's `resend_unsent`) claims again and sends.
A claim whose every attempt failed is released at once, so a later run of the step retries.

The successful send is recorded under the delivery's key: a flow that runs again never sends
the same message twice through the same service. A failure is recorded and returned, never
raised: the decision that caused the message is committed already and stays so.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from apprise import NotifyFormat
from apprise.plugins.base import NotifyBase
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind
from pubreview import db, ledger, settings
from pubreview.notify.config import quiet_apprise
from pubreview.notify.entries import (
    Notified,
    claim_details,
    claim_key,
    delivery_key,
    release_key,
)
from pubreview.notify.messages import Message
from pubreview.notify.records import CLAIMED, DEFAULT_LEASE_S, FAILED, MISROUTED, SENT, lease_lapsed

log = logging.getLogger(__name__)

ALREADY = "already"  # sent by an earlier run: not sent again
ELSEWHERE = "elsewhere"  # another sender holds a live claim on it: that one sends


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try one service, and how long to wait between tries (doubling each time).

    Apprise also spaces sends through one service (5.5 s for mail): that wait comes on top,
    so a dead server holds a step for about (attempts - 1) × 5.5 s per recipient.
    """

    attempts: int = 3
    backoff_s: float = 1.0
    # How long a claim keeps other senders off a delivery. It must outlast a sender's every
    # attempt (Apprise's own timeouts and throttle included), or a slow sender could be
    # taken over and the message go out twice; the reconcile pass re-sends after it lapses.
    lease_s: float = DEFAULT_LEASE_S

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


def _entry(
    delivery: Delivery,
    *,
    outcome: str,
    service: str,
    attempt: int,
    error: str | None,
    flow_run_id: str | None,
    key: str,
    extra: dict[str, object] | None = None,
) -> dict[str, object]:
    payload = Notified(
        delivery.event,
        delivery.recipient,
        service,
        attempt,
        error,
        key,
        {**delivery.details(), **(extra or {})},
    )
    return {
        "kind": LedgerKind.NOTIFIED,
        "publication_id": delivery.publication_id,
        "revision": delivery.revision,
        "stage": delivery.stage,
        "actor": "system",
        "outcome": outcome,
        "flow_run_id": flow_run_id,
        "payload": payload.to_payload(),
    }


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
    released: int | None = None,
) -> None:
    """Record one attempt; `released`: the claim generation this last failed attempt gives up."""
    entry = _entry(
        delivery,
        outcome=outcome,
        service=service,
        attempt=attempt,
        error=error,
        flow_run_id=flow_run_id,
        key=key,
    )
    with db.transaction(engine) as session:
        if outcome not in (SENT, MISROUTED):
            # Only a send closes a delivery; failed attempts may repeat on a later run.
            release = None if released is None else release_key(key, released)
            ledger.append(session, dedupe_key=release, **entry)
        elif not ledger.append_once(session, dedupe_key=key, **entry).recorded:
            # Another sender recorded the same send (it took over a claim whose lease lapsed
            # while this one was still sending): the ledger keeps one record of it.
            log.warning("delivery %s was recorded by another sender", key)


@dataclass(frozen=True)
class ClaimState:
    """Where a delivery stands: sent, or its latest claim and whether that claim still holds."""

    sent: bool
    generation: int  # the latest claim's number; 0 when nobody has claimed it
    held: bool  # that claim is neither released nor past its lease
    claim: LedgerEntry | None = None


def claim_state(session: Session, key: str) -> ClaimState:
    """Read a delivery's send and claims from the ledger (point look-ups by dedupe key)."""
    if ledger.find_by_key(session, key) is not None:
        return ClaimState(sent=True, generation=0, held=False)
    generation, latest = 0, None
    while (found := ledger.find_by_key(session, claim_key(key, generation + 1))) is not None:
        generation, latest = generation + 1, found
    if latest is None:
        return ClaimState(sent=False, generation=0, held=False)
    released = ledger.find_by_key(session, release_key(key, generation)) is not None
    return ClaimState(
        sent=False,
        generation=generation,
        held=not released and not lease_lapsed(latest),
        claim=latest,
    )


def _claim(
    engine: Engine | None,
    delivery: Delivery,
    *,
    service: str,
    key: str,
    policy: RetryPolicy,
    flow_run_id: str | None,
) -> int | str:
    """Claim a delivery in its own transaction: the claim's number, or ALREADY / ELSEWHERE."""
    with db.transaction(engine) as session:
        state = claim_state(session, key)
        if state.sent:
            return ALREADY
        if state.held:
            return ELSEWHERE
        generation = state.generation + 1
        entry = _entry(
            delivery,
            outcome=CLAIMED,
            service=service,
            attempt=0,
            error=None,
            flow_run_id=flow_run_id,
            key=key,
            extra=claim_details(generation, policy.lease_s),
        )
        # Two senders may both find it unclaimed: the unique key lets only one append.
        appended = ledger.append_once(session, dedupe_key=claim_key(key, generation), **entry)
        return generation if appended.recorded else ELSEWHERE


def _still_held(engine: Engine | None, key: str, generation: int) -> bool:
    """Before a retry: nobody sent it or took the claim over while this sender waited."""
    with db.snapshot(engine) as session:
        state = claim_state(session, key)
    return not state.sent and state.generation == generation


def _already_sent(engine: Engine | None, key: str) -> bool:
    with db.snapshot(engine) as session:
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
    """Claim and send to each service not yet sent to, retrying with backoff; record each try."""
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
        claimed = _claim(
            engine, delivery, service=label, key=key, policy=policy, flow_run_id=flow_run_id
        )
        if isinstance(claimed, str):
            outcomes.append(DeliveryResult(label, claimed, 0))
            continue
        outcomes.append(
            _send_claimed(
                engine, delivery, message, service, label, key, claimed, policy, flow_run_id
            )
        )
    return outcomes


def _send_claimed(
    engine: Engine | None,
    delivery: Delivery,
    message: Message,
    service: NotifyBase,
    label: str,
    key: str,
    generation: int,
    policy: RetryPolicy,
    flow_run_id: str | None,
) -> DeliveryResult:
    """Send a delivery this sender holds the claim on, with retries; release it if all fail."""
    result = DeliveryResult(label, FAILED, 0, "no attempt allowed")
    for attempt in range(1, policy.attempts + 1):
        if attempt > 1 and not _still_held(engine, key, generation):
            return DeliveryResult(label, ELSEWHERE, attempt - 1)
        ok, error = _send_once(service, message)
        last = ok or attempt == policy.attempts
        _record(
            engine,
            delivery,
            outcome=SENT if ok else FAILED,
            service=label,
            attempt=attempt,
            error=error,
            flow_run_id=flow_run_id,
            key=key,
            released=generation if last and not ok else None,
        )
        result = DeliveryResult(label, SENT if ok else FAILED, attempt, error)
        if last:
            break
        time.sleep(policy.delay(attempt))
    return result


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
