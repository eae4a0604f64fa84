"""The Prefect adapter: events after a ledger write, resuming the waiting run, reconciling.

Only code that runs after a commit (command line, web app, flows) imports this package; the
domain packages never do.
"""

from pubreview.orchestration.client import (
    RESOURCE_PREFIX,
    REVIEW_DEPLOYMENT,
    REVIEW_FLOW,
    ReconcileAction,
    emit,
    needs_resume,
    prefect_reachable,
    reconcile,
    reconcile_pass,
    resume,
    waiting_key,
)

__all__ = [
    "RESOURCE_PREFIX",
    "REVIEW_DEPLOYMENT",
    "REVIEW_FLOW",
    "ReconcileAction",
    "emit",
    "needs_resume",
    "prefect_reachable",
    "reconcile",
    "reconcile_pass",
    "resume",
    "waiting_key",
]
