"""XSS vectors stored through the real forms of a served `pubreview web` do nothing in chromium.

Vectors go in as a title, a Markdown body, a return comment, a sign-off comment, an
attachment's file name, a .docx body and a login name. Then every page that shows them is
opened with JavaScript on, and nothing may happen: no script sets `window.__xss` or the
document title, no dialog opens, no page asks for a URL with `__xss__` in it (an injected
`<img>`, style or refresh would, even under the app's CSP), and no page carries a script
element, an `on…` attribute or a `javascript:` link. Two control pages, served at the app's
address with the vectors left raw (one with the app's CSP, one without), show that each of
these checks does catch an unescaped vector.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
import pytest

from pubreview import db, links
from pubreview.site.build import build_site
from tests.support.browser import SHOTS, chromium_browser
from tests.support.served import ServedOffice, logged_in, served_office

pytestmark = pytest.mark.browser
PEOPLE = ("zhang.wei", "li.na", "zeng.xiang", "zhou.min", "wu.gang")


def vector(place: str) -> str:
    """Markup that, shown unescaped, runs a script and asks for a `__xss__` URL."""
    return (
        f"\"'><img src=__xss__{place} onerror=window.__xss='{place}'>"
        f"<script>window.__xss='{place}';document.title='XSS'</script>"
    )


TITLE = "通知" + vector("title")
FILE_NAME = "<img src=__xss__file onerror=window.__xss='file'>附件.txt"
COMMENT = "请修改</textarea>" + vector("comment")
SIGN_OFF = "同意" + vector("signoff")
LOGIN_NAME = "<img src=__xss__login>"
DOCX_TEXT = vector("docx")
META = '<meta http-equiv="refresh" content="0;url=__xss__refresh">'
BODY = "\n\n".join(
    [
        "正文第一段。" + vector("body"),
        '<div style="background:url(__xss__bodystyle)">样式</div>',
        META,
        '<iframe src="__xss__iframe"></iframe>',
        "[点我](javascript:window.__xss='link')",
        "<a href=\"javascript:window.__xss='rawlink'\">原始链接</a>",
    ]
)
ALL = "\n".join([TITLE, FILE_NAME, COMMENT, SIGN_OFF, LOGIN_NAME, DOCX_TEXT, BODY])

# Whether the page's DOM carries anything that could run: scripts, on… attributes, js: links.
DOM_CHECK = """() => ({
  xss: window.__xss === undefined ? null : String(window.__xss),
  title: document.title,
  scripts: document.scripts.length,
  handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
      .filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name)),
  jslinks: [...document.querySelectorAll('[href], [src], [action], [formaction]')].filter(
      e => /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src') ||
                                  e.getAttribute('action') || e.getAttribute('formaction') || '')
  ).length,
})"""


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedOffice]:
    with served_office(tmp_path_factory.mktemp("xss-browser"), PEOPLE) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with chromium_browser() as b:
        yield b


class Watch:
    """Every `__xss__` request and every dialog in a browser context."""

    def __init__(self, context) -> None:
        self.hits: list[str] = []
        self.dialogs: list[str] = []
        context.on("request", self._request)
        context.on("dialog", self._dialog)

    def _request(self, request) -> None:
        if "__xss__" in request.url:
            self.hits.append(request.url)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def context(browser) -> Iterator:
    opened = browser.new_context(locale="zh-CN")
    yield opened
    opened.close()


def docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph("会议通知。")
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _submitted(page) -> int:
    """Press 提交 (again, once, if the screening asks to be seen first); the new item's id."""
    page.click("#submit-button")
    if "/items/" not in page.url:
        page.click("#submit-button")
    match = re.search(r"/items/(\d+)\?done=submitted", page.url)
    assert match, page.content()
    return int(match.group(1))


def _fill_draft(page, office: ServedOffice, title: str) -> None:
    page.goto(f"{office.base}submit")
    page.fill("#title", title)
    page.select_option("#category", "工作动态")
    page.check('#submit-form input[name=channels][value="网站"]')


def _decide(page, office: ServedOffice, pub: int, outcome: str, comment: str = "") -> None:
    page.goto(f"{office.base}items/{pub}")
    if comment:
        page.fill("#comment", comment)
    if outcome == "approve" and page.locator("#attest").count():
        page.check("#attest")
    page.click(f"#decide-{outcome}")
    assert page.locator(".error, #form-errors").count() == 0, page.inner_text("main")


def _check(page, where: str, watch: Watch) -> None:
    found = page.evaluate(DOM_CHECK)
    assert found["xss"] is None and found["title"] != "XSS", (where, found)
    assert found["scripts"] == 0 and found["handlers"] == [], (where, found)
    assert found["jslinks"] == 0, (where, found)
    assert watch.hits == [] and watch.dialogs == [], (where, watch.hits, watch.dialogs)


