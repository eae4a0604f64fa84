"""Scheduled publication (定时发布): an approved item goes out at its publish time, not before.

No process waits for the time: the review run schedules a run of its own deployment at the
publish time and ends; that run puts the item out.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.runtime import deployment, flow_run
from prefect.states import Scheduled

from models import Person, Publication, Status, Unit
from pubreview import db, orchestration, publishing
from pubreview.errors import ContentTampered
from pubreview.publishing.holding import hold
from pubreview.review.submission import get
from pubreview.site.ledger_pages import refuse_tampered_item


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=2)
def publish_if_due(publication_id: int) -> float:
    """Put a scheduled item out if its time has come; return the seconds still to wait (0: out)."""
    try:
        with db.transaction() as session:
            was_published = get(session, publication_id).status is Status.PUBLISHED
            if not was_published:
                refuse_tampered_item(session, publication_id)
            published = publishing.publish_due(session, publication_id)
            pub = get(session, publication_id)
            unit = session.get(Unit, pub.unit_id).code
            entry = publishing.scheduled_approval(session, pub)
            actor = entry.actor if entry else session.get(Person, pub.submitter_id).username
            title = pub.title
            when = publishing.publish_at(session, pub)
    except ContentTampered as exc:
        # Nothing was written (the transaction rolled back): the item stays scheduled, the
        # ledger says why and the center hears of it.
        hold(publication_id, str(exc), flow_run_id=flow_run.id and str(flow_run.id))
        raise
    if published and not was_published:
        orchestration.emit(
            "publication.published",
            publication_id,
            title=title,
            unit=unit,
            actor=actor,
            payload={"status": "published", "scheduled": True},
        )
    if published or when is None:
        return 0.0
    return max(0.0, (when - publishing.local_now()).total_seconds())


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=2)
def schedule_release(publication_id: int) -> str:
    """Create (once) the run that publishes the item at its publish time; return its id."""
    with db.transaction() as session:
        pub = get(session, publication_id)
        when = publishing.publish_at(session, pub)
        revision = pub.current_revision
    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(
            deployment.id,
            parameters={"publication_id": publication_id},
            state=Scheduled(scheduled_time=when),
            # The same release is scheduled once, however often this runs.
            idempotency_key=f"release:{publication_id}:r{revision}",
        )
    with db.transaction() as session:
        session.get(Publication, publication_id, with_for_update=True).flow_run_id = str(run.id)
    return str(run.id)
