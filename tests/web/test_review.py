"""The review pages over HTTP, on SQLite and PostgreSQL: what they show, what they refuse."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind
from pubreview import db, links
from pubreview.cli import build_parser
from pubreview.review.submission import get, resubmit
from pubreview.review.workflow import Outcome
from tasks.review_steps import open_step, read_position
from tests.support.factories import attachment, decided, submitted
from tests.support.web import (
    AfterCommitRecorder,
    csrf_of,
    ledger_size,
    make_app,
    point_at,
)

BASE = "http://testserver/"
HOSTILE = (
    "# 会议通知\n\n会议**内容**如下。\n\n<script>alert(1)</script>\n\n[点我](javascript:alert(2))"
)


@pytest.fixture
def recorder() -> AfterCommitRecorder:
    return AfterCommitRecorder()


@pytest.fixture
def client(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    recorder: AfterCommitRecorder,
) -> Iterator[TestClient]:
    point_at(monkeypatch, database_url, tmp_path / "data", BASE)
    with TestClient(make_app(recorder), base_url=BASE.rstrip("/")) as c:
        yield c


def link(user: str, pub: int, stage: str, revision: int = 1, **kw) -> str:
    url = links.review_link(user, pub, stage, revision, **kw)
    assert url and url.startswith(f"{BASE}review/")
    return url


def decide_on_page(client: TestClient, url: str, outcome: str, **fields: str):
    """Open the review page, then press one of its buttons with these fields filled."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    return client.post(url, data={"csrf": csrf_of(page.text), "outcome": outcome, **fields})


def decisions(engine: Engine, pub: int) -> list[LedgerEntry]:
    with db.transaction(engine) as session:
        return list(
            session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.publication_id == pub, LedgerEntry.kind == LedgerKind.DECIDED)
                .order_by(LedgerEntry.id)
            )
        )


def test_review_page_shows_what_is_approved(engine: Engine, client: TestClient) -> None:
    pub = submitted(engine, body=HOSTILE, channels=["网站", "微博"], attachments=[attachment()])
    page = client.get(link("li.na", pub, "prereview"))
    assert page.status_code == 200
    html = page.text
    for expected in (
        "关于召开全市编办主任会议的通知",
        "综合科",
        "张伟（zhang.wei）",
        "工作动态",
        "网站、微博",
        "附件.txt",
        attachment().sha256,
        "保密预检",
        "台帐记录",
        "提交",
        "本人已审查质量与保密事项",
        "<strong>内容</strong>",
    ):
        assert expected in html, expected
    # The screening finding quotes the bad link as text; no page may make it a live link.
    assert "<script>" not in html and 'href="javascript:' not in html
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none'
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    files = client.get(link("li.na", pub, "prereview") + f"/files/{_attachment_id(html)}")
    assert files.content == attachment().content
    assert "attachment;" in files.headers["content-disposition"]


def _attachment_id(html: str) -> str:
    return html.split("/files/", 1)[1].split('"', 1)[0]


