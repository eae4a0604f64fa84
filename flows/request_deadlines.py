"""The `request-deadlines` flow: remind handlers before a request's deadline, escalate after it.

Deployed on a daily schedule (deployments/prefect.yaml); safe to run again at any time, since
each notice is sent once (pubreview.notify.reminders). The run's artifact lists every notice.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from pubreview import db
from pubreview.notify.reminders import ReminderRun, send_reminders

ARTIFACT_KEY = "request-deadlines"


def summary_markdown(run: ReminderRun) -> str:
    """The run's artifact: what was sent to whom, what was skipped and why, what went wrong."""
    lines = [
        f"# 依申请公开答复期限提醒 · {run.today.isoformat()}",
        "",
        f"提前 {run.within} 个工作日提醒承办人，到期当天再提醒一次，逾期报负责人；"
        "同一提醒只发一次。",
        "",
    ]
    if run.skipped:
        lines += [f"**未发送：** {run.skipped}", ""]
    rows = run.rows()
    if rows:
        header = list(rows[0])
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(r[h]) for h in header) + " |" for r in rows]
        lines += ["", f"本次发出 {run.sent} 条。"]
    elif not run.skipped:
        lines.append("没有临近或已过答复期限的申请。")
    if run.problems:
        lines += ["", "## 需要处理", ""]
        lines += [f"- {p}".replace("\n", "\n  ") for p in run.problems]
    return "\n".join(lines) + "\n"


@flow(name="request-deadlines")
def request_deadlines(
    within: int | None = None, at: datetime | None = None, database_url: str | None = None
) -> dict:
    """One pass of reminders and escalations; `within` overrides PUBREVIEW_REMINDER_DAYS.

    `at` runs the pass as of another moment (a missed morning caught up, a calendar checked).
    """
    engine = db.engine_for(database_url) if database_url else None
    run = send_reminders(engine, now=at, within=within, flow_run_id=flow_run.get_id())
    logger = get_run_logger()
    logger.info("request deadlines %s: %d sent", run.today.isoformat(), run.sent)
    for problem in run.problems:
        logger.warning(problem)
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=summary_markdown(run))
    return run.to_dict()


if __name__ == "__main__":
    print(request_deadlines())
