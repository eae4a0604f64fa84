"""The submitter's pages over HTTP, logged in, on SQLite and PostgreSQL.

/submit with its server-side 预览/检查, /my, /items/{id}, resubmit with the diff, withdraw.
Prefect is replaced by the recorder (the outside boundary); everything else is real.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html import unescape

import docx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication, Revision, Status
from pubreview import db
from pubreview.clock import local_time
from pubreview.links import review_link
from pubreview.review.workflow import Outcome
from tests.support.accounts import form_token, login
from tests.support.factories import attachment, decided, submitted
from tests.support.web import AfterCommitRecorder, ledger_size

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"
PEOPLE = ("zhang.wei", "liu.yang", "li.na", "wang.fang", "zeng.xiang")
CLEAN = {
    "title": "关于召开全市编办主任会议的通知",
    "body": "# 会议安排\n\n会议**内容**如下。",
    "category": "工作动态",
    "channels": ["网站", "微博"],
    "unit": "zonghe",
    "disclosure": "active",
    "disclosure_reason": "",
}
# What a resubmit form posts when the clerk leaves 内容类别, 发布渠道 and 公开属性 as they were.
KEPT = {"category": "工作动态", "channels": ["网站"], "disclosure": "active"}
# A mainland ID number: the screening flags personal data before a head sees it.
PERSONAL = "联系人身份证 11010519491231002X。"


@pytest.fixture
def client(office: Callable[..., TestClient]) -> TestClient:
    return office(PEOPLE, PASSWORD, base=BASE, logged_in_as="zhang.wei")


def as_user(client: TestClient, username: str) -> TestClient:
    """The same app, another browser, logged in as `username`."""
    other = TestClient(client.app, base_url=BASE)
    login(other, username, PASSWORD)
    return other


def post_submit(client: TestClient, action: str, fields: dict, files=None, **extra):
    token = form_token(client.get("/submit").text)
    data = {**fields, "csrf": token, "action": action, **extra}
    return client.post("/submit", data=data, files=files or [], follow_redirects=False)


def field_value(html: str, name: str) -> str:
    match = re.search(rf'<input type="text" id="{name}" name="{name}" value="([^"]*)"', html)
    assert match, f"no text field {name}"
    return unescape(match.group(1))


def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea id="{name}" name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name}"
    return unescape(match.group(1))


def hidden(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)


def publications(engine: Engine) -> list[Publication]:
    with db.transaction(engine) as session:
        return list(session.scalars(select(Publication).order_by(Publication.id)))


def entries(engine: Engine, pub_id: int, kind: LedgerKind) -> list[LedgerEntry]:
    with db.transaction(engine) as session:
        return list(
            session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.publication_id == pub_id, LedgerEntry.kind == kind)
                .order_by(LedgerEntry.id)
            )
        )


def docx_bytes(*paragraphs: str, heading: str = "会议通知") -> bytes:
    document = docx.Document()
    document.add_heading(heading, 1)
    for text in paragraphs:
        para = document.add_paragraph("会议")
        para.add_run("内容").bold = True
        para.add_run(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_submit_form_offers_my_units_the_catalog_and_disclosure(client: TestClient) -> None:
    page = client.get("/submit")
    assert page.status_code == 200
    html = page.text
    assert '<option value="zonghe" selected>综合科</option>' in html  # the one unit, chosen
    assert "业务科" not in html  # not one of zhang.wei's units
    for name in ("工作动态", "网站", "微博", "微信", "主动公开", "依申请公开", "不予公开"):
        assert name in html
    for control in ('id="preview-button"', 'id="submit-button"', 'id="body_docx"'):
        assert control in html


def test_a_person_without_a_submitter_role_gets_403(client: TestClient) -> None:
    head = as_user(client, "wang.fang")
    page = head.get("/submit")
    assert page.status_code == 403
    assert "报送权限" in page.text and "Traceback" not in page.text


def test_preview_keeps_every_field_shows_screening_and_writes_nothing(
    engine: Engine, client: TestClient
) -> None:
    before = ledger_size(engine)
    fields = {
        **CLEAN,
        "body": CLEAN["body"] + "\n\n" + PERSONAL,
        "disclosure": "on_request",
        "disclosure_reason": "涉及第三方，依申请公开",
    }
    page = post_submit(
        client, "preview", fields, files=[("attachments", ("日程.txt", "九点开会".encode()))]
    )
    assert page.status_code == 200, page.text
    html = page.text
    assert field_value(html, "title") == CLEAN["title"]
    assert textarea(html, "body") == fields["body"]
    assert textarea(html, "disclosure_reason") == "涉及第三方，依申请公开"
    assert 'value="on_request" checked' in html
    assert 'value="网站" checked' in html and 'value="微博" checked' in html
    assert 'value="微信" checked' not in html
    assert '<option value="工作动态" selected>' in html
    assert "日程.txt" in html and len(hidden(html, "staged")) == 1
    # The screening is shown before submitting, and the body as it will read.
    assert 'id="screening-findings"' in html and "身份证" in html
    assert "<strong>内容</strong>" in html
    assert ledger_size(engine) == before and publications(engine) == []


@pytest.mark.parametrize(
    ("change", "message", "field"),
    [
        ({"title": "  "}, "标题：不能为空", "title"),
        ({"body": ""}, "正文：不能为空", "body"),
        ({"channels": []}, "发布渠道：请至少选择一个", "channels-box"),
        ({"category": ""}, "内容类别", "category"),
        ({"disclosure": "not_public"}, "公开属性：选择依申请公开或不予公开时，须填写理由", None),
    ],
)
def test_a_refused_field_is_named_and_nothing_is_lost(
    engine: Engine, client: TestClient, change: dict, message: str, field: str | None
) -> None:
    before = ledger_size(engine)
    fields = {**CLEAN, "disclosure_reason": "", **change}
    page = post_submit(
        client, "submit", fields, files=[("attachments", ("附件.txt", "附件内容".encode()))]
    )
    assert page.status_code == 422, page.text
    html = page.text
    assert 'id="form-errors"' in html and message in html
    if field:
        assert re.search(
            rf'id="{field}"[^>]*aria-invalid="true"|id="{field}" class="invalid"', html
        )
    # Every other field as typed, the uploaded file kept for the next try.
    assert field_value(html, "title") == fields["title"]
    assert textarea(html, "body") == fields["body"]
    assert "附件.txt" in html and len(hidden(html, "staged")) == 1
    assert ledger_size(engine) == before


def test_submit_records_the_item_and_hands_it_to_prefect(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    fields = {
        **CLEAN,
        "disclosure": "not_public",
        "disclosure_reason": "内部管理信息",
        "grade": "important",
    }
    first = post_submit(
        client, "preview", fields, files=[("attachments", ("日程.txt", "九点开会".encode()))]
    )
    staged = hidden(first.text, "staged")
    done = post_submit(
        client, "submit", fields, staged=staged, checked=hidden(first.text, "checked")[0]
    )
    assert done.status_code == 303, done.text
    [pub] = publications(engine)
    assert done.headers["location"] == f"/items/{pub.id}?done=submitted"
    assert pub.disclosure.value == "not_public" and pub.disclosure_reason == "内部管理信息"
    assert pub.grade.value == "important"
    [entry] = entries(engine, pub.id, LedgerKind.SUBMITTED)
    assert entry.actor == "zhang.wei"
    assert entry.payload["disclosure"] == "not_public"
    assert entry.payload["disclosure_reason"] == "内部管理信息"
    assert entry.payload["grade"] == "important"
    assert [a["filename"] for a in entry.payload["attachments"]] == ["日程.txt"]
    assert recorder.calls == [("publication.submitted", pub.id, "zhang.wei")]
    page = client.get(done.headers["location"])
    assert "已提交" in page.text and "不予公开" in page.text and "内部管理信息" in page.text
    assert "<dt>信息等级</dt><dd>重要</dd>" in page.text


def test_a_screening_finding_is_shown_before_it_can_be_submitted(
    engine: Engine, client: TestClient
) -> None:
    fields = {**CLEAN, "body": PERSONAL}
    first = post_submit(client, "submit", fields)
    assert first.status_code == 200
    assert "保密预检发现下列问题" in first.text and publications(engine) == []
    # Fixed: the same 提交 goes through at once.
    fixed = post_submit(client, "submit", {**CLEAN}, checked=hidden(first.text, "checked")[0])
    assert fixed.status_code == 303
    # Or, unchanged and seen once, it may go on (the head then sees the finding too).
    again = post_submit(client, "submit", fields, checked=hidden(first.text, "checked")[0])
    assert again.status_code == 303
    assert len(publications(engine)) == 2


def test_a_docx_body_becomes_markdown(engine: Engine, client: TestClient) -> None:
    content = docx_bytes("如下。<script>alert('docx')</script>")
    files = [("body_docx", ("通知.docx", content, "application/octet-stream"))]
    page = post_submit(client, "submit", {**CLEAN, "body": ""}, files=files)
    # Converting always shows the result first: the clerk checks the Markdown, then submits.
    assert page.status_code == 200, page.text
    body = textarea(page.text, "body")
    assert body.startswith("# 会议通知") and "__内容__" in body
    assert "正文已从“通知.docx”读取" in page.text
    assert "<script>alert(" not in page.text
    done = post_submit(
        client, "submit", {**CLEAN, "body": body}, checked=hidden(page.text, "checked")[0]
    )
    assert done.status_code == 303
    with db.transaction(engine) as session:
        revision = session.scalars(select(Revision)).one()
    assert revision.body.startswith("# 会议通知")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("通知.pdf", b"MZ\x90\x00" + b"\x00" * 200, "内容与扩展名 .pdf 不符"),
        ("报表.docx", b"%PDF-1.4\n%%EOF\n", "内容与扩展名 .docx 不符"),
        ("说明.txt", b"\x00\x01\x02\xff" * 40, "内容与扩展名 .txt 不符"),
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 200, "类型（.exe）不允许上传"),
    ],
)
def test_a_file_whose_content_does_not_match_is_refused(
    engine: Engine, client: TestClient, name: str, content: bytes, message: str
) -> None:
    page = post_submit(client, "submit", CLEAN, files=[("attachments", (name, content))])
    assert page.status_code == 422
    assert message in page.text
    assert hidden(page.text, "staged") == [] and publications(engine) == []


def test_an_oversized_file_is_refused_by_name(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_MAX_ATTACHMENT_BYTES", "1000")
    page = post_submit(client, "preview", CLEAN, files=[("attachments", ("大.txt", b"a" * 5000))])
    assert page.status_code == 422
    assert "附件“大.txt”" in page.text and "超过上限" in page.text


def test_hostile_title_body_and_file_name_are_escaped_on_every_page(
    engine: Engine, client: TestClient
) -> None:
    hostile = {
        **CLEAN,
        "title": "<script>alert('title')</script>",
        "body": "正文\n\n<script>alert('body')</script>\n\n[点我](javascript:alert('link'))",
    }
    name = "<img src=x onerror=alert('file')>.txt"
    first = post_submit(client, "preview", hostile, files=[("attachments", (name, b"plain"))])
    for html in (first.text,):
        assert "<script>alert(" not in html and "<img src=x" not in html
        assert 'href="javascript:' not in html
    done = post_submit(
        client,
        "submit",
        hostile,
        staged=hidden(first.text, "staged"),
        checked=hidden(first.text, "checked")[0],
    )
    assert done.status_code == 303, done.text
    [pub] = publications(engine)
    for path in (f"/items/{pub.id}", "/my"):
        html = client.get(path).text
        assert "<script>alert(" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(" in html
    item = client.get(f"/items/{pub.id}").text
    assert "&lt;img src=x onerror=alert(" in item and 'href="javascript:' not in item


def test_the_item_page_is_403_for_another_units_submitter(
    engine: Engine, client: TestClient
) -> None:
    pub = submitted(engine, attachments=[attachment()])
    other = as_user(client, "liu.yang")
    page = other.get(f"/items/{pub}")
    assert page.status_code == 403 and "无权查看" in page.text
    with db.transaction(engine) as session:
        file_id = session.scalars(select(Revision)).one()
        session.refresh(file_id, ["attachments"])
        attachment_id = file_id.attachments[0].id
    assert other.get(f"/items/{pub}/files/{attachment_id}").status_code == 403
    mine = client.get(f"/items/{pub}/files/{attachment_id}")
    assert mine.status_code == 200 and mine.content == "附件内容".encode()
    assert mine.headers["content-disposition"].startswith("attachment;")
    assert client.get("/items/999999").status_code == 404


def test_my_items_say_whom_each_waits_on_and_since_when(engine: Engine, client: TestClient) -> None:
    pub = submitted(engine)
    submitted(engine, submitter="liu.yang", unit="yewu", title="别人的信息")
    html = client.get("/my").text
    assert f'id="item-{pub}"' in html and "别人的信息" not in html
    assert "审核中" in html and "待初审" in html
    assert "李娜（li.na）" in html and "王芳（wang.fang）" in html
    with db.transaction(engine) as session:
        since = session.get(Publication, pub).waiting_since
    assert f"自 {local_time(since)} 起" in html  # office time zone


def test_a_returned_item_shows_the_comment_and_resubmits_with_the_diff(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    pub = submitted(engine, body="第一段。\n\n第二段。", attachments=[attachment()])
    decided(engine, pub, "li.na", Outcome.RETURN, comment="请补充会议地点")
    page = client.get(f"/items/{pub}").text
    assert 'id="return-comment"' in page and "请补充会议地点" in page
    assert 'id="resubmit-form"' in page and 'id="withdraw-form"' in page
    # The form holds the returned revision's attributes, as they stand.
    assert '<option value="工作动态" selected>' in page and 'value="网站" checked' in page
    assert 'id="disclosure-active" name="disclosure" value="active" checked' in page
    token = form_token(page)
    fields = {"csrf": token, "title": "关于召开全市编办主任会议的通知（修改）", **KEPT}
    fields["body"] = "第一段。\n\n第二段，地点在三楼会议室。"
    keep = re.findall(r'name="keep" value="(\d+)" checked', page)
    shown = client.post(
        f"/items/{pub}/resubmit", data={**fields, "keep": keep, "action": "preview"}
    )
    assert shown.status_code == 200, shown.text
    assert 'id="diff"' in shown.text and "修改稿与退回稿（第 1 稿）的差异" in shown.text
    assert '<span class="add">+第二段，地点在三楼会议室。</span>' in shown.text
    assert '<span class="del">-第二段。</span>' in shown.text
    assert 'id="diff-fields"' not in shown.text  # no attribute changed
    assert textarea(shown.text, "body") == fields["body"]
    done = client.post(
        f"/items/{pub}/resubmit",
        data={
            **fields,
            "keep": keep,
            "action": "resubmit",
            "checked": hidden(shown.text, "checked")[0],
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    with db.transaction(engine) as session:
        item = session.get(Publication, pub)
        assert (item.status, item.current_revision) == (Status.IN_REVIEW, 2)
        revision = session.scalars(select(Revision).where(Revision.number == 2)).one()
        session.refresh(revision, ["attachments"])
        assert [a.filename for a in revision.attachments] == ["附件.txt"]  # kept
    assert recorder.calls[-1] == ("publication.resubmitted", pub, "zhang.wei")
    after = client.get(f"/items/{pub}").text
    assert "与上一稿（第 1 稿）的差异" in after and 'id="resubmit-form"' not in after


def test_withdraw_ends_the_item_and_a_second_withdraw_is_refused(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    pub = submitted(engine)
    page = client.get(f"/items/{pub}").text
    token = form_token(page)
    unconfirmed = client.post(f"/items/{pub}/withdraw", data={"csrf": token})
    assert unconfirmed.status_code == 400 and "确认撤销" in unconfirmed.text
    done = client.post(
        f"/items/{pub}/withdraw",
        data={"csrf": token, "confirm": "yes", "reason": "内容有误"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    with db.transaction(engine) as session:
        assert session.get(Publication, pub).status is Status.WITHDRAWN
    [entry] = entries(engine, pub, LedgerKind.WITHDRAWN)
    assert entry.actor == "zhang.wei" and entry.comment == "内容有误"
    assert recorder.calls[-1] == ("publication.withdrawn", pub, "zhang.wei")
    shown = client.get(f"/items/{pub}").text
    assert "已撤销" in shown and 'id="withdraw-form"' not in shown
    before = ledger_size(engine)
    again = client.post(f"/items/{pub}/withdraw", data={"csrf": token, "confirm": "yes"})
    assert again.status_code == 409 and "已经撤销" in again.text
    assert ledger_size(engine) == before


def test_no_withdraw_once_a_head_has_decided(engine: Engine, client: TestClient) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", Outcome.APPROVE, attest=True)
    page = client.get(f"/items/{pub}").text
    assert 'id="withdraw-form"' not in page
    refused = client.post(
        f"/items/{pub}/withdraw", data={"csrf": form_token(page), "confirm": "yes"}
    )
    assert refused.status_code == 409 and "已有审核决定" in refused.text


def test_a_post_without_the_sessions_token_writes_nothing(
    engine: Engine, client: TestClient
) -> None:
    before = ledger_size(engine)
    refused = client.post("/submit", data={**CLEAN, "action": "submit", "csrf": "0" * 64})
    assert refused.status_code == 403
    assert ledger_size(engine) == before and publications(engine) == []


def post_resubmit(client: TestClient, pub: int, action: str, fields: dict, **extra):
    """Post the returned item's resubmit form with these fields (its files kept)."""
    page = client.get(f"/items/{pub}").text
    keep = re.findall(r'name="keep" value="(\d+)" checked', page)
    data = {"csrf": form_token(page), "keep": keep, "action": action, **fields, **extra}
    return client.post(f"/items/{pub}/resubmit", data=data, follow_redirects=False)


