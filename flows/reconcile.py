"""The `reconcile` flow: restart or resume review runs wherever Prefect and the ledger disagree."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from pubreview.orchestration import reconcile_pass


@flow(name="reconcile")
def reconcile_reviews(stale_after_s: float = 120.0) -> int:
    """One pass of reconciliation; returns how many actions it took."""
    actions = reconcile_pass(stale_after_s)
    for a in actions:
        get_run_logger().info(
            "publication %s: %s %s (%s)", a.publication_id, a.action, a.flow_run_id, a.detail
        )
    if actions:
        create_table_artifact(table=[a.__dict__ for a in actions], key="reconcile-actions")
    return len(actions)


if __name__ == "__main__":
    print(reconcile_reviews())
