"""Serve pubreview's deployments from this process (the embedded default).

The deployments are declared once, in deployments/prefect.yaml, which `prefect deploy` also
reads for a work pool; this module turns the same declarations into served deployments.
`pubreview worker` runs this. Several can run at once, on several machines, against one
Prefect server and one ledger database: each picks up runs as they become due. With
PUBREVIEW_STEP_WORKER on, it also runs the step worker (flows/step_worker.py) on a thread.
"""

from __future__ import annotations

import importlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from prefect import Flow, serve
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentTriggerTypes
from pydantic import TypeAdapter

from pubreview import settings

PREFECT_FILE = Path(__file__).with_name("prefect.yaml")


def declarations(path: Path = PREFECT_FILE) -> list[dict[str, Any]]:
    """The `deployments` entries of prefect.yaml."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["deployments"]


def load_flow(entrypoint: str) -> Flow:
    """The flow behind an entrypoint relative to the repository root, e.g. flows/review.py:f."""
    path, _, name = entrypoint.partition(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, name)


def schedule(spec: dict[str, Any]) -> CronSchedule | IntervalSchedule:
    """A prefect.yaml schedule entry (cron or interval, as this project uses them).

    A cron time is office time: PUBREVIEW_TIMEZONE, whatever zone prefect.yaml names (that
    one, the default office zone, is what `prefect deploy` to a work pool uses).
    """
    if "cron" in spec:
        return CronSchedule(cron=spec["cron"], timezone=settings.load().timezone)
    return IntervalSchedule(interval=timedelta(seconds=spec["interval"]))


def _schedules(spec: dict[str, Any]) -> list[CronSchedule | IntervalSchedule]:
    seconds = settings.load().reconcile_interval_s
    if spec["name"] == "reconcile" and seconds is not None:
        return [IntervalSchedule(interval=timedelta(seconds=seconds))] if seconds > 0 else []
    return [schedule(s) for s in spec.get("schedules") or []]


def _triggers(spec: dict[str, Any]) -> list[Any]:
    adapter = TypeAdapter(DeploymentTriggerTypes)
    return [adapter.validate_python(t) for t in spec.get("triggers") or []]


def to_runner(spec: dict[str, Any]) -> RunnerDeployment:
    """One prefect.yaml deployment as a deployment served from this process."""
    return load_flow(spec["entrypoint"]).to_deployment(
        name=spec["name"],
        description=spec.get("description"),
        tags=spec.get("tags"),
        parameters=spec.get("parameters"),
        schedules=_schedules(spec),
        triggers=_triggers(spec),
    )


def deployments() -> list[RunnerDeployment]:
    """Every deployment pubreview serves."""
    return [to_runner(spec) for spec in declarations()]


def main() -> None:
    """Serve every deployment until interrupted (and move review runs on, if so configured)."""
    config = settings.load()
    if config.step_worker:
        from flows import step_worker

        step_worker.start()
    serve(*deployments(), limit=config.worker_limit)


if __name__ == "__main__":
    main()