def test_a_resubmission_changes_category_channels_and_disclosure_with_the_diff_shown(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", Outcome.RETURN, comment="应为政务公开，并发微博")
    fields = {
        "title": "关于召开全市编办主任会议的通知",
        "body": "会议内容如下。",  # unchanged: only the attributes move
        "category": "政务公开",
        "channels": ["网站", "微博"],
        "disclosure": "on_request",
        "disclosure_reason": "涉及第三方",
        "grade": "sensitive",
    }
    shown = post_resubmit(client, pub, "preview", fields)
    assert shown.status_code == 200, shown.text
    html = shown.text
    assert 'id="diff-fields"' in html and "正文未改动" in html
    for line in (
        '内容类别：<span class="del">工作动态</span> → <span class="add">政务公开</span>',
        '发布渠道：<span class="del">网站</span> → <span class="add">网站、微博</span>',
        '公开属性：<span class="del">主动公开</span> → <span class="add">依申请公开</span>',
        '公开属性理由：<span class="del">（空）</span> → <span class="add">涉及第三方</span>',
        '信息等级：<span class="del">一般</span> → <span class="add">敏感</span>',
    ):
        assert line in html, line
    # The preview keeps what was chosen, and wrote nothing.
    assert '<option value="政务公开" selected>' in html and 'value="微博" checked' in html
    assert 'value="on_request" checked' in html and 'value="sensitive" checked' in html
    assert len(entries(engine, pub, LedgerKind.RESUBMITTED)) == 0
    done = post_resubmit(client, pub, "resubmit", fields, checked=hidden(html, "checked")[0])
    assert done.status_code == 303, done.text
    with db.transaction(engine) as session:
        item = session.get(Publication, pub)
        assert (item.status, item.category, item.channels) == (
            Status.IN_REVIEW,
            "政务公开",
            ["网站", "微博"],
        )
        assert (item.disclosure.value, item.disclosure_reason) == ("on_request", "涉及第三方")
    [entry] = entries(engine, pub, LedgerKind.RESUBMITTED)
    assert set(entry.payload["changed"]) == {
        "category",
        "channels",
        "disclosure",
        "disclosure_reason",
        "grade",
    }
    assert recorder.calls[-1] == ("publication.resubmitted", pub, "zhang.wei")
    # The head's page for revision 2 shows the same lines, on the item page and the signed link.
    head = as_user(client, "li.na")
    item_html = head.get(f"/items/{pub}").text
    assert "与上一稿（第 1 稿）的差异" in item_html
    assert '<span class="del">工作动态</span> → <span class="add">政务公开</span>' in item_html
    url = review_link("li.na", pub, "prereview", 2)
    review_html = head.get(url).text
    assert "与退回稿（第 1 稿）的差异" in review_html
    assert '发布渠道：<span class="del">网站</span> → <span class="add">网站、微博</span>' in (
        review_html
    )
    assert "<dt>信息等级</dt><dd>敏感</dd>" in review_html


@pytest.mark.parametrize(
    ("change", "message", "field"),
    [
        ({"channels": []}, "发布渠道：请至少选择一个", "channels-box"),
        ({"category": "八卦"}, "内容类别：“八卦”不在目录中", "category"),
        ({"disclosure": "not_public"}, "公开属性：选择依申请公开或不予公开时，须填写理由", None),
        ({"disclosure": "secret"}, "公开属性：请选择主动公开、依申请公开或不予公开", None),
        ({"grade": "secret"}, "信息等级：“secret”不是可选的等级", None),
        ({"body": "会议内容如下。"}, "修改稿与退回稿完全相同", "body"),
    ],
)
def test_a_refused_resubmission_names_the_field_and_writes_nothing(
    engine: Engine, client: TestClient, change: dict, message: str, field: str | None
) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", Outcome.RETURN, comment="请修改")
    before = ledger_size(engine)
    fields = {"title": "关于召开全市编办主任会议的通知", "body": "改过的正文。", **KEPT, **change}
    refused = post_resubmit(client, pub, "resubmit", fields)
    assert refused.status_code == 422, refused.text
    html = refused.text
    assert 'id="form-errors"' in html and message in html
    if field:
        assert re.search(
            rf'id="{field}"[^>]*aria-invalid="true"|id="{field}" class="invalid"', html
        )
    assert textarea(html, "body") == fields["body"]
    assert ledger_size(engine) == before
    with db.transaction(engine) as session:
        assert session.get(Publication, pub).status is Status.RETURNED
