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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_more_attachments_than_a_revision_may_carry_are_refused_and_not_kept(
    client, engine, tmp_path, monkeypatch
):
    monkeypatch.setenv("PUBREVIEW_MAX_ATTACHMENTS", "2")
    before = ledger_size(engine)
    files = [("attachments", (f"附件{n}.txt", f"附件 {n}".encode())) for n in range(3)]
    token = form_token(client.get("/submit").text)
    page = client.post(
        "/submit",
        data={**FIELDS, "csrf": token, "action": "submit"},
        files=files,
        follow_redirects=False,
    )
    assert page.status_code == 422, page.text[:300]
    assert "附件：共 3 个，超过上限 2 个" in page.text
    assert ledger_size(engine) == before
    assert not list((tmp_path / "data" / "uploads").glob("*/*"))  # none of them staged
    # Two are within the limit.
    token = form_token(client.get("/submit").text)
    page = client.post(
        "/submit",
        data={**FIELDS, "csrf": token, "action": "submit"},
        files=files[:2],
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text[:300]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_file_past_its_screening_budget_is_refused_by_name(client, engine, monkeypatch):
    monkeypatch.setenv("PUBREVIEW_SCREEN_SECONDS_PER_FILE", "0.000001")
    before = ledger_size(engine)
    for action in ("preview", "submit"):
        token = form_token(client.get("/submit").text)
        page = client.post(
            "/submit",
            data={**FIELDS, "csrf": token, "action": action},
            files=[("attachments", ("说明.txt", "会议说明。".encode()))],
            follow_redirects=False,
        )
        assert page.status_code == 400, page.text[:300]
        assert "附件“说明.txt”筛查超过" in page.text
    assert ledger_size(engine) == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_docx_body_over_the_typed_limit_is_refused(client, engine):
    import io

    import docx

    # 1,500 paragraphs of 1,000 characters: 4.3 MB of text, past the 4 MB of a typed body.
    document = docx.Document()
    for n in range(1500):
        document.add_paragraph(f"{n:04d}" + "政" * 996)
    out = io.BytesIO()
    document.save(out)
    before = ledger_size(engine)
    token = form_token(client.get("/submit").text)
    page = client.post(
        "/submit",
        data={**FIELDS, "body": "", "csrf": token, "action": "preview"},
        files=[("body_docx", ("长文.docx", out.getvalue()))],
        follow_redirects=False,
    )
    assert page.status_code == 422, page.text[:300]
    assert "正文文件“长文.docx”转换后的正文有 4.3 MB，超过上限 4 MB" in page.text
    assert ledger_size(engine) == before
