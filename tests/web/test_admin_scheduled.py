"""What the scheduled flows leave on the admin pages: /admin/ledger (the full verification, the
newest checkpoint and backup) and /admin/health (the last re-scan and 栏目 health)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from pubreview import db, settings
from pubreview.ledger import backup, checkpoints, retention
from pubreview.publishing import catalog as catalog_mod
from pubreview.screening import results
from pubreview.screening.columns import column_health
from pubreview.screening.links import Site
from pubreview.screening.rescan import rescan_published
from pubreview.screening.screen import load_lists
from tests.support.accounts import login, set_password
from tests.support.factories import submitted
from tests.support.site import seed_published
from tests.support.web import AfterCommitRecorder, make_app, point_at

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"
ADMIN = "wu.gang"
# The page reads files and runs the same checks on either database: SQLite is enough here.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def client(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    point_at(monkeypatch, database_url, tmp_path / "data", BASE + "/")
    for name in ("PUBREVIEW_LEDGER_SIGNING_KEY", "PUBREVIEW_LEDGER_CHECKPOINT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PUBREVIEW_BACKUP_DIR", raising=False)
    with db.transaction(engine) as session:
        set_password(session, ADMIN, PASSWORD)
    with TestClient(make_app(AfterCommitRecorder()), base_url=BASE) as c:
        login(c, ADMIN, PASSWORD)
        yield c


def test_content_edited_behind_the_ledger_fails_the_page_check(
    engine: Engine, client: TestClient
) -> None:
    pub = submitted(engine)
    first = client.get("/admin/ledger").text
    assert "还没有检查点" in first and "还没有定时备份" in first
    assert 'data-ok="yes"' in client.get("/admin/ledger?verify=1").text
    # The chain alone still verifies after this; the full check recomputes the fingerprint.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE revisions SET body = '伪造的正文' WHERE publication_id = :p"), {"p": pub}
        )
    checked = client.get("/admin/ledger?verify=1").text
    assert 'data-ok="no"' in checked and "内容被改动" in checked and f"第 {pub} 号信息" in checked
    assert "Traceback" not in checked


def test_the_newest_checkpoint_and_backup_are_shown(
    engine: Engine, client: TestClient, database_url: str
) -> None:
    submitted(engine)
    with db.transaction(engine) as session:
        made = checkpoints.make(session, create_key=True)
    folder = retention.folder_name(datetime.now(UTC))
    summary = backup.backup(settings.load().backups / folder, database_url)
    assert summary.verified
    page = client.get("/admin/ledger").text
    local = (datetime.fromisoformat(made.time) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert 'id="latest-checkpoint"' in page and local in page and made.key_id in page
    assert f"证明前 {made.size} 条" in page
    assert 'id="latest-backup"' in page and "已核验" in page and folder in page
    checked = client.get("/admin/ledger?verify=1").text
    assert 'data-ok="yes"' in checked and "延续了全部" in checked


def test_the_last_rescan_and_column_health_are_shown(
    engine: Engine, client: TestClient, tmp_path: Path
) -> None:
    none_yet = client.get("/admin/health").text
    assert 'id="rescan-none"' in none_yet and 'id="columns-none"' in none_yet
    at = datetime(2026, 11, 2, 10, tzinfo=UTC)
    wrong = seed_published(engine, "分工", "副局长赵明远分管数据工作。", at)
    seed_published(engine, "会议", "局长赵明远主持会议。", at)
    # 赵明远 has been 局长 since February: the leader list says so now.
    leaders = tmp_path / "leaders.yaml"
    leaders.write_text(
        "leaders:\n  - name: 赵明远\n    title: 局长\n    unit: 市数据局\n"
        "    former: [{title: 副局长, until: 2026-02-01}]\n",
        encoding="utf-8",
    )
    # What the archive-rescan and column-health flows keep after a run.
    with db.transaction(engine) as session:
        rescan = rescan_published(
            session, load_lists(leaders_path=leaders), site=Site("http://www.example.gov.cn/", None)
        )
        health = column_health(session, catalog_mod.load(), as_of=date(2026, 12, 1))
    results.save(results.RESCAN, rescan.to_dict(), flow_run_id="run-1")
    results.save(results.COLUMNS, health.to_dict())
    page = client.get("/admin/health").text
    assert "复查在线信息 2 条，1 条有新发现的问题" in page
    assert f'id="rescan-{wrong}"' in page and "副局长" in page and "更正或撤回" in page
    assert "runs/flow-run/run-1" in page
    assert "2026-12-01 检查结论" in page and "工作动态" in page and "2026-11-02" in page
    assert "Traceback" not in page
