"""Every role's journey through the real stack, in a real browser with JavaScript off.

A real Prefect server and served worker, `pubreview web` as its own process with the real
hand-off to Prefect, mail through a real SMTP server on loopback, Debian's chromium. The clerk
logs in, uploads a DOCX, sees a screening finding, fixes it and submits; the section head
approves from the queue on a phone; the leader returns it with a comment; the clerk
resubmits with the diff shown; it goes through; the center publishes it to the site and
records the 微信 address; the administrator downloads the 审批表 and sees every login in the
access audit. Each step waits for the review run to reach the next suspension, so what the
browser does really moves the flow.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document

from pubreview import db
from pubreview.accounts.passwords import set_sample_passwords
from pubreview.devstack.demo import SAMPLE_PASSWORDS
from tests.conftest import _prepare
from tests.support.browser import SHOTS, chromium
from tests.support.notify import SmtpServer, apprise_yaml, email_of
from tests.support.prefect_stack import PrefectStack, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.prefect]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1200, "height": 900}
TITLE = "关于召开全市编办主任会议的通知"
WEIXIN = "https://mp.weixin.qq.com/s/journey-1"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[PrefectStack]:
    """Prefect server, worker and web app over a fresh SQLite ledger; mail to the SMTP server."""
    home = tmp_path_factory.mktemp("journey")
    url = f"sqlite:///{home / 'ledger.db'}"
    _prepare(url)
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        set_sample_passwords(session, SAMPLE_PASSWORDS)
    engine.dispose()
    stack = PrefectStack(home, url)
    stack.env["PUBREVIEW_APPRISE_YAML"] = apprise_yaml(smtp.port)
    stack.env["PUBREVIEW_NOTIFY_ATTEMPTS"] = "1"
    try:
        stack.start_web()
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def passwords() -> dict[str, str]:
    import yaml

    return yaml.safe_load(SAMPLE_PASSWORDS.read_text(encoding="utf-8"))["passwords"]


def docx_with(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class Office:
    """One browser with JavaScript off; people log in and out of it in turn."""

    def __init__(self, context, web_url: str, passwords: dict[str, str]) -> None:
        self.page = context.new_page()
        self.web = web_url
        self.passwords = passwords

    def login(self, username: str, viewport: dict = DESKTOP) -> None:
        page = self.page
        page.set_viewport_size(viewport)
        page.goto(f"{self.web}login")
        page.fill("#username", username)
        page.fill("#password", self.passwords[username])
        page.get_by_role("button", name="登录").click()
        assert "/login" not in page.url, page.content()

    def logout(self) -> None:
        self.page.get_by_role("button", name="退出").click()
        assert "/login" in self.page.url or "已退出" in self.page.content()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"journey-{name}.png"), full_page=True)


def test_every_role_from_the_browser_through_the_real_stack(
    office: PrefectStack, smtp: SmtpServer, passwords: dict[str, str], tmp_path: Path
) -> None:
    web = office.env["PUBREVIEW_WEB_URL"]
    with chromium(
        tmp_path / "profile", java_script_enabled=False, locale="zh-CN", accept_downloads=True
    ) as context:
        o = Office(context, web, passwords)
        page = o.page

        # The clerk: a DOCX whose text carries a classified marking; the check shows it first.
        o.login("zhang.wei")
        page.goto(f"{web}submit")
        page.fill("#title", TITLE)
        draft = tmp_path / "通知.docx"
        draft.write_bytes(docx_with("秘密★1年", "定于十二月五日召开全市编办主任会议。"))
        page.set_input_files("#body_docx", str(draft))
        page.select_option("#category", "工作动态")
        page.check("input[name=channels][value=网站]")
        page.check("input[name=channels][value=微信]")
        page.click("#preview-button")
        assert "定于十二月五日召开全市编办主任会议" in page.input_value("#body")
        assert "秘密" in page.locator("body").inner_text()
        assert "阻断" in page.locator("body").inner_text()
        o.shot("1-clerk-finding")
        page.fill("#body", "定于十二月五日召开全市编办主任会议。\n\n请各单位准时参加。")
        page.click("#preview-button")
        page.click("#submit-button")
        found = re.search(r"/items/(\d+)", page.url)
        assert found, page.url
        pub = int(found.group(1))
        assert TITLE in page.content()
        office.wait_paused(pub, "prereview:r1")
        o.logout()

        # The section head, on a phone, from the queue; the message also reached them by mail.
        mail = wait_until(
            lambda: [m for m in smtp.to(email_of("wang.fang")) if f"#{pub}" in m.subject],
            60,
            "the 初审 message to wang.fang",
        )
        assert "待初审" in mail[0].subject
        o.login("wang.fang", PHONE)
        page.goto(f"{web}queue")
        page.locator(f"#queue-{pub} a").first.click()
        assert f"/items/{pub}" in page.url
        page.check("#attest")
        o.shot("2-head-phone")
        page.click("#decide-approve")
        assert "同意" in page.content()
        office.wait_paused(pub, "signoff:r1")
        o.logout()

        # The leader returns it with a comment.
        o.login("zeng.xiang", PHONE)
        page.goto(f"{web}items/{pub}")
        page.fill("#comment", "请写明会议地点")
        page.click("#decide-return")
        office.wait_paused(pub, "returned:r1")
        o.logout()

        # The clerk sees the comment, changes the text and sees the diff before resubmitting.
        o.login("zhang.wei")
        page.goto(f"{web}items/{pub}")
        assert "请写明会议地点" in page.content()
        form = page.locator("#resubmit-form")
        form.locator("#body").fill(
            "定于十二月五日在市政务中心召开全市编办主任会议。\n\n请各单位准时参加。"
        )
        page.click("#resubmit-preview")
        assert "差异" in page.content() and "市政务中心" in page.content()
        o.shot("3-clerk-diff")
        page.click("#resubmit-button")
        office.wait_paused(pub, "prereview:r2")
        o.logout()

        for username, stage, next_key in (
            ("wang.fang", "prereview", "signoff:r2"),
            ("zeng.xiang", "signoff", "publication:r2"),
        ):
            o.login(username, PHONE)
            page.goto(f"{web}items/{pub}")
            if stage == "prereview":
                assert "差异" in page.content()
                page.check("#attest")
            page.click("#decide-approve")
            office.wait_paused(pub, next_key)
            o.logout()

        # The center publishes now, with the 微信 address.
        o.login("zhou.min")
        page.goto(f"{web}center")
        form = page.locator(f"#publish-form-{pub}")
        form.locator("input[name='url.微信']").fill(WEIXIN)
        o.shot("4-center")
        form.locator(f"#publish-now-{pub}").click()
        office.wait_completed(pub)
        status = office.cli_json("status", str(pub))
        assert status["status"] == "published"
        assert status["channel_status"]["微信"] == WEIXIN
        article = Path(office.env["PUBREVIEW_DATA_DIR"]) / "site" / "articles" / f"{pub}.html"
        assert article.exists() and "市政务中心" in article.read_text(encoding="utf-8")
        o.logout()

        # The administrator: the 审批表 with every step, and every login in the audit.
        o.login("wu.gang")
        page.goto(f"{web}items/{pub}/slip")
        slip = page.locator("body").inner_text()
        for expected in ("初审", "审签", "中心发布", "请写明会议地点", "退回修改", "王芳", "曾翔"):
            assert expected in slip, expected
        with page.expect_download() as download:
            page.locator(f"a[href='/items/{pub}/slip.docx']").first.click()
        saved = tmp_path / "slip.docx"
        download.value.save_as(saved)
        text = "\n".join(
            [p.text for p in Document(saved).paragraphs]
            + [c.text for t in Document(saved).tables for r in t.rows for c in r.cells]
        )
        assert "请写明会议地点" in text and "中心发布" in text
        page.goto(f"{web}admin/audit")
        audit = page.locator("body").inner_text()
        for username in ("zhang.wei", "wang.fang", "zeng.xiang", "zhou.min", "wu.gang"):
            assert username in audit, username
        o.shot("5-admin-audit")

    assert office.cli_json("ledger", "verify")["ok"]
    decisions = office.cli_json("history", str(pub))
    vias = [e["payload"].get("via") for e in decisions if e["kind"] == "decided"]
    assert vias == ["web-session"] * 5
