"""The `reconcile` flow: restart or resume review runs wherever Prefect and the ledger disagree."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from pubreview import db
from pubreview.notify.dispatch import resend_unsent
from pubreview.orchestration import reconcile


@flow(name="reconcile")
def reconcile_reviews(stale_after_s: float = 120.0) -> int:
    """One pass of reconciliation; returns how many actions it took."""
    with db.transaction() as session:
        actions = reconcile(session, stale_after_s=stale_after_s)
    for a in actions:
        get_run_logger().info(
            "publication %s: %s %s (%s)", a.publication_id, a.action, a.flow_run_id, a.detail
        )
    if actions:
        create_table_artifact(table=[a.__dict__ for a in actions], key="reconcile-actions")
    # A message whose sender died holding its claim goes out once the claim's lease lapses.
    resent = [pub_id for pub_id, report in resend_unsent().items() if report.attempts]
    for pub_id in resent:
        get_run_logger().info("publication %s: a message its sender never sent went out", pub_id)
    return len(actions) + len(resent)


if __name__ == "__main__":
    print(reconcile_reviews())
