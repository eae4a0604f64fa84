"""Telling the center what a re-scan of the published archive found, once per set of findings.

The `archive-rescan` flow runs nightly; the center hears of the live items that now carry a
finding (each with its page and the page to correct or retract it) through the ordinary
delivery path. The key is the findings themselves: the same list on the next night is not sent
again, a new finding sends the whole list anew.
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
from pubreview.notify.messages import render

EVENT = "archive_rescan"  # templates/notify/archive_rescan/


@dataclass(frozen=True)
class ArchiveDelivery(Delivery):
    """The re-scan's findings told to one person of the center."""

    findings: str  # digest of the items and their findings

    def key(self, service: str) -> str:
        """Once per set of findings, recipient and service."""
        digest = hashlib.sha256(service.encode()).hexdigest()[:12]
        return f"notified:{EVENT}:{self.findings}:{self.recipient}:{digest}"

    def details(self) -> dict[str, object]:
        """Which set of findings the entry is about."""
        return {"findings": self.findings}


def findings_digest(report: dict[str, Any]) -> str:
    """A fingerprint of which items carry which findings (not of when the scan ran)."""
    items = sorted(
        (i["publication_id"], sorted(json.dumps(f, sort_keys=True) for f in i["findings"]))
        for i in report["items"]
    )
    return hashlib.sha256(json.dumps(items, ensure_ascii=False).encode()).hexdigest()[:16]


def tell_center(
    report: dict[str, Any],
    *,
    engine: Engine | None = None,
    flow_run_id: str | None = None,
    policy: RetryPolicy | None = None,
) -> dict[str, list[DeliveryResult]]:
    """Send the re-scan report (RescanReport.to_dict()) to the center; nothing when it is clean."""
    if not report["items"]:
        return {}
    digest = findings_digest(report)
    with db.transaction(engine) as session:
        people = org.holders(session, Role.CENTER)
        try:
            routing, problem = load_routing(session), None
        except ValidationError as exc:
            routing, problem = None, str(exc)
        planned = [
            (
                ArchiveDelivery(None, None, EVENT, EVENT, p.username, findings=digest),
                render(EVENT, {**report, "recipient": p.name}),
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
