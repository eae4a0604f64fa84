"""The scheduled flows called as functions (reminders, step deadlines, checkpoint, backup,
re-scan, columns), on one temporary Prefect server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy import text

from flows.archive_rescan import archive_rescan
from flows.column_health import column_health_flow
from flows.ledger_backup import ledger_backup
from flows.ledger_checkpoint import ledger_checkpoint
from flows.request_deadlines import request_deadlines
from flows.step_deadlines import ARTIFACT_KEY as STEP_ARTIFACT
from flows.step_deadlines import step_deadlines
from models import Publication
from pubreview import clock, db, migrate
from pubreview.accounts.org import load_org
from pubreview.ledger import checkpoints, retention
from pubreview.notify.outbox import read_outbox
from pubreview.requests import calendar
from pubreview.screening import results
from tests.conftest import SAMPLE_ORG
from tests.support.factories import submitted
from tests.support.requests import HANDLER, SIGNER, receive

pytestmark = pytest.mark.prefect
MORNING = datetime(2026, 11, 5, 1, 30, tzinfo=UTC)  # 09:30 in Asia/Shanghai, a Thursday
# 初审 within one working day; the rest as the built-in chain.
DEADLINE_CHAINS = (
    "chains:\n  default:\n    steps:\n"
    "      - {id: prereview, label: 初审, role: section_head, deadline_days: 1}\n"
    "      - {id: signoff, label: 审签, role: leader}\n"
    "      - {id: publication, label: 中心发布, role: center, unit: office}\n"
)


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[None]:
    """One temporary Prefect server for this module (it takes 17–19 s to start)."""
    with prefect_test_harness():
        yield


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite ledger with the sample organisation; data, keys and backups under tmp_path."""
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    for name in (
        "PUBREVIEW_LEDGER_SIGNING_KEY",
        "PUBREVIEW_LEDGER_CHECKPOINT_DIR",
        "PUBREVIEW_BACKUP_DIR",
        "PUBREVIEW_APPRISE_CONFIG",
        "PUBREVIEW_APPRISE_YAML",
        "PUBREVIEW_QUIET_HOURS",
        "PUBREVIEW_REMINDER_DAYS",
        "PUBREVIEW_STEP_REMINDER_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUBREVIEW_NOTIFY_ATTEMPTS", "1")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate.upgrade(url)
    engine = db.engine_for(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
    return url


@pytest.fixture
def deadline_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain whose 初审 has a deadline, and a plain calendar for this year and the next."""
    (tmp_path / "chains.yaml").write_text(DEADLINE_CHAINS, encoding="utf-8")
    monkeypatch.setenv("PUBREVIEW_CHAINS", str(tmp_path / "chains.yaml"))
    # Weekdays worked, weekends off: the test does not hit a year gap.
    year = datetime.now(UTC).year
    workdays = tmp_path / "workdays.yaml"
    workdays.write_text(
        f"holidays: []\nworkdays: []\ndescribed_years: [{year}, {year + 1}]\n", encoding="utf-8"
    )
    monkeypatch.setenv("PUBREVIEW_WORKDAYS", str(workdays))


def artifact(key: str) -> str:
    """The newest version of an artifact's markdown."""
    with get_client(sync_client=True) as client:
        (found,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            limit=1,
            sort="CREATED_DESC",
        )
    return found.data


def test_reminders_flow_sends_once_and_summarises(prefect_api: None, ledger: str) -> None:
    engine = db.engine_for(ledger)
    soon = receive(engine, date(2026, 10, 12))  # 2 working days left on the morning
    late = receive(engine, date(2026, 9, 2))  # overdue since 09-30
    first = request_deadlines(at=MORNING, database_url=ledger)
    assert first["sent"] == 2 and first["skipped"] is None
    again = request_deadlines(at=MORNING, database_url=ledger)
    assert again["sent"] == 0
    assert len(read_outbox(HANDLER)) == len(read_outbox(SIGNER)) == 1
    summary = artifact("request-deadlines")
    assert f"第 {soon} 号" in summary and f"第 {late} 号" in summary and "此前已发送" in summary
    night = request_deadlines(at=MORNING.replace(hour=14), database_url=ledger)
    assert "免打扰" in night["skipped"] and "免打扰" in artifact("request-deadlines")


def test_checkpoint_and_backup_flows(prefect_api: None, ledger: str, tmp_path: Path) -> None:
    engine = db.engine_for(ledger)
    receive(engine, date(2026, 10, 12))
    made = ledger_checkpoint(database_url=ledger)
    assert made["size"] == checkpoints.read_log()[-1].size and made["published"] is None
    assert "台帐检查点" in artifact("ledger-checkpoint") and made["key_id"] in artifact(
        "ledger-checkpoint"
    )
    done = ledger_backup(database_url=ledger, keep_days=14)
    assert done["verified"] and Path(done["folder"]).parent == tmp_path / "data" / "backups"
    assert retention.latest(tmp_path / "data" / "backups").verified
    assert "已核验" in artifact("ledger-backup")

    # A ledger rewritten behind the checkpoint: nothing signed, the run Failed saying why.
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS ledger_entries_no_update"))
        conn.execute(text("UPDATE ledger_entries SET hash = 'x' || substr(hash, 2) WHERE id = 1"))
    state = ledger_checkpoint(database_url=ledger, return_state=True)
    assert state.is_failed() and "未签发检查点" in state.message
    assert "未签发" in artifact("ledger-checkpoint")


def test_rescan_and_column_health_flows_keep_their_last_result(
    prefect_api: None, ledger: str
) -> None:
    rescan = archive_rescan(database_url=ledger)
    assert rescan["screened"] == 0 and results.load(results.RESCAN)["screened"] == 0
    assert "已发布信息复查" in artifact("archive-rescan")
    health = column_health_flow(as_of=date(2026, 12, 1), database_url=ledger)
    assert health["as_of"] == "2026-12-01" and health["counts"]["blank"] > 0
    kept = results.load(results.COLUMNS)
    assert kept["counts"] == health["counts"] and kept["flow_run_id"]
    assert "栏目更新情况（2026-12-01）" in artifact("column-health")


def test_step_deadlines_flow_escalates_once_and_summarises(
    prefect_api: None, deadline_chain: None, ledger: str
) -> None:
    engine = db.engine_for(ledger)
    pub = submitted(engine)
    with db.transaction(engine) as session:
        arrived = clock.local(session.get(Publication, pub).waiting_since).date()
    late = calendar.load().add(arrived, 2)
    at = datetime(late.year, late.month, late.day, 1, 30, tzinfo=UTC)  # 09:30 office time
    first = step_deadlines(at=at, database_url=ledger)
    assert first["sent"] == 1 and first["skipped"] is None and first["problems"] == []
    (row,) = first["notices"]
    assert (row["信息"], row["环节"], row["收件人"]) == (f"第 {pub} 号", "初审", "zeng.xiang")
    assert step_deadlines(at=at, database_url=ledger)["sent"] == 0
    (told,) = read_outbox("zeng.xiang")
    assert "审核已逾期" in told.title
    summary = artifact(STEP_ARTIFACT)
    assert f"第 {pub} 号" in summary and "此前已发送" in summary
    night = step_deadlines(at=at + timedelta(hours=12), database_url=ledger)
    assert "免打扰" in night["skipped"] and "免打扰" in artifact(STEP_ARTIFACT)
