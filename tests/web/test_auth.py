"""Login, sessions and CSRF over HTTP on a real database (SQLite file, then PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import Depends
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from models import Account, LoginSession
from models.base import utcnow
from pubreview import db, ledger
from pubreview.accounts import audit
from pubreview.accounts.audit import AccessEvent
from pubreview.web import auth
from pubreview.web.auth import CurrentUser, check_csrf, current_user
from tests.support.accounts import form_token, login, set_password
from tests.web_support import AfterCommitRecorder, ledger_size, make_app, point_at

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"
WRITES: list[str] = []


def _app():
    """The real app plus two probe routes standing in for a logged-in page and form."""
    app = make_app(AfterCommitRecorder())

    @app.get("/probe")
    def probe(user: CurrentUser = Depends(current_user)) -> PlainTextResponse:
        return PlainTextResponse(f"{user.username} {user.csrf_token}")

    return app


@pytest.fixture
def client(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    point_at(monkeypatch, database_url, tmp_path / "data", BASE + "/")
    with db.transaction(engine) as session:
        set_password(session, "zhang.wei", PASSWORD)
        set_password(session, "wu.gang", PASSWORD)
    with TestClient(_app(), base_url=BASE) as c:
        yield c


def test_login_lands_on_next_and_sets_a_safe_cookie(client: TestClient) -> None:
    first = client.get("/probe", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=/probe"
    page = client.get(first.headers["location"])
    assert 'name="next" value="/probe"' in page.text
    done = client.post(
        "/login",
        data={
            "username": "zhang.wei",
            "password": PASSWORD,
            "csrf": form_token(page.text),
            "next": "/probe",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/probe"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert client.get("/probe").text.startswith("zhang.wei ")
