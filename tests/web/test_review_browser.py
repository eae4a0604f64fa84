"""The review pages in a real browser with JavaScript off (Debian's chromium, Playwright).

One approver after another opens their personal link on a phone-sized screen and presses a
button; then the return path with a comment; then a tampered link, an expired link and a
replayed POST, each refused with nothing written. And the same chain reached from the messages
the loopback SMTP server received, following the personal link each one carries.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind
from pubreview import db, links
from pubreview.notify.config import ENV_YAML
from pubreview.notify.dispatch import notify_publication
from pubreview.review.submission import get, resubmit
from tests.support.browser import SHOTS, chromium
from tests.support.factories import attachment, submitted
from tests.support.notify import SmtpServer, apprise_yaml, email_of
from tests.support.prefect_stack import free_port, wait_until
from tests.support.web import AfterCommitRecorder, ledger_size, make_app, point_at

pytestmark = [
    pytest.mark.browser,
    # The pages are the same on either database; test_web.py covers both.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def web(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AfterCommitRecorder]:
    """`pubreview web`'s app under uvicorn on a free loopback port; links point at it."""
    port = free_port()
    point_at(monkeypatch, database_url, tmp_path / "data", f"http://127.0.0.1:{port}/")
    recorder = AfterCommitRecorder()
    server = uvicorn.Server(
        uvicorn.Config(make_app(recorder), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 15, "uvicorn to start")
    yield recorder
    server.should_exit = True
    thread.join(15)


@pytest.fixture
def browser(tmp_path: Path):
    """A headless chromium context with JavaScript off and a phone-sized screen."""
    with chromium(
        tmp_path / "chromium-profile", java_script_enabled=False, viewport=PHONE, locale="zh-CN"
    ) as context:
        yield context


def _decisions(engine: Engine, pub: int) -> list[LedgerEntry]:
    with db.transaction(engine) as session:
        return list(
            session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.publication_id == pub, LedgerEntry.kind == LedgerKind.DECIDED)
                .order_by(LedgerEntry.id)
            )
        )


def _approve(page, url: str, shot: str | None = None, **fill: str) -> None:
    page.goto(url)
    for selector, value in fill.items():
        page.fill(f'[name="{selector}"]', value)
    if page.locator('input[name="attest"]').count():
        page.check('input[name="attest"]')
    if shot:
        page.screenshot(path=str(SHOTS / shot), full_page=True)
    page.click('button[value="approve"]')
    assert page.locator("h1").inner_text() == "已记录您的决定：同意"


