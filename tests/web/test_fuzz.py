"""Every POST route of the web app under hostile forms, as a logged-in person of the right role.

Hypothesis draws the form (very long text, NUL and control characters, invalid UTF-8 in values
and in multipart filenames, missing fields, huge and negative numbers, path traversal) and the
path parameters; whatever it draws, the answer is a Chinese page with the security headers,
never a 500 or a traceback, and a refusal writes nothing to the ledger. One database per
backend for the whole module, so a run stays within seconds.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from starlette.routing import Route

from models import LedgerEntry, LedgerKind
from pubreview import db
from pubreview.settings import PROJECT_ROOT
from pubreview.web.draft_form import MAX_TEXT_FIELD
from tests.support.factories import submitted
from tests.support.hostile import signed_in_office
from tests.support.web import AfterCommitRecorder, make_app

# Who may use each group of routes (longest prefix first); the rest are for anyone signed in.
ROLE_OF = (
    ("/admin", "wu.gang"),
    ("/center", "zhou.min"),
    ("/requests", "zhou.min"),
    ("/items/{pub_id}/decide", "li.na"),
    ("/submit", "zhang.wei"),
    ("/items", "zhang.wei"),
    ("/account", "zhang.wei"),
)
# Reached before signing in (or, for /logout, the end of it): an anonymous browser.
ANONYMOUS = ("/login", "/login/totp", "/logout", "/password/{token}", "/review/{token}")
TEMPLATES = PROJECT_ROOT / "templates" / "web"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
TRACEBACK = ("Traceback", 'File "/', "sqlalchemy.exc", "psycopg")

HOSTILE_TEXT = [
    "",
    " ",
    "x" * 70_000,
    "标" * 5_000,
    "a\x00b",
    "\x00",
    "标题\x1b[2J\x07\r#2 伪造的状态行",
    "\u202e\u2066正文",
    "../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "-1",
    "0",
    "2147483648",
    "9223372036854775808",
    "1" * 40,
    "1e309",
    "NaN",
    "２０２６",
    "2026-02-30",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]
HOSTILE_IDS = ["1", "0", "-1", "2147483648", "9223372036854775808", "1" * 40, "abc", "1.5"]


def _field_names() -> list[str]:
    """Every field name a form of the web app uses (url.<channel> fields as url.网站)."""
    names = set()
    for template in TEMPLATES.glob("*.html"):
        names.update(re.findall(r'name="([a-z_]+)"', template.read_text(encoding="utf-8")))
    names.discard("csrf")
    return sorted(names | {"url.网站", "url.微信"})


def _action_values() -> list[str]:
    values = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        values.update(re.findall(r'name="action" value="([a-z_]+)"', text))
    return sorted(values)


FIELDS = _field_names()
ACTIONS = _action_values()

text_bytes = st.one_of(
    st.sampled_from(HOSTILE_TEXT).map(str.encode),
    st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"\xff\xfe", b"\xc0\xaf", b"abc\x80", b"\xed\xa0\x80"]),
)
field_values = st.one_of(text_bytes, st.sampled_from(ACTIONS).map(str.encode))
filenames = st.one_of(
    st.sampled_from(
        [
            b"../../etc/passwd",
            b"..\\..\\evil.html",
            b"\xff\xfe.pdf",
            b"x\x00.pdf",
            b"x\x01.pdf",
            b"/abs/evil.svg",
            b"",
            b"a" * 300 + b".docx",
            "通知\u202egpj.exe".encode(),
        ]
    ),
    st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass")),
)
file_contents = st.sampled_from([b"", b"<svg onload=alert(1)>", b"PK\x03\x04garbage", b"x" * 4096])


@st.composite
def hostile_forms(draw: st.DrawFn) -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    """(fields, files): some fields of the app's forms with hostile values, some files."""
    fields = draw(
        st.lists(
            st.tuples(st.sampled_from(FIELDS), field_values), max_size=8, unique_by=lambda f: f[0]
        )
    )
    files = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["attachments", "body_docx", "org_file", "supplement_file"]),
                filenames,
            ),
            max_size=2,
        )
    )
    return fields, files


