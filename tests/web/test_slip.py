"""The 审批表 over HTTP: the printable page and the DOCX, for those who may view the item only."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from models import Revision
from pubreview import db
from pubreview.review.workflow import Outcome
from tests.support.accounts import login, set_password
from tests.support.factories import decided, submitted
from tests.support.journeys import whole_journey
from tests.support.web import AfterCommitRecorder, ledger_size, make_app, point_at

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"


@pytest.fixture
def client(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    point_at(monkeypatch, database_url, tmp_path / "data", BASE + "/")
    with db.transaction(engine) as session:
        for username in ("zhang.wei", "liu.yang", "wu.gang"):
            set_password(session, username, PASSWORD)
    with TestClient(make_app(AfterCommitRecorder()), base_url=BASE) as c:
        yield c


def fingerprints(engine: Engine, pub: int) -> list[str]:
    with db.transaction(engine) as session:
        return list(
            session.scalars(
                select(Revision.fingerprint)
                .where(Revision.publication_id == pub)
                .order_by(Revision.number)
            )
        )


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_the_slip_page_and_docx_list_every_step(engine: Engine, client: TestClient) -> None:
    pub = whole_journey(engine)
    first, second = fingerprints(engine, pub)
    login(client, "zhang.wei", PASSWORD)
    page = client.get(f"/items/{pub}/slip")
    assert page.status_code == 200, page.text
    html = page.text
    assert "信息发布审批表" in html and "@media print" in html
    for expected in (
        "关于召开全市编办主任会议的通知",
        "综合科",
        "张伟（zhang.wei）",
        "工作动态",
        "网站、微信",
        "李娜（li.na）",
        "王芳（wang.fang）",
        "曾翔（zeng.xiang）",
        "周敏（zhou.min）",
        "吴刚（wu.gang）",
        "综合科·科室负责人",
        "请补充会议时间",
        "退回修改",
        "已确认无涉密及个人隐私内容",
        "https://mp.weixin.qq.com/s/abc",
        "省级采用：湖南日报",
        "数据有误",
        first,
        second,
    ):
        assert expected in html, expected
    assert html.count('<tr id="step-') == 12
    assert html.count(f">{second}</td>") >= 8  # every step on revision 2 shows its fingerprint

    before = ledger_size(engine)
    download = client.get(f"/items/{pub}/slip.docx")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert "attachment;" in download.headers["content-disposition"]
    text = docx_text(download.content)
    for expected in (
        "信息发布审批表",
        "李娜（li.na）",
        "请补充会议时间",
        "数据有误",
        first,
        second,
    ):
        assert expected in text, expected
    doc = Document(io.BytesIO(download.content))
    steps = doc.tables[1]
    assert [c.text for c in steps.rows[0].cells][-1] == "内容指纹"
    assert len(steps.rows) == 1 + 12
    assert ledger_size(engine) == before  # reading the slip writes nothing


def test_another_units_submitter_may_not_see_the_slip(engine: Engine, client: TestClient) -> None:
    pub = whole_journey(engine)
    login(client, "liu.yang", PASSWORD)
    for path in (f"/items/{pub}/slip", f"/items/{pub}/slip.docx"):
        refused = client.get(path)
        assert refused.status_code == 403 and "您无权查看这条信息" in refused.text
    missing = client.get("/items/9999/slip")
    assert missing.status_code == 404 and "没有编号为 9999 的信息" in missing.text


def test_the_slip_needs_a_login(engine: Engine, client: TestClient) -> None:
    pub = whole_journey(engine)
    first = client.get(f"/items/{pub}/slip.docx", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("/login")


def test_hostile_text_is_shown_as_text(engine: Engine, client: TestClient) -> None:
    pub = submitted(engine, title="<script>alert(1)</script>通知")
    decided(engine, pub, "li.na", Outcome.RETURN, comment='<img src=x onerror="alert(2)">')
    login(client, "zhang.wei", PASSWORD)
    html = client.get(f"/items/{pub}/slip").text
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;通知" in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    word = docx_text(client.get(f"/items/{pub}/slip.docx").content)
    assert '<img src=x onerror="alert(2)">' in word  # plain text in Word, never markup
