"""What follows a committed step, whoever took it (command line or web page).

The next person is told here, straight after the commit, rather than when the review run wakes
up: a resumed run is a new Prefect process that takes seconds to start, and a decision should
reach the next reviewer within a second. The run's own notification pass then finds the message
recorded as sent and sends nothing again. Only publication waits for the run, whose site
render must come before anyone is told the item is online.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import OperationalError

from models import Status, Unit
from pubreview import db, orchestration
from pubreview.notify.delivery import RetryPolicy
from pubreview.notify.dispatch import notify_publication
from pubreview.review.submission import get

log = logging.getLogger(__name__)

# Positions whose message needs nothing from the review run.
TOLD_AT_ONCE = frozenset({Status.IN_REVIEW, Status.RETURNED, Status.REJECTED, Status.WITHDRAWN})
# One try here: a person is waiting on the command or page. A failure is recorded, and the
# review run tries again with the full retry policy.
ONE_TRY = RetryPolicy(attempts=1)


def tell_next(pub_id: int) -> None:
    """Send what the item's new position calls for, if it needs nothing from the review run."""
    with db.snapshot() as session:
        pub = get(session, pub_id)
        status, run_id = pub.status, pub.flow_run_id
    if status not in TOLD_AT_ONCE:
        return
    try:
        notify_publication(pub_id, flow_run_id=run_id, policy=ONE_TRY)
    except Exception:  # noqa: BLE001 — the step is committed; the review run notifies again
        log.exception("item %s: telling the next person failed; the review run will", pub_id)


def after_commit(
    event: str,
    pub_id: int,
    *,
    actor: str,
    resume: bool,
    payload: dict[str, Any] | None = None,
) -> str:
    """Tell the next person and Prefect what the ledger now says; the ledger stands regardless."""
    try:
        return _after_commit(event, pub_id, actor=actor, resume=resume, payload=payload)
    except OperationalError:
        # The step is committed; the database went away just after (a restart). Reported as
        # "nothing was written", the person would submit again and the item exist twice.
        log.exception("item %s: the ledger was unreachable right after the commit", pub_id)
        return (
            "recorded in the ledger; the database was unreachable just after, so nobody was told "
            "yet: `pubreview reconcile` catches up"
        )


def _after_commit(
    event: str, pub_id: int, *, actor: str, resume: bool, payload: dict[str, Any] | None
) -> str:
    tell_next(pub_id)
    if not orchestration.prefect_reachable():
        return "Prefect is not reachable: recorded in the ledger; `pubreview reconcile` catches up"
    with db.snapshot() as session:
        pub = get(session, pub_id)
        unit = session.get(Unit, pub.unit_id).code
        title, run_id = pub.title, pub.flow_run_id
        waits_on = orchestration.waiting_key(pub)
        # Where the item stands after the step, so the event feed reads as its history.
        position = {
            "status": pub.status.value,
            "stage": pub.stage.value if pub.stage else None,
            "revision": pub.current_revision,
        }
    orchestration.emit(
        event, pub_id, title=title, unit=unit, actor=actor, payload={**position, **(payload or {})}
    )
    if resume:
        return orchestration.resume(run_id, waits_on)
    if event == "publication.submitted":
        return "event sent: the review run starts shortly"
    return f"event {event} sent"
