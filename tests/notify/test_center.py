"""The center hears what the scheduled checks found, once per set of findings (the outbox)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.notify.center import (
    COLUMNS_EVENT,
    RESCAN_EVENT,
    column_findings,
    columns_context,
    rescan_findings,
    tell_center,
)
from pubreview.notify.delivery import RetryPolicy
from pubreview.notify.outbox import read_outbox
from pubreview.publishing import catalog as catalog_mod
from pubreview.screening.columns import column_health
from pubreview.screening.links import Site
from pubreview.screening.rescan import rescan_published
from pubreview.screening.screen import load_lists
from tests.support.site import seed_published

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ONCE = RetryPolicy(attempts=1, backoff_s=0)
LEADERS = "leaders:\n  - name: 赵明远\n    title: 局长\n    unit: 市数据局\n"
CENTER = ("wu.gang", "zhou.min")  # the sample organisation's 中心


def _rescan(engine: Engine, leaders: Path) -> dict:
    with db.transaction(engine) as session:
        report = rescan_published(
            session, load_lists(leaders_path=leaders), site=Site("http://www.example.gov.cn/", None)
        )
    return report.to_dict()


def _tell(engine: Engine, report: dict) -> dict:
    return tell_center(RESCAN_EVENT, report, rescan_findings(report), engine=engine, policy=ONCE)


def test_the_center_is_told_once_per_set_of_findings(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    for name in ("PUBREVIEW_APPRISE_CONFIG", "PUBREVIEW_APPRISE_YAML"):
        monkeypatch.delenv(name, raising=False)
    at = datetime(2026, 11, 2, 2, tzinfo=UTC)
    wrong = seed_published(engine, "分工", "副局长赵明远分管数据工作。", at)
    leaders = tmp_path / "leaders.yaml"
    leaders.write_text(LEADERS, encoding="utf-8")
    report = _rescan(engine, leaders)
    assert report["with_new_findings"] == 1
    told = tell_center(RESCAN_EVENT, report, rescan_findings(report), engine=engine, policy=ONCE)
    assert sorted(told) == list(CENTER)
    assert {r.outcome for found in told.values() for r in found} == {"sent"}
    (mail,) = read_outbox("zhou.min")
    assert "1 条在线信息有新发现的问题" in mail.title
    assert f"第 {wrong} 号：分工" in mail.body and "更正或撤回" in mail.body
    # The same findings the next night: not again. A new one: the whole list anew.
    again = _tell(engine, _rescan(engine, leaders))
    assert {r.outcome for found in again.values() for r in found} == {"already"}
    seed_published(engine, "调研", "副局长赵明远带队调研。", at)
    newer = _tell(engine, _rescan(engine, leaders))
    assert {r.outcome for found in newer.values() for r in found} == {"sent"}
    assert len(read_outbox("zhou.min")) == 2 and "2 条在线信息" in read_outbox("zhou.min")[1].title
    # Nothing found, nothing sent.
    assert _tell(engine, {"items": [], "screened": 3}) == {}


def test_the_center_is_warned_of_stale_and_blank_columns_once(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    for name in ("PUBREVIEW_APPRISE_CONFIG", "PUBREVIEW_APPRISE_YAML"):
        monkeypatch.delenv(name, raising=False)
    seed_published(engine, "动态", "召开全体会议。", datetime(2026, 11, 2, 2, tzinfo=UTC))

    def tell(as_of: date) -> dict:
        with db.transaction(engine) as session:
            data = column_health(session, catalog_mod.load(), as_of=as_of).to_dict()
        return tell_center(
            COLUMNS_EVENT, columns_context(data), column_findings(data), engine=engine, policy=ONCE
        )

    first = tell(date(2026, 11, 10))
    assert sorted(first) == list(CENTER)
    (mail,) = read_outbox("zhou.min")
    assert "栏目更新提醒" in mail.title and "空白栏目" in mail.body and "工作动态" in mail.body
    # The next day nothing changed: no second warning. Two weeks on the news column is stale.
    assert {r.outcome for f in tell(date(2026, 11, 11)).values() for r in f} == {"already"}
    assert {r.outcome for f in tell(date(2026, 11, 30)).values() for r in f} == {"sent"}
    assert "已超期未更新" in read_outbox("zhou.min")[-1].body