def test_the_checks_catch_a_vector_left_unescaped(office: ServedOffice, context, browser) -> None:
    watch = Watch(context)
    page = context.new_page()
    csp = page.goto(f"{office.base}login").headers["content-security-policy"]
    # Left raw, but without the refresh: it would leave the page before it is looked at.
    raw = f"<!doctype html><html><body><pre>{ALL.replace(META, '')}</pre></body></html>"

    def serving(headers: dict[str, str]):
        def fulfil(route) -> None:
            route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=raw, headers=headers
            )

        return fulfil

    page.route(f"{office.base}control-csp", serving({"Content-Security-Policy": csp}))
    page.route(f"{office.base}control", serving({}))
    # Under the app's own CSP no script runs, but injected markup still asks for its URLs.
    page.goto(f"{office.base}control-csp")
    page.wait_for_load_state("load")
    assert any("__xss__title" in u for u in watch.hits), watch.hits
    assert any("__xss__login" in u for u in watch.hits), watch.hits
    assert page.evaluate(DOM_CHECK)["handlers"] != []
    # Without a CSP the scripts run: window.__xss and the title are set.
    page.goto(f"{office.base}control")
    page.wait_for_load_state("load")
    found = page.evaluate(DOM_CHECK)
    assert found["xss"] is not None and found["title"] == "XSS", found
    assert found["scripts"] > 0 and found["jslinks"] > 0, found


def test_stored_vectors_do_nothing_on_any_page(office: ServedOffice, context) -> None:
    watch = Watch(context)
    # A login name is kept in the access audit the administrator reads.
    page = context.new_page()
    page.goto(f"{office.base}login")
    page.fill("#username", LOGIN_NAME)
    page.fill("#password", "wrong-password-1")
    page.click("button[type=submit]")
    _check(page, "failed login", watch)

    page = logged_in(context, office, "zhang.wei", "/submit")
    _fill_draft(page, office, TITLE)
    page.fill("#body", BODY)
    page.set_input_files(
        "#attachments", files=[{"name": FILE_NAME, "mimeType": "text/plain", "buffer": b"plain"}]
    )
    page.click("#preview-button")
    _check(page, "submit preview", watch)
    typed = _submitted(page)
    _check(page, "item after submit", watch)

    _fill_draft(page, office, "Word " + TITLE)
    page.set_input_files(
        "#body_docx",
        files=[
            {
                "name": "通知.docx",
                "mimeType": "application/octet-stream",
                "buffer": docx_bytes(DOCX_TEXT),
            }
        ],
    )
    page.click("#preview-button")
    body = page.input_value("#body")  # the .docx text is the body now (Markdown-escaped)
    assert "<script>window" in body and "docx" in body, body
    _check(page, "docx preview", watch)
    from_docx = _submitted(page)

    # The head returns the typed one with a hostile comment; the clerk resubmits it.
    head = logged_in(context, office, "li.na", f"/items/{typed}")
    _decide(head, office, typed, "return", COMMENT)
    clerk = logged_in(context, office, "zhang.wei", f"/items/{typed}")
    _check(clerk, "returned item", watch)
    clerk.fill("#title", TITLE + "（修改）")
    clerk.click("#resubmit-preview")
    _check(clerk, "resubmit preview", watch)
    clerk.click("#resubmit-button")
    if "done=resubmitted" not in clerk.url:
        clerk.click("#resubmit-button")
    assert "done=resubmitted" in clerk.url, clerk.inner_text("main")
    head = logged_in(context, office, "li.na", f"/items/{typed}")
    _decide(head, office, typed, "approve")
    leader = logged_in(context, office, "zeng.xiang", f"/items/{typed}")
    _decide(leader, office, typed, "approve", SIGN_OFF)

    pages = {
        "zhang.wei": ["/my", f"/items/{typed}", f"/items/{from_docx}", f"/items/{typed}/slip"],
        "li.na": [
            "/queue",
            f"/items/{from_docx}",
            links.review_link("li.na", from_docx, "prereview", 1),
            links.review_link("li.na", typed, "prereview", 2),  # decided: history and diff
        ],
        "zhou.min": ["/center", f"/center/items/{typed}", f"/items/{typed}/slip"],
        "wu.gang": ["/admin", "/admin/audit", "/admin/runs", "/admin/ledger"],
    }
    for username, paths in pages.items():
        page = logged_in(context, office, username, "/")
        for path in paths:
            url = path if path.startswith("http") else f"{office.base}{path.lstrip('/')}"
            answer = page.goto(url)
            assert answer.status == 200, (username, path, answer.status)
            _check(page, f"{username} {path}", watch)
        if username == "zhou.min":
            page.goto(f"{office.base}center")
            page.click(f"#publish-now-{typed}")
            _check(page, "center after publishing", watch)
            page.goto(f"{office.base}center")
            _check(page, "center with the published item", watch)
    # The vectors were shown where they were stored, as text.
    page = logged_in(context, office, "wu.gang", "/admin/audit")
    assert LOGIN_NAME in page.inner_text("main")
    page = logged_in(context, office, "zhang.wei", f"/items/{typed}")
    shown = page.inner_text("main")
    assert "<script>window.__xss='title'" in shown and "请修改</textarea>" in shown
    assert FILE_NAME in shown and "window.__xss='signoff'" in shown
    page.screenshot(path=str(SHOTS / "xss-item.png"), full_page=True)
    _check(page, "final item page", watch)

    # The public site, as the review run would build it after 中心发布, opened from its files.
    with db.transaction(office.engine) as session:
        build_site(session)
    site = sorted((office.home / "data" / "site").resolve().rglob("*.html"))
    article = [p for p in site if "window.__xss=&#39;title&#39;" in p.read_text(encoding="utf-8")]
    assert article, [p.name for p in site]
    for path in site:
        page.goto(path.as_uri())
        _check(page, f"site {path.name}", watch)
