"""The web pages speak of an item's own chain: its steps in their words (保密审查, not `secrecy`),
the waiting step's deadline on the review page and the queue, the item's grade."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from models import Publication
from models.base import utcnow
from pubreview import clock, db
from pubreview.links import ReviewGrant
from pubreview.rendering import render
from pubreview.requests import calendar
from pubreview.requests.deadlines import days_left
from pubreview.review.workflow import Outcome
from pubreview.web.items import decided_before, timeline
from pubreview.web.review import queue_page, review_page
from tests.support.factories import decided, submitted

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_history_and_decided_before_use_the_items_chain_labels(chain_engine: Engine) -> None:
    pub = submitted(chain_engine, category="政务公开")
    decided(chain_engine, pub, "li.na", attest=True)
    decided(chain_engine, pub, "bao.an", Outcome.RETURN, comment="涉及内部数据")
    with db.transaction(chain_engine) as session:
        rows = timeline(session, pub, {})
        mine = decided_before(session, "bao.an")
    stages = {r["stage"] for r in rows if r["kind"] == "审核决定"}
    assert stages == {"初审", "保密审查"}
    assert "secrecy" not in {r["stage"] for r in rows}
    assert [(m["stage"], m["outcome"]) for m in mine] == [("保密审查", "退回修改")]


def test_the_review_page_and_the_queue_show_the_steps_deadline(
    chain_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This year and the next on weekdays alone, so the count does not hang on chinesecalendar.
    year = clock.local(utcnow()).year
    workdays = tmp_path / "workdays.yaml"
    workdays.write_text(f"described_years: [{year - 1}, {year}, {year + 1}]\n", encoding="utf-8")
    monkeypatch.setenv("PUBREVIEW_WORKDAYS", str(workdays))
    pub = submitted(chain_engine, category="政务公开")
    decided(chain_engine, pub, "li.na", attest=True)  # at 保密审查: 3 working days
    cal = calendar.load()
    with db.transaction(chain_engine) as session:
        item = session.get(Publication, pub)
        arrived = clock.local(item.waiting_since).date()
        due = cal.add(arrived, 3).isoformat()
        grant = ReviewGrant("bao.an", pub, "secrecy", 1, 0)
        shown = review_page(session, grant)
        (queued,) = queue_page(session, "bao.an")["items"]
    left = days_left(cal, cal.add(arrived, 3), clock.local(utcnow()).date())
    assert shown["pub"]["grade"] == "一般"
    assert shown["deadline"] == queued["deadline"]
    assert (queued["deadline"]["due_on"], queued["deadline"]["overdue"]) == (due, False)
    assert queued["deadline"]["text"] == (f"还剩 {left} 个工作日" if left else "今天到期")

    # As if the item came to the step two weeks ago: the deadline has passed, in words.
    with db.transaction(chain_engine) as session:
        item = session.get(Publication, pub)
        item.waiting_since = item.waiting_since - timedelta(days=14)
    with db.transaction(chain_engine) as session:
        (queued,) = queue_page(session, "bao.an")["items"]
        html = render("web/queue.html", user=None, **queue_page(session, "bao.an"))
    assert queued["deadline"]["overdue"] and queued["deadline"]["text"].startswith("已逾期")
    assert f'<strong class="warn">期限 {queued["deadline"]["due_on"]}，已逾期' in html
