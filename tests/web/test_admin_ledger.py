"""/admin/ledger runs the full verification and shows the newest checkpoint and backup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from pubreview import db, settings
from pubreview.ledger import backup, checkpoints, retention
from tests.support.accounts import login, set_password
from tests.support.factories import submitted
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
