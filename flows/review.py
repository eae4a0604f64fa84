"""The `review-publication` flow: one run per publication, from submission to its end.

The ledger is the truth. Each time the flow runs (first start, every resume, a rerun after
a crash) it reads where the item stands, does that step's idempotent side effects and
suspends until a person decides. Decisions are written to the ledger by `pubreview decide`
before the run is resumed, so a run never decides anything itself and never repeats a step.
"""

from __future__ import annotations

import time
import uuid

from prefect import flow, get_run_logger
from prefect.flow_runs import suspend_flow_run
from prefect.runtime import flow_run

from models import Status
from pubreview import settings
from pubreview.errors import NotFound
from tasks.notify_steps import notify
from tasks.release_steps import publish_if_due, schedule_release
from tasks.review_steps import (
    history_artifact,
    load_position,
    open_step,
    read_position,
    render_site,
)


def run_name() -> str:
    """Name the run after its publication: '#12 title'."""
    pub_id = flow_run.parameters.get("publication_id")
    try:
        return f"#{pub_id} {read_position(int(pub_id)).title}"[:120]
    except (NotFound, TypeError, ValueError):
        return f"publication-{pub_id}"


def _label_run(run_id: str, unit: str, category: str, pub_id: int) -> None:
    """Tag the run with unit, category and publication so the UI can filter on them."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        tags = sorted(
            {
                *run.tags,
                "pubreview",
                f"unit:{unit}",
                f"category:{category}",
                f"publication:{pub_id}",
            }
        )
        if tags != sorted(run.tags):
            client.update_flow_run(run_id, tags=tags)


@flow(name="review-publication", flow_run_name=run_name, persist_result=True)
def review_publication(publication_id: int) -> str:
    """Take one publication through 初审 → 审签 → 中心发布, waiting without a process."""
    logger = get_run_logger()
    run_id = str(flow_run.id)
    position = load_position(publication_id)
    _label_run(run_id, position.unit, position.category, publication_id)
    while not position.terminal:
        if position.status == Status.SCHEDULED:
            wait_s = publish_if_due(publication_id)
            if wait_s > settings.load().release_slack_s:
                release = schedule_release(publication_id)
                if release != run_id:
                    logger.info("publication %s goes out in run %s", publication_id, release)
                    history_artifact(publication_id)
                    return position.status
            # This is the release run, started a little early by the runner (it fetches runs
            # due in the next seconds), or the time is near: wait out the rest here.
            time.sleep(wait_s)
            position = load_position(publication_id)
            continue
        opened = open_step(position, run_id)
        if opened:
            logger.info("publication %s now waits on %s", publication_id, position.waiting_key)
        # Every pass notifies (the ledger skips what was sent), so a crash in between loses nothing.
        if notify(position, run_id) or opened:
            history_artifact(publication_id)
        # The next person may be told before this run reaches here (the decision's hand-off
        # tells them at once) and decide at once; a decision's resume waits only so long for
        # this run to suspend, so look once more before suspending on a step already decided.
        fresh = read_position(publication_id)
        if fresh.waiting_key != position.waiting_key:
            position = fresh
            continue
        # A 会签 step is waited on once: a member's decision that does not settle it leaves
        # the waiting key as it is, so its resume finds this run already waiting on the step.
        # A fresh key each time: Prefect refuses a pause key a run already used, and a run
        # that comes back to the same step (a resume without a decision) must wait again.
        suspend_flow_run(
            key=f"{position.waiting_key}:{uuid.uuid4().hex[:8]}",
            timeout=settings.load().suspend_timeout_s,
        )
        position = load_position(publication_id)
    if position.status == Status.PUBLISHED:
        render_site(publication_id)
    notify(position, run_id)
    history_artifact(publication_id)
    logger.info("publication %s finished: %s", publication_id, position.status)
    return position.status


if __name__ == "__main__":
    import sys

    print(review_publication(int(sys.argv[1])))