def test_whole_chain_return_and_refusals_in_the_browser(
    engine: Engine, web: AfterCommitRecorder, browser
) -> None:
    page = browser.new_page()
    pub = submitted(
        engine,
        body="## 会议安排\n\n- 时间：三月五日\n- 地点：**二楼会议室**",
        channels=["网站", "微博"],
        attachments=[attachment()],
    )
    prereview = links.review_link("li.na", pub, "prereview", 1)
    page.goto(prereview)
    # On a phone: nothing wider than the screen, the buttons stacked full width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("text=SHA-256").count() == 1
    _approve(page, prereview, "web-review-prereview-phone.png")
    _approve(page, links.review_link("zeng.xiang", pub, "signoff", 1))
    _approve(
        page,
        links.review_link("zhou.min", pub, "publication", 1),
        "web-review-publication-phone.png",
        **{"url.微博": "https://weibo.example/abc"},
    )
    assert [(d.stage, d.actor, d.payload["via"]) for d in _decisions(engine, pub)] == [
        ("prereview", "li.na", "web"),
        ("signoff", "zeng.xiang", "web"),
        ("publication", "zhou.min", "web"),
    ]
    with db.transaction(engine) as session:
        assert get(session, pub).status.value == "published"
    assert [event for event, _, _ in web.calls] == [
        "publication.prereview.approved",
        "publication.signed_off",
        "publication.published",
    ]

    # The return path: a comment, then the resubmission shows what changed.
    back = submitted(engine, title="需要修改的信息", body="原稿第一段。\n\n数据：100 人。")
    page.goto(links.review_link("li.na", back, "prereview", 1))
    page.fill('[name="comment"]', "人数需核实后再报")
    page.click('button[value="return"]')
    assert page.locator("h1").inner_text() == "已记录您的决定：退回修改"
    assert _decisions(engine, back)[-1].comment == "人数需核实后再报"
    with db.transaction(engine) as session:
        resubmit(
            session,
            back,
            "zhang.wei",
            title=None,
            body="原稿第一段。\n\n数据：98 人。",
            attachments=None,
        )
    page.goto(links.review_link("wang.fang", back, "prereview", 2))
    assert page.locator("pre.diff .add").inner_text() == "+数据：98 人。"
    page.screenshot(path=str(SHOTS / "web-review-diff-phone.png"), full_page=True)
    page.goto(links.queue_link("wang.fang"))
    assert page.locator("li a").first.inner_text() == "需要修改的信息"
    page.screenshot(path=str(SHOTS / "web-queue-phone.png"), full_page=True)

    # Refusals: each leaves the ledger exactly as it was.
    target = submitted(engine, title="用于拒绝测试的信息")
    good = links.review_link("li.na", target, "prereview", 1)
    before = ledger_size(engine)
    token = good.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    other = links.review_token("li.na", back, "prereview", 2).split(".")[0]
    for tampered in (f"{payload}.{signature[:-2]}xx", f"{other}.{signature}"):
        page.goto(good.replace(token, tampered))
        assert page.locator("h1").inner_text().startswith("链接无效")
    page.screenshot(path=str(SHOTS / "web-refused-tampered-phone.png"), full_page=True)
    expired = links.review_link("li.na", target, "prereview", 1, expires_in=timedelta(seconds=-1))
    page.goto(expired)
    assert page.locator("h1").inner_text() == "链接已过期"
    assert ledger_size(engine) == before

    page.goto(good)
    page.check('input[name="attest"]')
    with page.expect_request(lambda r: r.method == "POST") as posted:
        page.click('button[value="approve"]')
    assert page.locator("h1").inner_text() == "已记录您的决定：同意"
    after_one = ledger_size(engine)
    assert after_one == before + 1
    replay = browser.request.post(good, form=dict(_form(posted.value.post_data)))
    assert replay.status == 200 and "此前已记录，本次未重复写入" in replay.text()
    page.goto(good)
    assert page.locator("text=初审环节已结束").count() == 1
    assert page.locator('button[value="approve"]').count() == 0
    assert ledger_size(engine) == after_one


def _form(body: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(body, keep_blank_values=True)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """The loopback SMTP server every sample person's mail is routed to."""
    server = SmtpServer().start()
    monkeypatch.setenv(ENV_YAML, apprise_yaml(server.port))
    monkeypatch.setenv("PUBREVIEW_NOTIFY_BACKOFF_S", "0.01")
    yield server
    server.stop()


def _link_in_mail(smtp: SmtpServer, username: str, pub: int) -> str:
    """The personal link in the newest message to this person about this publication."""
    mails = [m for m in smtp.to(email_of(username)) if f"#{pub}" in m.subject]
    assert mails, f"no message to {username} about #{pub}"
    found = re.findall(r"http://127\.0\.0\.1:\d+/review/[A-Za-z0-9_.-]+", mails[-1].text)
    assert found, mails[-1].text
    return found[0]


def test_each_message_links_to_its_review_page(
    engine: Engine, web: AfterCommitRecorder, smtp: SmtpServer, browser
) -> None:
    """As the review flow would: notify, read the mail, follow its link, decide; next stage."""
    page = browser.new_page()
    pub = submitted(engine, channels=["网站", "微博"])
    steps = [
        ("li.na", {}),
        ("zeng.xiang", {}),
        ("zhou.min", {"url.微博": "https://weibo.example/9"}),
    ]
    for user, fill in steps:
        notify_publication(pub, engine=engine)
        _approve(page, _link_in_mail(smtp, user, pub), **fill)
    with db.transaction(engine) as session:
        assert get(session, pub).status.value == "published"
    assert [d.payload["via"] for d in _decisions(engine, pub)] == ["web"] * 3

    back = submitted(engine, title="退回路径")
    notify_publication(back, engine=engine)
    page.goto(_link_in_mail(smtp, "li.na", back))
    page.fill('[name="comment"]', "请补充发文依据")
    page.click('button[value="return"]')
    assert page.locator("h1").inner_text() == "已记录您的决定：退回修改"
    notify_publication(back, engine=engine)
    to_submitter = [m for m in smtp.to(email_of("zhang.wei")) if f"#{back}" in m.subject]
    assert to_submitter and "请补充发文依据" in to_submitter[-1].text
