"""An approved item kept off the site because its stored content is no longer what was approved.

The site build refuses such an item (`ContentTampered`). Refusing is not enough on its own: the
ledger records that the item is held and why, once per revision and reason, and the center is
told, so the refusal does not live only in a failed run's log.
"""

from __future__ import annotations

from sqlalchemy import Engine

from models import LedgerKind
from pubreview import db, ledger
from pubreview.notify.center import tell_center
from pubreview.publishing.entries import held_findings, held_key
from pubreview.review.submission import get

HELD_EVENT = "content_held"  # the template folder under templates/notify/


def hold(
    publication_id: int,
    reason: str,
    *,
    engine: Engine | None = None,
    flow_run_id: str | None = None,
) -> bool:
    """Record that the item is held and tell the center; False if this was recorded already."""
    with db.transaction(engine) as session:
        pub = get(session, publication_id)
        title, revision = pub.title, pub.current_revision
        recorded = ledger.append_once(
            session,
            kind=LedgerKind.HELD,
            publication_id=publication_id,
            revision=revision,
            actor="system",
            outcome="held",
            comment=reason,
            flow_run_id=flow_run_id,
            dedupe_key=held_key(publication_id, revision, reason),
        ).recorded
    context = {"publication_id": publication_id, "title": title, "reason": reason}
    tell_center(
        HELD_EVENT,
        context,
        held_findings(publication_id, revision, reason),
        engine=engine,
        flow_run_id=flow_run_id,
    )
    return recorded
