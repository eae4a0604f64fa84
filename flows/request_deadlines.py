"""The `request-deadlines` flow: remind handlers before a request's deadline, escalate after it.

Deployed on a daily schedule (deployments/prefect.yaml); safe to run again at any time, since
each notice is sent once (pubreview.notify.reminders). The run's artifact lists every notice.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow
from prefect.runtime import flow_run

from flows.deadline_notices import Wording, report
from pubreview import db
from pubreview.notify.reminders import send_reminders

ARTIFACT_KEY = "request-deadlines"


def wording(within: int) -> Wording:
    """This flow's words in its artifact."""
    return Wording(
        "依申请公开答复期限提醒",
        f"提前 {within} 个工作日提醒承办人，到期当天再提醒一次，逾期报负责人；同一提醒只发一次。",
        "没有临近或已过答复期限的申请。",
        "request deadlines",
    )


@flow(name="request-deadlines")
def request_deadlines(
    within: int | None = None, at: datetime | None = None, database_url: str | None = None
) -> dict:
    """One pass of reminders and escalations; `within` overrides PUBREVIEW_REMINDER_DAYS.

    `at` runs the pass as of another moment (a missed morning caught up, a calendar checked).
    """
    engine = db.engine_for(database_url) if database_url else None
    run = send_reminders(engine, now=at, within=within, flow_run_id=flow_run.get_id())
    return report(run, wording(run.within), ARTIFACT_KEY)


if __name__ == "__main__":
    print(request_deadlines())
