"""The `step-deadlines` flow: remind deciders before a review step's deadline, escalate after it.

Deployed on a daily schedule (deployments/prefect.yaml); safe to run again at any time, since
each notice is sent once (pubreview.notify.step_reminders). The run's artifact lists every notice.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from pubreview import db
from pubreview.notify.step_reminders import StepReminderRun, send_step_reminders

ARTIFACT_KEY = "step-deadlines"


def summary_markdown(run: StepReminderRun) -> str:
    """The run's artifact: what was sent to whom, what was skipped and why, what went wrong."""
    lines = [
        f"# 审核环节期限提醒 · {run.today.isoformat()}",
        "",
        f"提前 {run.within} 个工作日提醒可决定该环节的人员，到期当天再提醒一次，"
        "逾期报分管领导（没有则报管理员）；同一提醒只发一次。",
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
        lines.append("没有临近或已过审核期限的环节。")
    if run.problems:
        lines += ["", "## 需要处理", ""]
        lines += [f"- {p}".replace("\n", "\n  ") for p in run.problems]
    return "\n".join(lines) + "\n"


@flow(name="step-deadlines")
def step_deadlines(
    within: int | None = None, at: datetime | None = None, database_url: str | None = None
) -> dict:
    """One pass of step reminders and escalations; `within` overrides PUBREVIEW_STEP_REMINDER_DAYS.

    `at` runs the pass as of another moment (a missed morning caught up, a calendar checked).
    """
    engine = db.engine_for(database_url) if database_url else None
    run = send_step_reminders(engine, now=at, within=within, flow_run_id=flow_run.get_id())
    logger = get_run_logger()
    logger.info("step deadlines %s: %d sent", run.today.isoformat(), run.sent)
    for problem in run.problems:
        logger.warning(problem)
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=summary_markdown(run))
    return run.to_dict()


if __name__ == "__main__":
    print(step_deadlines())
