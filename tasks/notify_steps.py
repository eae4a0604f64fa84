"""The review flow's notification step: tell whoever the item's position concerns, once."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pubreview.notify.dispatch import notify_publication
from tasks.review_steps import Position


# Never cached: the ledger, not Prefect, knows what was sent. Retries cover a database
# hiccup; a failed send is retried inside (per service, with backoff) and recorded, not raised.
@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def notify_step(position: Position, flow_run_id: str) -> int:
    """Send what the position calls for; returns how many send attempts were made."""
    report = notify_publication(position.publication_id, flow_run_id=flow_run_id)
    if report.failed:
        get_run_logger().warning(
            "publication %s: %s not delivered to %s (see `pubreview status %s`)",
            position.publication_id,
            report.event,
            ", ".join(report.failed),
            position.publication_id,
        )
    return report.attempts


def notify(position: Position, flow_run_id: str) -> int:
    """Run the notification step; a step that still fails after its retries never stops review."""
    state = notify_step(position, flow_run_id, return_state=True)
    if state.is_completed():
        return state.result()
    get_run_logger().error(
        "publication %s: notifying failed (%s); the review goes on",
        position.publication_id,
        state.message,
    )
    return 0
