"""The center hears of a re-scan's findings once per set of findings, through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.notify.archive import tell_center
from pubreview.notify.delivery import RetryPolicy
from pubreview.notify.outbox import read_outbox
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
    told = tell_center(report, engine=engine, policy=ONCE)
    assert sorted(told) == list(CENTER)
    assert {r.outcome for found in told.values() for r in found} == {"sent"}
    (mail,) = read_outbox("zhou.min")
    assert "1 条在线信息有新发现的问题" in mail.title
    assert f"第 {wrong} 号：分工" in mail.body and "更正或撤回" in mail.body
    # The same findings the next night: not again. A new one: the whole list anew.
    again = tell_center(_rescan(engine, leaders), engine=engine, policy=ONCE)
    assert {r.outcome for found in again.values() for r in found} == {"already"}
    seed_published(engine, "调研", "副局长赵明远带队调研。", at)
    newer = tell_center(_rescan(engine, leaders), engine=engine, policy=ONCE)
    assert {r.outcome for found in newer.values() for r in found} == {"sent"}
    assert len(read_outbox("zhou.min")) == 2 and "2 条在线信息" in read_outbox("zhou.min")[1].title
    # Nothing found, nothing sent.
    assert tell_center({"items": [], "screened": 3}, engine=engine) == {}
