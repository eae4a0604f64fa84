"""The deployments are declared once (deployments/prefect.yaml); `pubreview worker` serves them."""

from __future__ import annotations

import pytest
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
from prefect.events.schemas.events import Resource

from deployments import serve
from pubreview.orchestration.client import STARTED_BY, publication_resource

# Deployments on a cron schedule (office time).
SCHEDULED = {
    "annual-report",
    "request-deadlines",
    "step-deadlines",
    "ledger-checkpoint",
    "ledger-backup",
    "archive-rescan",
    "column-health",
}


def by_name(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    monkeypatch.delenv("PUBREVIEW_RECONCILE_INTERVAL_S", raising=False)
    monkeypatch.delenv("PUBREVIEW_TIMEZONE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {d.name: d for d in serve.deployments()}


def test_served_deployments_are_the_declared_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    declared = {spec["name"]: spec for spec in serve.declarations()}
    served = by_name(monkeypatch)
    assert set(served) == set(declared) == SCHEDULED | {"review-publication", "reconcile"}
    for name, spec in declared.items():
        assert served[name].entrypoint == spec["entrypoint"]
        assert spec["work_pool"]["name"] == "pubreview"

    (trigger,) = served["review-publication"].triggers
    assert trigger.expect == {"publication.submitted"}
    assert trigger.match.root == {
        "prefect.resource.id": "pubreview.publication.*",
        STARTED_BY: "flow",
    }
    assert trigger.parameters == {"publication_id": "{{ event.payload.publication_id }}"}
    assert not served["review-publication"].schedules

    (yearly,) = [s.schedule for s in served["annual-report"].schedules]
    assert isinstance(yearly, CronSchedule) and yearly.timezone == "Asia/Shanghai"
    minute, hour, day, month, weekday = yearly.cron.split()
    assert (month, weekday) == ("1", "*") and int(day) <= 7  # early January
    # The year is a parameter (default: last year), so the UI's "Run" form asks for it.
    schema = served["annual-report"]._parameter_openapi_schema.model_dump()
    assert "year" in schema["properties"] and "year" not in schema.get("required", [])

    (interval,) = [s.schedule for s in served["reconcile"].schedules]
    assert isinstance(interval, IntervalSchedule) and interval.interval.total_seconds() == 300


def test_reconcile_interval_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not by_name(monkeypatch, PUBREVIEW_RECONCILE_INTERVAL_S="0")["reconcile"].schedules
    (every,) = by_name(monkeypatch, PUBREVIEW_RECONCILE_INTERVAL_S="60")["reconcile"].schedules
    assert every.schedule.interval.total_seconds() == 60


def test_scheduled_flows_run_in_office_time(monkeypatch: pytest.MonkeyPatch) -> None:
    served = by_name(monkeypatch)
    for name in SCHEDULED:
        (cron,) = [s.schedule for s in served[name].schedules]
        assert isinstance(cron, CronSchedule) and cron.timezone == "Asia/Shanghai", name
    (morning,) = [s.schedule for s in served["request-deadlines"].schedules]
    minute, hour, *every_day = morning.cron.split()
    assert every_day == ["*", "*", "*"] and 8 <= int(hour) <= 10  # the office's morning
    # Another office's zone (PUBREVIEW_TIMEZONE) moves every cron with it.
    elsewhere = by_name(monkeypatch, PUBREVIEW_TIMEZONE="Asia/Urumqi")
    for name in SCHEDULED:
        assert elsewhere[name].schedules[0].schedule.timezone == "Asia/Urumqi", name


@pytest.mark.parametrize(("step_worker", "triggered"), [("1", False), ("0", True)])
def test_the_trigger_starts_a_review_run_only_without_the_step_worker(
    monkeypatch: pytest.MonkeyPatch, step_worker: str, triggered: bool
) -> None:
    """The step worker starts each review run itself: its submissions match no trigger, served
    or deployed to a work pool (the same prefect.yaml)."""
    (trigger,) = by_name(monkeypatch, PUBREVIEW_STEP_WORKER=step_worker)[
        "review-publication"
    ].triggers
    submitted = Resource(publication_resource(7, "标题"))
    assert trigger.match.matches(submitted) is triggered
