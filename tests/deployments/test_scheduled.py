"""The scheduled deployments on the real stack: registered by `pubreview worker`, and one run."""

from __future__ import annotations

import pytest

from deployments import serve
from tests.support.prefect_stack import PrefectStack, wait_until

pytestmark = pytest.mark.prefect
SCHEDULED = (
    "request-deadlines",
    "ledger-checkpoint",
    "ledger-backup",
    "archive-rescan",
    "column-health",
)


def test_scheduled_deployments_are_served_and_reminders_run(stack: PrefectStack) -> None:
    served = stack.api("POST", "/deployments/filter", {"limit": 100})
    by_name = {d["name"]: d for d in served}
    assert {spec["name"] for spec in serve.declarations()} <= set(by_name)
    for name in SCHEDULED:
        (schedule,) = by_name[name]["schedules"]
        assert schedule["active"] and schedule["schedule"]["timezone"] == "Asia/Shanghai", name

    rid = stack.cli_json(
        "request", "receive", "--as", "zhou.min", "--channel", "当面",
        "--applicant-type", "自然人", "--arrived-on", "2026-09-02",
        "--content", "请公开本机关2025年度行政处罚决定",
    )["id"]  # fmt: skip
    run = stack.api(
        "POST",
        f"/deployments/{by_name['request-deadlines']['id']}/create_flow_run",
        # 09:30 office time on a working day: the request is long overdue by then.
        {"parameters": {"at": "2026-11-05T01:30:00+00:00"}},
    )

    def finished() -> dict | None:
        state = stack.api("GET", f"/flow_runs/{run['id']}")["state"]
        return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED") else None

    assert wait_until(finished, 120, "the request-deadlines run to finish")["type"] == "COMPLETED"
    told = [m for m in stack.cli_json("outbox") if f"第 {rid} 号" in m["title"]]
    assert [(m["to"], "逾期未答复" in m["title"]) for m in told] == [("zeng.xiang", True)]
    (summary,) = stack.api(
        "POST", "/artifacts/latest/filter", {"artifacts": {"key": {"any_": ["request-deadlines"]}}}
    )
    assert f"第 {rid} 号" in summary["data"] and "已发送" in summary["data"]
