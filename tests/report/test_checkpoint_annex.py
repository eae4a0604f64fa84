"""The report's annex names the year's last signed ledger checkpoint, or says there is none."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.ledger import checkpoints
from pubreview.report import rollup
from pubreview.report.document import checkpoint_sentence
from tests.support.factories import submitted

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_the_years_last_checkpoint_is_printed(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    submitted(engine)
    with db.transaction(engine) as session:
        first = checkpoints.make(session, create_key=True)
    submitted(engine)
    with db.transaction(engine) as session:
        last = checkpoints.make(session)
    year = int(last.time[:4])
    # One signed after the year ended does not count for it.
    later = replace(last, size=last.size + 5, time=f"{year + 1}-01-01T00:00:00Z")
    assert rollup.year_checkpoint(year, [first, later, last]) == last
    # The roll-up fills a temporary table, as report.build's snapshot allows.
    with db.transaction(engine) as session:
        annex = rollup.management_annex(session, year)
    assert annex.checkpoint == last
    text = checkpoint_sentence(annex)
    assert f"台帐共{last.size}条" in text and last.head in text and last.key_id in text
    with db.transaction(engine) as session:
        before = rollup.management_annex(session, year - 1)
    assert before.checkpoint is None
    assert checkpoint_sentence(before) == f"{year - 1}年度没有签名的台帐检查点。"
