"""Shared fixtures: real ledger databases (a SQLite file and a PostgreSQL database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pubreview import db, migrate
from pubreview.accounts.org import load_org
from pubreview.settings import PROJECT_ROOT

PG_ADMIN_URL = os.environ.get("PUBREVIEW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SAMPLE_ORG = PROJECT_ROOT / "config" / "sample-org.yaml"
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip when a real service is missing, except under CI where that is a failure."""
    if IN_CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def _pg_admin():
    import psycopg

    try:
        return psycopg.connect(
            PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql"),
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")


def create_pg_database() -> str:
    """Create an empty PostgreSQL database for one test and return its URL."""
    name = f"pubreview_t_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    """Drop a database made by create_pg_database."""
    db.engine_for.cache_clear()
    name = url.rsplit("/", 1)[1]
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated ledger database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        migrate.upgrade(url)
        yield url
        return
    url = create_pg_database()
    try:
        migrate.upgrade(url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the fresh database, with the sample organisation loaded."""
    engine = db.make_engine(database_url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
    yield engine
    engine.dispose()


def _prepare(url: str) -> None:
    migrate.upgrade(url)
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A Prefect server and a `pubreview worker` over a fresh ledger (SQLite, then PostgreSQL)."""
    from tests.support.prefect_stack import PrefectStack

    home = tmp_path_factory.mktemp(f"stack-{request.param}")
    url = f"sqlite:///{home / 'ledger.db'}" if request.param == "sqlite" else create_pg_database()
    _prepare(url)
    stack = PrefectStack(home, url)
    try:
        yield stack.start()
    finally:
        stack.stop()
        if request.param == "postgresql":
            drop_pg_database(url)
