"""What follows a committed step, whoever took it (command line or web page)."""

from __future__ import annotations

from models import Unit
from pubreview import db, orchestration
from pubreview.submission import get


def after_commit(event: str, pub_id: int, *, actor: str, resume: bool) -> str:
    """Tell Prefect what the ledger now says; the ledger is committed whatever happens here."""
    if not orchestration.prefect_reachable():
        return "Prefect is not reachable: recorded in the ledger; `pubreview reconcile` catches up"
    with db.transaction() as session:
        pub = get(session, pub_id)
        unit = session.get(Unit, pub.unit_id).code
        title, run_id = pub.title, pub.flow_run_id
    orchestration.emit(event, pub_id, title=title, unit=unit, actor=actor)
    return orchestration.resume(run_id) if resume else "event sent: the review run starts shortly"
