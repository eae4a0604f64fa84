"""Telling the center what a scheduled check found, once per set of findings.

The `archive-rescan` flow tells it of the live items that now carry a finding (each with its
page and the page to correct or retract it); `column-health` of the columns that are stale,
blank or about to breach. Both go through the ordinary delivery path, keyed by the findings
themselves: the same list on the next run is not sent again; anything new sends the list anew.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from models import Role
from pubreview import db
from pubreview.accounts import org
from pubreview.errors import ValidationError
from pubreview.notify.config import load_routing
from pubreview.notify.delivery import (
    Delivery,
    DeliveryResult,
    RetryPolicy,
    deliver,
    record_unroutable,
)
from pubreview.notify.entries import center_notice_key
from pubreview.notify.messages import render

# Event names double as template folders under templates/notify/.
RESCAN_EVENT, COLUMNS_EVENT = "archive_rescan", "column_health"
# Columns worth a word to the center (pubreview.screening.columns statuses).
TOLD_STATUSES = ("stale", "blank", "due_soon")


@dataclass(frozen=True)
class CenterDelivery(Delivery):
    """What a scheduled check found, told to one person of the center."""

    findings: str  # digest of what was found

    def key(self, service: str) -> str:
        """Once per event, set of findings, recipient and service."""
        return center_notice_key(self.event, self.findings, self.recipient, service)

    def details(self) -> dict[str, object]:
        """Which set of findings the entry is about."""
        return {"findings": self.findings}


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:16]


def rescan_findings(report: dict[str, Any]) -> str | None:
    """Which live items carry which findings (RescanReport.to_dict()); None: nothing to tell."""
    items = sorted(
        (i["publication_id"], sorted(json.dumps(f, sort_keys=True) for f in i["findings"]))
        for i in report["items"]
    )
    return _digest(items) if items else None


def column_findings(report: dict[str, Any]) -> str | None:
    """Which columns are stale, blank or due soon, and when (HealthReport.to_dict())."""
    columns = sorted(
        (c["category"], c["channel"], c["status"], c["breach_on"])
        for c in report["columns"]
        if c["status"] in TOLD_STATUSES
    )
    return _digest([columns, report["failures"]]) if columns or report["failures"] else None


def columns_context(report: dict[str, Any]) -> dict[str, Any]:
    """The column-health message's context: the columns the center should act on, worst first."""
    rank = {status: i for i, status in enumerate(TOLD_STATUSES)}
    told = [c for c in report["columns"] if c["status"] in rank]
    return {**report, "told": sorted(told, key=lambda c: (rank[c["status"]], c["breach_on"] or ""))}


def tell_center(
    event: str,
    context: dict[str, Any],
    findings: str | None,
    *,
    engine: Engine | None = None,
    flow_run_id: str | None = None,
    policy: RetryPolicy | None = None,
) -> dict[str, list[DeliveryResult]]:
    """Tell every person of the center about `findings` (once each); nothing when None."""
    if findings is None:
        return {}
    with db.transaction(engine) as session:
        people = org.holders(session, Role.CENTER)
        try:
            routing, problem = load_routing(session), None
        except ValidationError as exc:
            routing, problem = None, str(exc)
        planned = [
            (
                CenterDelivery(None, None, event, event, p.username, findings=findings),
                render(event, {**context, "recipient": p.name}),
                routing.targets(p.username) if routing else [],
            )
            for p in people
        ]
    told: dict[str, list[DeliveryResult]] = {}
    for delivery, message, services in planned:
        if problem is not None:
            told[delivery.recipient] = [
                record_unroutable(delivery, problem, engine=engine, flow_run_id=flow_run_id)
            ]
        else:
            told[delivery.recipient] = deliver(
                delivery, message, services, engine=engine, policy=policy, flow_run_id=flow_run_id
            )
    return told
