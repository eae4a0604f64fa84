"""The public site in a real browser (Debian's chromium, headless, driven by Playwright)."""

from __future__ import annotations

import threading
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import markdown
import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.publishing.retraction import retract
from pubreview.site import build_site, render_publication
from pubreview.site.serve import make_server
from tests.site.test_build import ATOM, HOSTILE_BODY
from tests.support.browser import SHOTS, chromium
from tests.support.site import CENTER, publish_through_chain

pytestmark = [
    pytest.mark.browser,
    # The browser sees files, not the database: one backend is enough here.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The site directory and the base URL of http.server serving it on 127.0.0.1."""
    out = tmp_path / "site"
    out.mkdir()  # replaced by the first build's symlink; the server follows it per request
    server = make_server(out, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(tmp_path: Path):
    """A fresh headless chromium page."""
    with chromium(tmp_path / "chromium-profile") as context:
        yield context.new_page()


def _build(engine: Engine, out: Path) -> None:
    with db.transaction(engine) as session:
        build_site(session, out)


def test_index_lists_item_and_page_shows_it(engine: Engine, site, page) -> None:
    out, base = site
    pub_id = publish_through_chain(
        engine,
        "关于名称登记的公告",
        "公告正文:**即日起**执行。",
        category="政务公开",
        attachments={"附件.txt": b"hello"},
    )
    _build(engine, out)
    page.goto(base + "index.html")
    item = page.locator(f'li[data-id="{pub_id}"] a')
    assert item.inner_text() == "关于名称登记的公告"
    page.screenshot(path=str(SHOTS / "site-index.png"), full_page=True)
    item.click()
    page.wait_for_url(f"**/articles/{pub_id}.html")
    assert page.locator("h1").inner_text() == "关于名称登记的公告"
    assert "公告正文:即日起执行。" in page.locator(".body").inner_text()
    assert page.locator(".body strong").inner_text() == "即日起"
    assert "SHA-256" in page.locator(".attachments").inner_text()
    page.screenshot(path=str(SHOTS / "site-article.png"), full_page=True)
    page.locator(".attachments a").click()
    page.wait_for_url("**/files/**")
    assert "hello" in page.content()


def test_hostile_body_runs_nothing(engine: Engine, site, page) -> None:
    out, base = site
    pub_id = publish_through_chain(engine, "含脚本的正文", HOSTILE_BODY)
    _build(engine, out)
    # Control: the same body unsanitised does set the flag in this browser, so the payload is
    # live. (Set as content, not served: the site server's CSP would stop it on its own.)
    page.set_content(f"<!DOCTYPE html><meta charset=utf-8><body>{markdown.markdown(HOSTILE_BODY)}")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is not None
    page.goto(base + f"articles/{pub_id}.html")
    for label in ("点这里", "raw"):
        page.get_by_text(label).click()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.title().startswith("含脚本的正文")
    assert page.url.endswith(f"articles/{pub_id}.html")
    html = page.content().lower()
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    page.screenshot(path=str(SHOTS / "site-hostile.png"), full_page=True)


def test_retraction_in_browser_and_feed(engine: Engine, site, page) -> None:
    out, base = site
    kept = publish_through_chain(engine, "继续公开的信息", "正文甲")
    gone = publish_through_chain(engine, "将被撤回的信息", "正文乙")
    _build(engine, out)
    page.goto(base + "index.html")
    assert page.locator(f'li[data-id="{gone}"]').count() == 1
    with db.transaction(engine) as session:
        retract(session, gone, CENTER, "内容需更正", False)
    with db.transaction(engine) as session:
        render_publication(session, out, gone)
    page.goto(base + f"articles/{gone}.html")
    notice = page.locator(".withdrawn").inner_text()
    assert "已于" in notice and "撤回" in notice and "内容需更正" in notice
    assert page.locator(".body").count() == 0
    page.screenshot(path=str(SHOTS / "site-withdrawn.png"), full_page=True)
    page.goto(base + "index.html")
    assert page.locator(f'li[data-id="{gone}"]').count() == 0
    assert page.locator(f'li[data-id="{kept}"]').count() == 1
    with urllib.request.urlopen(base + "feed.xml") as response:
        feed = ET.fromstring(response.read())
    assert feed.tag == f"{ATOM}feed"
    ids = [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")]
    assert len(ids) == 1 and ids[0].endswith(f"articles/{kept}.html")
