"""What a hostile tester types: the 13 XSS payloads, and an office signed in once per module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pubreview import db, migrate
from pubreview.accounts.org import load_org
from tests.conftest import SAMPLE_ORG, create_pg_database, drop_pg_database
from tests.support.accounts import form_token, login, set_password
from tests.support.web import AfterCommitRecorder, make_app, point_at

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"
# Markup, attribute break-outs, script URLs in several spellings, template syntax.
XSS_PAYLOADS = (
    "<script>alert('x1')</script>",
    "<img src=x onerror=alert('x2')>",
    "<svg onload=alert('x3')>",
    "\"><script>alert('x4')</script>",
    "'><img src=x onerror=alert('x5')>",
    "javascript:alert('x6')",
    "JaVaScRiPt:alert('x7')",
    "data:text/html,<script>alert('x8')</script>",
    "<a href=\"javascript:alert('x9')\">x9</a>",
    "<iframe src=\"javascript:alert('x10')\"></iframe>",
    "</textarea></title><script>alert('x11')</script>",
    "<details open ontoggle=alert('x12')>",
    "{{ 7*191 }}{% raw %}<b onmouseover=alert('x13')>",
)


@contextmanager
def signed_in_office(
    backend: str, home: Path, people: list[str]
) -> Iterator[tuple[Engine, dict[str | None, tuple[TestClient, str]]]]:
    """The app on a fresh database: a browser per person signed in, with its form token.

    The key None is an anonymous browser holding the login form's token.
    """
    url = f"sqlite:///{home / 'ledger.db'}" if backend == "sqlite" else create_pg_database()
    migrate.upgrade(url)
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
        for username in people:
            set_password(session, username, PASSWORD)
    try:
        with pytest.MonkeyPatch.context() as mp:
            point_at(mp, url, home / "data", BASE + "/")
            app = make_app(AfterCommitRecorder())
            anonymous = TestClient(app, base_url=BASE)
            browsers = {None: (anonymous, form_token(anonymous.get("/login").text))}
            for username in people:
                client = TestClient(app, base_url=BASE)
                login(client, username, PASSWORD)
                browsers[username] = (client, form_token(client.get("/account").text))
            yield engine, browsers
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_pg_database(url)
