"""The `step-deadlines` flow called as a function: it reminds once and leaves its artifact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.testing.utilities import prefect_test_harness

from flows.step_deadlines import ARTIFACT_KEY, step_deadlines
from models import Publication
from pubreview import clock, db, migrate
from pubreview.accounts.org import load_org
from pubreview.notify.outbox import read_outbox
from pubreview.requests import calendar
from tests.conftest import SAMPLE_ORG
from tests.support.factories import submitted

pytestmark = pytest.mark.prefect
# 初审 within one working day; the rest as the built-in chain.
CHAINS = (
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
    """A SQLite ledger with the sample organisation, a chain with a deadline, a plain calendar."""
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    for name in (
        "PUBREVIEW_APPRISE_CONFIG",
        "PUBREVIEW_APPRISE_YAML",
        "PUBREVIEW_QUIET_HOURS",
        "PUBREVIEW_STEP_REMINDER_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUBREVIEW_NOTIFY_ATTEMPTS", "1")
    (tmp_path / "chains.yaml").write_text(CHAINS, encoding="utf-8")
    monkeypatch.setenv("PUBREVIEW_CHAINS", str(tmp_path / "chains.yaml"))
    # Weekdays worked, weekends off, this year and the next: the test does not hit a year gap.
    year = datetime.now(UTC).year
    workdays = tmp_path / "workdays.yaml"
    workdays.write_text(
        f"holidays: []\nworkdays: []\ndescribed_years: [{year}, {year + 1}]\n", encoding="utf-8"
    )
    monkeypatch.setenv("PUBREVIEW_WORKDAYS", str(workdays))
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate.upgrade(url)
    engine = db.engine_for(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
    return url


def artifact(key: str) -> str:
    """The newest version of an artifact's markdown."""
    with get_client(sync_client=True) as client:
        (found,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            limit=1,
            sort="CREATED_DESC",
        )
    return found.data


def test_step_deadlines_flow_escalates_once_and_summarises(prefect_api: None, ledger: str) -> None:
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
    summary = artifact(ARTIFACT_KEY)
    assert f"第 {pub} 号" in summary and "此前已发送" in summary
    night = step_deadlines(at=at + timedelta(hours=12), database_url=ledger)
    assert "免打扰" in night["skipped"] and "免打扰" in artifact(ARTIFACT_KEY)