def multipart(
    csrf: str, fields: list[tuple[str, bytes]], files: list[tuple[str, bytes]], body: bytes
) -> tuple[bytes, str]:
    """A multipart body written byte for byte, so a filename can be any bytes at all."""
    boundary = uuid.uuid4().hex
    parts = [(b"csrf", None, csrf.encode())]
    parts += [(name.encode(), None, value) for name, value in fields]
    parts += [(name.encode(), filename, body) for name, filename in files]
    out = bytearray()
    for name, filename, value in parts:
        out += f"--{boundary}\r\n".encode()
        disposition = b'Content-Disposition: form-data; name="' + name + b'"'
        if filename is not None:
            disposition += b'; filename="' + filename.replace(b'"', b"") + b'"'
            disposition += b"\r\nContent-Type: application/octet-stream"
        out += disposition + b"\r\n\r\n" + value + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def urlencoded(csrf: str, fields: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """The same fields as an ordinary form post (invalid UTF-8 percent-encoded as it is)."""
    pairs = [(b"csrf", csrf.encode())] + [(n.encode(), v) for n, v in fields]
    body = "&".join(f"{quote(n)}={quote(v)}" for n, v in pairs)
    return body.encode(), "application/x-www-form-urlencoded"


def _paths(routes: list, prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps include_router's
        if included is not None:
            yield from _paths(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Route):
            yield prefix + route.path, set(route.methods or ())


def post_routes() -> list[str]:
    """Every POST path of the web app, as declared."""
    app = make_app(AfterCommitRecorder())
    return sorted({path for path, methods in _paths(app.routes) if "POST" in methods})


def user_for(path: str) -> str | None:
    """The person who may use this route, or None for an anonymous browser."""
    if path in ANONYMOUS:
        return None
    return next(user for prefix, user in ROLE_OF if path.startswith(prefix))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def office(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The app on one database for the module, a browser per role signed in, and item 1."""
    home = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    people = sorted({user for _, user in ROLE_OF})
    with signed_in_office(request.param, home, people) as (engine, browsers):
        submitted(engine)  # item 1, for the routes that take an item
        yield engine, browsers


def recorded(engine: Engine) -> int:
    """Ledger entries other than the access audit (a refused login or password is audited)."""
    with db.snapshot(engine) as session:
        return session.scalar(select(func.count()).where(LedgerEntry.kind != LedgerKind.ACCESS))


def fill(path: str, draw: st.DrawFn) -> str:
    """The route's path with each {parameter} drawn from hostile (and a few real) values."""

    def one(match: re.Match) -> str:
        name = match.group(1)
        if name in ("action",):
            value = draw(st.sampled_from(["correct", "consult", "extend", "reply", *HOSTILE_IDS]))
        elif name in ("token", "username"):
            value = draw(st.sampled_from(["zhang.wei", *HOSTILE_TEXT[:12]]))
        else:
            value = draw(st.sampled_from(HOSTILE_IDS + ["2026"]))
        return quote(value[:2000], safe="")

    return re.sub(r"\{(\w+)\}", one, path)


@pytest.mark.parametrize("route", post_routes())
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_hostile_form_is_a_chinese_page_and_a_refusal_writes_nothing(
    office, route: str, data: st.DataObject
) -> None:
    engine, browsers = office
    client, csrf = browsers[user_for(route)]
    path = fill(route, data.draw)
    fields, files = data.draw(hostile_forms())
    if files or data.draw(st.booleans()):
        body, kind = multipart(csrf, fields, files, data.draw(file_contents))
    else:
        body, kind = urlencoded(csrf, fields)
    before = recorded(engine)
    r = client.post(path, content=body, headers={"content-type": kind}, follow_redirects=False)
    assert r.status_code < 500 or r.status_code == 503, (path, fields, r.text[:400])
    assert not any(t in r.text for t in TRACEBACK), (path, fields, r.text[:400])
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
    assert r.headers["x-content-type-options"] == "nosniff", path
    if r.status_code not in (302, 303):
        assert r.headers["content-type"].startswith("text/html"), path
        assert CHINESE.search(r.text), (path, r.text[:200])
    if r.status_code >= 400:
        assert recorded(engine) == before, (path, fields, r.status_code)


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("title", "标题\x00", "「标题」"),
        ("comment", "同意\x1b[2J", "「意见」"),
        ("url.微信", "https://example.gov.cn/\u202egnp.exe", "「微信地址」"),
        ("username", "li\x07na", "「用户名」"),
        ("title", "通知\r\n#2 伪造的状态行", "「标题」"),
    ],
)
def test_every_form_refuses_unusable_text_naming_the_field(
    office, field: str, value: str, label: str
) -> None:
    engine, browsers = office
    before = recorded(engine)
    for route in post_routes():
        client, csrf = browsers[user_for(route)]
        path = re.sub(r"\{\w+\}", "1", route)
        r = client.post(path, data={"csrf": csrf, field: value}, follow_redirects=False)
        assert r.status_code == 400, (route, r.status_code)
        assert label in r.text and ("请删除后重新填写" in r.text or "不能换行" in r.text), route
    assert recorded(engine) == before


def test_a_body_over_the_limit_is_refused_saying_so(office) -> None:
    engine, browsers = office
    client, csrf = browsers["zhang.wei"]
    before = recorded(engine)
    form = {"csrf": csrf, "action": "submit", "title": "大正文", "body": "x" * (MAX_TEXT_FIELD + 1)}
    for files in (None, {"attachments": ("a.txt", b"x")}):
        r = client.post("/submit", data=form, files=files, follow_redirects=False)
        assert r.status_code == 400 and "每项文字不超过 4 MB" in r.text
    assert recorded(engine) == before
