"""The `archive-rescan` flow: screen everything already published against today's lists.

A leader's title changed, a name joined the no-longer-in-office list, a lexicon entry was
added: items approved before are screened again, and the center gets the list of live items
that now carry a finding, each with its page and the page to correct or retract it (as
`pubreview rescan` prints), once per set of findings. Scheduled nightly; run it from the UI
after changing a list.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from pubreview import db
from pubreview.labels import DELIVERY_LABEL
from pubreview.notify.center import RESCAN_EVENT, rescan_findings, tell_center
from pubreview.screening import results
from pubreview.screening.findings import BLOCK, WARN
from pubreview.screening.rescan import rescan_published

ARTIFACT_KEY = "archive-rescan"


@flow(name="archive-rescan")
def archive_rescan(blocks_only: bool = False, database_url: str | None = None) -> dict:
    """Re-screen the published archive; the artifact and the admin page list what it found."""
    engine = db.engine_for(database_url) if database_url else None
    with db.transaction(engine) as session:
        report = rescan_published(session, min_severity=BLOCK if blocks_only else WARN)
    data = report.to_dict()
    results.save(results.RESCAN, data, flow_run_id=flow_run.get_id())
    told = tell_center(
        RESCAN_EVENT, data, rescan_findings(data), engine=engine, flow_run_id=flow_run.get_id()
    )
    sent = {
        who: "、".join(DELIVERY_LABEL.get(r.outcome, r.outcome) for r in found)
        for who, found in told.items()
    }
    told_lines = [f"- {who}：{how}" for who, how in sent.items()]
    markdown = report.to_markdown()
    if told_lines:
        markdown += "\n\n## 已告知中心\n\n" + "\n".join(told_lines)
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=markdown + "\n")
    get_run_logger().info(
        "re-scanned %d live items: %d with new findings", report.screened, len(report.items)
    )
    return {**data, "told": sent}


if __name__ == "__main__":
    print(archive_rescan())
