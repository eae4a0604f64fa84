"""The `column-health` flow: each 栏目's days since its last publication, and when it breaches.

Scheduled every morning: the table (last publication, the last day in date, the breach day,
the inspection's 单项否决 counts of stale and blank columns) is the run's artifact and is shown
on the admin page, so the center sees a column going stale before the inspector does; the
center is also told (once per state of the columns) which are stale, blank or about to breach.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from pubreview import db
from pubreview.errors import ValidationError
from pubreview.labels import DELIVERY_LABEL
from pubreview.notify.center import (
    COLUMNS_EVENT,
    column_findings,
    columns_context,
    tell_center,
)
from pubreview.publishing import catalog as catalog_mod
from pubreview.screening import results
from pubreview.screening.columns import column_health, load_rules

ARTIFACT_KEY = "column-health"


@flow(name="column-health")
def column_health_flow(
    as_of: datetime.date | None = None,
    rules_file: str | None = None,
    database_url: str | None = None,
) -> dict:
    """Assess every column (today by default); the artifact and the admin page show the table."""
    rules = load_rules(Path(rules_file) if rules_file else None)
    catalog = catalog_mod.load()
    if not catalog.categories or not catalog.channels:
        raise ValidationError("栏目目录（catalog）中没有类别或渠道：没有可检查的栏目")
    engine = db.engine_for(database_url) if database_url else None
    with db.transaction(engine) as session:
        report = column_health(session, catalog, rules=rules, as_of=as_of)
    data = report.to_dict()
    results.save(results.COLUMNS, data, flow_run_id=flow_run.get_id())
    told = tell_center(
        COLUMNS_EVENT,
        columns_context(data),
        column_findings(data),
        engine=engine,
        flow_run_id=flow_run.get_id(),
    )
    sent = {
        who: "、".join(DELIVERY_LABEL.get(r.outcome, r.outcome) for r in found)
        for who, found in told.items()
    }
    markdown = report.to_markdown()
    if sent:
        markdown += "\n\n## 已提醒中心\n\n" + "\n".join(f"- {w}：{h}" for w, h in sent.items())
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=markdown + "\n")
    for failure in report.failures:
        get_run_logger().warning(failure)
    return {**data, "told": sent}


if __name__ == "__main__":
    print(column_health_flow())
