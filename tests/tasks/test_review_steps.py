"""The review run's history artifact lists what the screen recorded for the current revision."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tasks.review_steps import history_markdown
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
