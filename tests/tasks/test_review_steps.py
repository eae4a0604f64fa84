"""The review run's steps: a wait recorded once, the history artifact with the screen's findings."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from models import LedgerEntry, LedgerKind, Publication
from pubreview import db
from tasks.review_steps import history_markdown, open_step, read_position
from tests.support.factories import submitted

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_the_history_shows_the_recorded_findings(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    clean = submitted(engine)
    blocked = submitted(engine, body="秘密★1年\n\n本文件内容如下。")
    assert "- no findings" in history_markdown(clean)[0]
    markdown = history_markdown(blocked)[0]
    assert "## 保密预审 (screening)" in markdown and "**block** body:1" in markdown


def test_a_wait_is_recorded_once_and_the_run_resumed_is_the_latest(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    pub = submitted(engine)
    position = read_position(pub)
    assert open_step.fn(position, "run-1") and not open_step.fn(position, "run-2")
    with db.snapshot(engine) as session:
        opened = session.scalar(
            select(func.count()).where(LedgerEntry.kind == LedgerKind.STAGE_OPENED)
        )
        assert opened == 1 and session.get(Publication, pub).flow_run_id == "run-2"