def test_whole_chain_through_the_pages(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    pub = submitted(engine, channels=["网站", "微博"])
    page = client.get(link("zeng.xiang", pub, "signoff"))
    assert "审签环节目前未开放" in page.text and 'name="csrf"' not in page.text

    done = decide_on_page(client, link("li.na", pub, "prereview"), "approve", attest="yes")
    assert "已记录您的决定：同意" in done.text
    done = decide_on_page(client, link("zeng.xiang", pub, "signoff"), "approve")
    assert "已记录您的决定：同意" in done.text
    publish_page = client.get(link("zhou.min", pub, "publication"))
    assert 'name="url.微博"' in publish_page.text and "确认发布" in publish_page.text
    done = decide_on_page(
        client,
        link("zhou.min", pub, "publication"),
        "approve",
        **{"url.微博": "https://weibo.example/1"},
    )
    assert "已记录您的决定：同意" in done.text

    rows = decisions(engine, pub)
    assert [(r.stage, r.actor, r.payload["via"]) for r in rows] == [
        ("prereview", "li.na", "web"),
        ("signoff", "zeng.xiang", "web"),
        ("publication", "zhou.min", "web"),
    ]
    assert rows[0].payload["attest_no_secrets"] is True
    assert rows[2].payload["urls"]["微博"] == "https://weibo.example/1"
    with db.transaction(engine) as session:
        assert get(session, pub).status.value == "published"
    assert recorder.calls == [
        ("publication.prereview.approved", pub, "li.na"),
        ("publication.signed_off", pub, "zeng.xiang"),
        ("publication.published", pub, "zhou.min"),
    ]
    closed = client.get(link("li.na", pub, "prereview"))
    assert "初审环节已结束：李娜" in closed.text and 'name="csrf"' not in closed.text
    assert "：已发布" in closed.text and "：published" not in closed.text  # the 微博 entry


def test_return_with_comment_then_diff_of_the_resubmission(
    engine: Engine, client: TestClient
) -> None:
    pub = submitted(engine, body="第一段。\n\n第二段。")
    refusal = decide_on_page(client, link("li.na", pub, "prereview"), "return")
    assert "须填写意见" in refusal.text and "--comment" not in refusal.text
    assert refusal.status_code == 409 and "未能记录" in refusal.text
    done = decide_on_page(
        client, link("li.na", pub, "prereview"), "return", comment="第二段数据需核实"
    )
    assert "退回修改" in done.text
    assert decisions(engine, pub)[-1].comment == "第二段数据需核实"
    # While it is back with the submitter the review run records the step it waits on as the
    # resubmission step (as the real flow does): every later page must still read it.
    open_step.fn(read_position(pub), "run-1")
    with db.transaction(engine) as session:
        resubmit(
            session,
            pub,
            "zhang.wei",
            title=None,
            body="第一段。\n\n第二段（已核实）。",
            attachments=[attachment()],
        )
    page = client.get(link("wang.fang", pub, "prereview", revision=2))
    html = page.text
    assert page.status_code == 200 and "待提交人修改" in html
    assert "与退回稿（第 1 稿）的差异" in html
    assert '<span class="del">-第二段。</span>' in html
    assert '<span class="add">+第二段（已核实）。</span>' in html
    assert "新增附件：附件.txt" in html
    assert "意见：第二段数据需核实" in html
    stale = client.get(link("li.na", pub, "prereview", revision=1))
    assert "已被第 2 稿取代" in stale.text and 'name="csrf"' not in stale.text
    assert "以下信息等待您" not in stale.text


def test_prereview_approval_needs_the_attestation(engine: Engine, client: TestClient) -> None:
    pub = submitted(engine)
    before = ledger_size(engine)
    refused = decide_on_page(client, link("li.na", pub, "prereview"), "approve")
    assert refused.status_code == 409 and "无涉密及个人隐私内容" in refused.text
    assert ledger_size(engine) == before


def test_blocking_finding_needs_an_override_reason(engine: Engine, client: TestClient) -> None:
    pub = submitted(engine, body="秘密★1年\n\n本文件内容如下。")
    url = link("li.na", pub, "prereview")
    page = client.get(url)
    assert "发现阻断问题" in page.text and 'name="override_reason"' in page.text
    assert decide_on_page(client, url, "approve", attest="yes").status_code == 409
    done = decide_on_page(client, url, "approve", attest="yes", override_reason="已解密的历史文件")
    assert "已记录" in done.text
    assert decisions(engine, pub)[-1].payload["screening_override"] == "已解密的历史文件"


def test_double_click_decides_once(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    pub = submitted(engine)
    url = link("li.na", pub, "prereview")
    token = csrf_of(client.get(url).text)
    form = {"csrf": token, "outcome": "approve", "attest": "yes"}
    assert "已记录您的决定" in client.post(url, data=form).text
    size = ledger_size(engine)
    again = client.post(url, data=form)
    assert again.status_code == 200 and "此前已记录，本次未重复写入" in again.text
    other = client.post(url, data={**form, "outcome": "reject", "comment": "改主意"})
    assert other.status_code == 409
    assert ledger_size(engine) == size
    assert len(recorder.calls) == 1


@pytest.mark.parametrize(
    "spoil",
    [
        # A character inside the signature: the last one also carries unused padding bits,
        # so changing it can leave the decoded signature as it was.
        pytest.param(
            lambda t: t[:-10] + ("A" if t[-10] != "A" else "B") + t[-9:], id="altered-signature"
        ),
        pytest.param(lambda t: t.replace(t.split(".")[0], t.split(".")[0][:-2] + "fQ"), id="body"),
        pytest.param(lambda t: "forged." + t.split(".")[1], id="forged"),
    ],
)
def test_tampered_links_are_refused(engine: Engine, client: TestClient, spoil) -> None:
    pub = submitted(engine)
    url = link("li.na", pub, "prereview")
    form = {"csrf": csrf_of(client.get(url).text), "outcome": "approve", "attest": "yes"}
    token = url.rsplit("/", 1)[1]
    bad = f"{BASE}review/{spoil(token)}"
    before = ledger_size(engine)
    for response in (client.get(bad), client.post(bad, data=form)):
        assert response.status_code == 403 and "链接无效" in response.text
    assert ledger_size(engine) == before


def test_a_link_signed_with_another_secret_is_refused(
    engine: Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    pub = submitted(engine)
    monkeypatch.setenv("PUBREVIEW_WEB_SECRET", "someone else's secret")
    forged = link("li.na", pub, "prereview")
    monkeypatch.delenv("PUBREVIEW_WEB_SECRET")
    assert client.get(forged).status_code == 403


def test_expired_link_is_refused(engine: Engine, client: TestClient) -> None:
    pub = submitted(engine)
    url = link("li.na", pub, "prereview", expires_in=timedelta(seconds=-1))
    before = ledger_size(engine)
    page = client.get(url)
    assert page.status_code == 403 and "链接已过期" in page.text
    assert client.post(url, data={"outcome": "approve", "attest": "yes"}).status_code == 403
    assert ledger_size(engine) == before


def test_post_without_a_matching_form_token_is_refused(engine: Engine, client: TestClient) -> None:
    pub = submitted(engine)
    url = link("li.na", pub, "prereview")
    other = link("li.na", submitted(engine), "prereview")
    other_token = csrf_of(client.get(other).text)
    token = csrf_of(client.get(url).text)
    before = ledger_size(engine)
    attempts = [
        {"outcome": "approve", "attest": "yes"},  # no token: a plain cross-site form
        {"csrf": other_token, "outcome": "approve", "attest": "yes"},  # lifted from another link
        {"csrf": "0" * 64, "outcome": "approve", "attest": "yes"},
    ]
    for form in attempts:
        response = client.post(url, data=form)
        assert response.status_code == 403 and "无法验证本次提交" in response.text
    client.cookies.clear()  # a cross-site POST carries no SameSite=Lax cookie
    response = client.post(url, data={"csrf": token, "outcome": "approve", "attest": "yes"})
    assert response.status_code == 403
    assert ledger_size(engine) == before


def test_someone_elses_stage_is_not_theirs(engine: Engine, client: TestClient) -> None:
    pub = submitted(engine)  # 综合科: chen.jing heads 业务科
    page = client.get(link("chen.jing", pub, "prereview"))
    assert "初审环节不由您（chen.jing）决定" in page.text and 'name="csrf"' not in page.text
    own = client.get(link("zhang.wei", pub, "prereview"))
    assert 'name="csrf"' not in own.text


def test_queue_lists_what_waits_oldest_first(engine: Engine, client: TestClient) -> None:
    first = submitted(engine, title="较早的信息")
    second = submitted(engine, title="较晚的信息")
    elsewhere = submitted(engine, title="业务科的信息", unit="yewu", submitter="liu.yang")
    decided(engine, second, "li.na", Outcome.APPROVE, attest=True)
    page = client.get(links.queue_link("wang.fang"))
    html = page.text
    assert page.status_code == 200 and "王芳（wang.fang）" in html
    assert "较早的信息" in html and "较晚的信息" not in html and "业务科的信息" not in html
    assert "已等待" in html and f"{BASE}review/" in html
    leader = client.get(links.queue_link("zeng.xiang")).text
    assert "较晚的信息" in leader and "待审签" in leader and "较早的信息" not in leader
    chen = client.get(links.queue_link("chen.jing")).text
    assert "业务科的信息" in chen
    decided(engine, first, "wang.fang", Outcome.RETURN, comment="请补充")
    submitter = client.get(links.queue_link("zhang.wei")).text
    assert "退回修改：待您修改后重新提交" in submitter
    assert client.get(links.queue_link("li.na")).text.count("<li>") == 0
    assert elsewhere
    tampered = links.queue_link("wang.fang")[:-3] + "abc"
    assert client.get(tampered).status_code == 403


def test_queue_is_oldest_first(engine: Engine, client: TestClient) -> None:
    ids = [submitted(engine, title=f"第{n}件") for n in range(3)]
    html = client.get(links.queue_link("li.na")).text
    positions = [html.index(f"第{n}件") for n in range(3)]
    assert positions == sorted(positions) and len(ids) == 3


def test_secret_is_made_once_and_private(client: TestClient, tmp_path: Path) -> None:
    first = links.review_link("li.na", 1, "prereview", 1)
    path = tmp_path / "data" / links.SECRET_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    secret = path.read_text()
    links.review_link("li.na", 1, "prereview", 1)
    assert path.read_text() == secret and first


def test_web_command_is_registered() -> None:
    args = build_parser().parse_args(["web", "--port", "8091"])
    assert (args.host, args.port) == ("127.0.0.1", 8091)


def test_database_down_is_a_clear_page(
    engine: Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    pub = submitted(engine)
    url = link("li.na", pub, "prereview")
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    page = client.get(url)
    assert page.status_code == 503 and "系统暂时无法访问台帐" in page.text


def test_every_error_is_a_chinese_page_with_the_security_headers(client: TestClient) -> None:
    for method, path, status in (
        ("GET", "/no-such-page", 404),
        ("POST", "/healthz", 405),
        ("GET", "/review/x/files/not-a-number", 400),
    ):
        r = client.request(method, path)
        assert r.status_code == status, path
        assert r.headers["content-type"].startswith("text/html"), path
        assert "请" in r.text and "Traceback" not in r.text and '"detail"' not in r.text
        assert r.headers["x-frame-options"] == "DENY", path
    health = client.get("/healthz")
    assert health.text == "ok" and "default-src 'none'" in health.headers["content-security-policy"]
    # The address of the app leads to the login page, or home once logged in.
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_history_shows_a_sent_message_once_without_its_claim(
    engine: Engine, client: TestClient
) -> None:
    from pubreview.orchestration.after_commit import tell_next

    pub = submitted(engine)
    tell_next(pub)
    with db.snapshot(engine) as session:
        outcomes = [
            e.outcome
            for e in session.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.publication_id == pub, LedgerEntry.kind == LedgerKind.NOTIFIED
                )
            )
        ]
    assert "claimed" in outcomes and "sent" in outcomes  # the ledger keeps both
    html = client.get(link("li.na", pub, "prereview")).text
    assert "已发送" in html and "李娜" in html
    assert "准备发送" not in html  # the sender's bookkeeping, settled by the send
