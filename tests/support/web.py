"""Helpers for the web tests: the app on a test database, links, form tokens, ledger size."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from models import LedgerEntry
from pubreview import db
from pubreview.web.app import create_app
from tests.support.accounts import login, set_password

CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@dataclass
class AfterCommitRecorder:
    """Stands in for actions.after_commit: records what would have been sent to Prefect."""

    calls: list[tuple[str, int, str]] = field(default_factory=list)
    payloads: list[dict] = field(default_factory=list)

    def __call__(
        self, event: str, pub_id: int, *, actor: str, resume: bool, payload: dict | None = None
    ) -> str:
        self.calls.append((event, pub_id, actor))
        self.payloads.append(payload or {})
        return "recorded by the test"


def point_at(monkeypatch: pytest.MonkeyPatch, database_url: str, data_dir, web_url: str) -> None:
    """Make the app, links and secret use this test's database, data folder and address."""
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PUBREVIEW_WEB_URL", web_url)
    monkeypatch.delenv("PUBREVIEW_WEB_SECRET", raising=False)
    # Nothing in these tests may reach a Prefect server someone else runs on this machine.
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")


def make_app(recorder: AfterCommitRecorder):
    """The web app with Prefect replaced by the recorder."""
    return create_app(after_commit=recorder)


@contextmanager
def office_client(
    engine: Engine,
    database_url: str,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    base: str,
    people: tuple[str, ...],
    password: str,
    recorder: AfterCommitRecorder,
    logged_in_as: str | None = None,
) -> Iterator[TestClient]:
    """The app on this test's database, these people given `password`, one browser open.

    With `logged_in_as` the browser has logged in through the login form.
    """
    point_at(monkeypatch, database_url, data_dir, base + "/")
    with db.transaction(engine) as session:
        for username in people:
            set_password(session, username, password)
    with TestClient(make_app(recorder), base_url=base) as client:
        if logged_in_as is not None:
            login(client, logged_in_as, password)
        yield client


def csrf_of(html: str) -> str:
    """The form token on a review page."""
    match = CSRF_FIELD.search(html)
    assert match, "the page has no decision form"
    return match.group(1)


def ledger_size(engine: Engine) -> int:
    """How many entries the ledger holds."""
    with db.transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry))
