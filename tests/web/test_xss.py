"""Every page that shows what people typed escapes it: the 13 XSS payloads, no browser needed.

Titles, bodies, review comments, a person's name, a disclosure request's content and applicant
are stored through the domain, then every page showing them is fetched as the person who may
see it; no payload's markup, event handler or script URL reaches the HTML unescaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import update

from models import Person
from pubreview import db
from pubreview.links import queue_link, review_link
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted
from tests.support.hostile import XSS_PAYLOADS, signed_in_office
from tests.support.requests import receive

PEOPLE = ["zhang.wei", "li.na", "zeng.xiang", "zhou.min", "wu.gang"]
# Escaped text holds no "<", so these match only real markup: a tag a payload brought, an
# event handler or a script URL inside any tag.
ACTIVE = re.compile(
    r"<(script|svg|iframe|object|embed)\b|<[a-z][^<>]*\son\w+\s*=|"
    r"<[a-z][^<>]*\b(href|src|action)\s*=\s*[\"']?\s*(javascript|data):",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Items, decisions, a name and requests carrying the payloads; the pages to read."""
    with signed_in_office("sqlite", tmp_path_factory.mktemp("xss"), PEOPLE) as (engine, browsers):
        items = []
        for payload in XSS_PAYLOADS:
            pub = submitted(engine, title=f"通知{payload}", body=f"正文\n\n{payload}")
            decided(engine, pub, "li.na", comment=payload, attest=True)
            decided(engine, pub, "zeng.xiang", comment=payload)
            items.append(pub)
        returned = submitted(engine, title="退回的通知")
        decided(engine, returned, "li.na", Outcome.RETURN, comment=" ".join(XSS_PAYLOADS))
        with db.transaction(engine) as session:
            session.execute(
                update(Person).where(Person.username == "zhang.wei").values(name=XSS_PAYLOADS[3])
            )
        requests = [
            receive(engine, date(2026, 11, 2), content=p, applicant_name=p) for p in XSS_PAYLOADS
        ]
        pending = submitted(engine, title=f"待审{XSS_PAYLOADS[1]}", body=XSS_PAYLOADS[0])
        pages = [
            ("zhang.wei", "/my"),
            ("zhang.wei", f"/items/{returned}"),
            ("zhou.min", "/center"),
            ("zhou.min", "/requests"),
            ("wu.gang", "/admin/people"),
            ("wu.gang", "/admin/people/zhang.wei"),
            ("wu.gang", "/admin/audit"),
            (None, review_link("li.na", pending, "prereview", 1)),
            (None, queue_link("li.na")),
            ("li.na", "/queue"),
        ]
        pages += [("zhang.wei", f"/items/{pub}") for pub in items]
        pages += [("zhou.min", f"/center/items/{pub}") for pub in items]
        pages += [("zhou.min", f"/items/{pub}/slip") for pub in items[:3]]
        pages += [("zhou.min", f"/requests/{r}") for r in requests]
        yield browsers, pages


def test_no_page_shows_a_payload_unescaped(office) -> None:
    browsers, pages = office
    for who, path in pages:
        client, _ = browsers[who]
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        html = r.text
        for payload in XSS_PAYLOADS:
            if "<" in payload:  # quotes in a text node are harmless; markup is not
                assert payload not in html, (path, payload)
        found = ACTIVE.search(html)
        assert found is None, (path, html[max(0, found.start() - 80) : found.end() + 80])
        assert "1337" not in html, path  # {{ 7*191 }} was not evaluated


def test_the_pages_did_show_the_payloads_as_text(office) -> None:
    # Escaped, not dropped: the reader still sees what was typed.
    browsers, _ = office
    client, _ = browsers["zhou.min"]
    page = client.get("/center").text
    assert "通知&lt;script&gt;alert(" in page or "通知&lt;script&gt;alert(&#39;x1&#39;)" in page
