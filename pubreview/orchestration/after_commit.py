"""What follows a committed step, whoever took it (command line or web page)."""

from __future__ import annotations

from typing import Any

from models import Unit
from pubreview import db, orchestration
from pubreview.review.submission import get


def after_commit(
    event: str,
    pub_id: int,
    *,
    actor: str,
    resume: bool,
    payload: dict[str, Any] | None = None,
) -> str:
    """Tell Prefect what the ledger now says; the ledger is committed whatever happens here."""
    if not orchestration.prefect_reachable():
        return "Prefect is not reachable: recorded in the ledger; `pubreview reconcile` catches up"
    with db.transaction() as session:
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
