"""An uploaded zip bomb is refused on the submit form by name, and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.screening.test_archive import bomb
from tests.support.accounts import form_token
from tests.support.web import AfterCommitRecorder, ledger_size, office_client

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"
FIELDS = {
    "title": "关于召开全市编办主任会议的通知",
    "body": "会议内容如下。",
    "category": "工作动态",
    "channels": ["网站"],
    "unit": "zonghe",
    "disclosure": "active",
    "disclosure_reason": "",
}


@pytest.fixture
def client(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    with office_client(
        engine,
        database_url,
        tmp_path / "data",
        monkeypatch,
        base=BASE,
        people=("zhang.wei",),
        password=PASSWORD,
        recorder=AfterCommitRecorder(),
        logged_in_as="zhang.wei",
    ) as c:
        yield c


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_docx_that_inflates_to_150_mb_is_refused_on_the_form(client, engine):
    before, content = ledger_size(engine), bomb(150 * 1024 * 1024)
    for action in ("preview", "submit"):
        token = form_token(client.get("/submit").text)
        page = client.post(
            "/submit",
            data={**FIELDS, "csrf": token, "action": action},
            files=[("attachments", ("会议材料.docx", content))],
            follow_redirects=False,
        )
        assert page.status_code in {400, 422}, page.text[:300]
        assert "附件“会议材料.docx”解压后有" in page.text and "压缩炸弹" in page.text
    assert ledger_size(engine) == before
