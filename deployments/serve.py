"""Declare pubreview's deployments and serve them from this process (the embedded default).

`pubreview worker` runs this. Several can run at once, on several machines, against one
Prefect server and one ledger database: each picks up runs as they become due.
"""

from __future__ import annotations

import os
from datetime import timedelta

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger

from flows.reconcile import reconcile_reviews
from flows.review import review_publication

# How many flow runs one serving process executes at once.
DEFAULT_LIMIT = 8


def review_deployment() -> RunnerDeployment:
    """`review-publication`, started by each `publication.submitted` event."""
    return review_publication.to_deployment(
        name="review-publication",
        description="初审 → 审签 → 中心发布 for one publication; waits suspended for decisions.",
        tags=["pubreview"],
        triggers=[
            DeploymentEventTrigger(
                name="review on publication.submitted",
                expect={"publication.submitted"},
                match={"prefect.resource.id": "pubreview.publication.*"},
                # A single-expression template is passed through tojson: an int stays an int.
                parameters={"publication_id": "{{ event.payload.publication_id }}"},
            )
        ],
    )


def reconcile_deployment() -> RunnerDeployment:
    """`reconcile`, on an interval (PUBREVIEW_RECONCILE_INTERVAL_S; 0 turns the schedule off)."""
    interval_s = int(os.environ.get("PUBREVIEW_RECONCILE_INTERVAL_S", "300"))
    return reconcile_reviews.to_deployment(
        name="reconcile",
        description="Restart or resume review runs wherever Prefect and the ledger disagree.",
        tags=["pubreview"],
        interval=timedelta(seconds=interval_s) if interval_s > 0 else None,
    )


def deployments() -> list[RunnerDeployment]:
    """Every deployment pubreview serves."""
    return [review_deployment(), reconcile_deployment()]


def main() -> None:
    """Serve every deployment until interrupted."""
    serve(*deployments(), limit=int(os.environ.get("PUBREVIEW_WORKER_LIMIT", DEFAULT_LIMIT)))


if __name__ == "__main__":
    main()
