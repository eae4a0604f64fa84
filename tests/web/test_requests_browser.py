"""依申请公开 in a real browser, JavaScript off (Debian's chromium): the center registers a
request, sees its deadline, drafts the reply; a colleague reviews it, the leader signs it on a
phone, and the center sends it — each logged in as themselves."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine

from pubreview import db
from pubreview.requests import store
from tests.support.accounts import set_password
from tests.support.browser import SHOTS, chromium
from tests.support.prefect_stack import free_port, wait_until
from tests.support.web import AfterCommitRecorder, make_app, point_at

pytestmark = [
    pytest.mark.browser,
    # The pages are the same on either database; tests/web/test_requests.py covers both.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
PASSWORD = "Rb7-secure-pw"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def web(engine: Engine, database_url: str, tmp_path: Path, monkeypatch) -> Iterator[str]:
    """The web app under uvicorn on a free loopback port; its address."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    point_at(monkeypatch, database_url, tmp_path / "data", base)
    with db.transaction(engine) as session:
        for username in ("zhou.min", "wu.gang", "zeng.xiang"):
            set_password(session, username, PASSWORD)
    server = uvicorn.Server(
        uvicorn.Config(
            make_app(AfterCommitRecorder()), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 15, "uvicorn to start")
    yield base
    server.should_exit = True
    thread.join(15)


def _page_as(context, base: str, username: str, viewport: dict | None = None):
    context.clear_cookies()
    page = context.new_page()
    if viewport:
        page.set_viewport_size(viewport)
    page.goto(f"{base}login?next=/requests")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    assert "/requests" in page.url, page.content()
    return page


def test_a_request_registered_and_answered_through_the_chain(
    web: str, engine: Engine, tmp_path: Path
) -> None:
    with chromium(tmp_path / "profile", java_script_enabled=False, locale="zh-CN") as context:
        page = _page_as(context, web, "zhou.min")
        page.select_option("#channel", "邮寄")
        page.select_option("#applicant_type", "社会公益组织")
        page.fill("#arrived_on", "2025-09-26")
        page.fill("#signed_on", "2025-09-28")
        page.fill("#applicant_name", "某环保协会")
        page.fill("#content", "请公开某化工园区2024年度环境监测报告")
        page.click("#register-submit")
        assert "已登记" in page.inner_text("#done")
        assert page.inner_text("#due-on") == "截止 2025-10-31"
        assert "国庆节、中秋节 10-01…10-08 不计" in page.inner_text("#deadline-lines")
        request_url = page.url.split("?")[0]
        request_id = int(request_url.rsplit("/", 1)[1])
        page.click("#act-draft summary")
        page.select_option("#draft-outcome", "三（一）")
        page.fill("#draft-basis", "《中华人民共和国政府信息公开条例》第三十六条第（二）项")
        page.click("#draft-submit")
        assert "等待审核" in page.inner_text("#reply")

        page = _page_as(context, web, "wu.gang")
        page.goto(request_url)
        page.click("#decide-approve")
        assert "等待签发" in page.inner_text("#reply")

        page = _page_as(context, web, "zeng.xiang", PHONE)
        page.goto(request_url)
        assert "某环保协会" not in page.content()  # a leader sees the applicant masked
        page.screenshot(path=str(SHOTS / "requests-sign-phone.png"), full_page=True)
        page.fill("#decide-signed-on", "2025-10-16")
        page.click("#decide-approve")
        assert "已签发，待发出" in page.inner_text("#reply")

        page = _page_as(context, web, "zhou.min")
        page.goto(request_url)
        assert "2025-10-16 签发" in page.inner_text("#signed-on")  # sending cannot predate it
        page.fill("#send-on", "2025-10-20")
        page.click("#send-submit")
        assert "已办结：（一）予以公开（2025-10-20）" in page.inner_text("#status")
        page.screenshot(path=str(SHOTS / "requests-closed.png"), full_page=True)
    with db.transaction(engine) as s:
        req = store.get(s, request_id)
        assert (req.outcome, req.closed_on.isoformat()) == ("三（一）", "2025-10-20")
