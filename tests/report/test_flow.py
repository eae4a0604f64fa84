"""The `annual-report` flow: the same files as the command, and artifacts on its run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.testing.utilities import prefect_test_harness

from flows.annual_report import annual_report, last_year
from pubreview import db, migrate, publishing
from pubreview.accounts.org import load_org
from pubreview.publishing.importer import import_file
from tests.conftest import SAMPLE_ORG
from tests.support.report import national_supplement, seed_rows, write_csv


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[None]:
    """One temporary Prefect server for this module (it takes 17–19 s to start)."""
    with prefect_test_harness():
        yield


def test_flow_writes_the_report_and_leaves_artifacts(prefect_api: None, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate.upgrade(url)
    engine = db.engine_for(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
        import_file(session, write_csv(tmp_path / "seed.csv", seed_rows()), "zhou.min")
    sup = national_supplement(tmp_path / "supplement-2018.yaml", year=2018)
    summary = annual_report(2018, "national", str(sup), str(tmp_path / "out"), url)
    assert summary["total"] == 580
    # A 2018 report in the 2021 tables is allowed, with one warning that it is not 2018's edition.
    assert [p["where"] for p in summary["problems"]] == ["格式"]
    assert Path(summary["files"]["docx"]).exists()
    keys = [
        "annual-report-2018-national",
        "annual-report-2018-national-ledger",
        "annual-report-2018-national-table3",
        "annual-report-2018-national-checks",
    ]
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys))
        )
    assert sorted(a.key for a in found) == sorted(keys)
    report = next(a for a in found if a.key == keys[0])
    assert "累计公开政府信息580条" in report.data
    assert last_year() == publishing.local_now().year - 1
