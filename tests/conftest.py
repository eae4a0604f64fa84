"""Shared fixtures: real ledger databases (a SQLite file and a PostgreSQL database)."""

from __future__ import annotations

import os
import sqlite3
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
# Argon2 at its production cost takes a quarter second of CPU per hash or check; the suite logs
# in hundreds of times, so it hashes with the same algorithm at the lowest cost (inherited by the
# stacks it starts). tests/accounts/test_passwords.py checks the production default.
os.environ.setdefault("PUBREVIEW_ARGON2_TIME_COST", "1")
os.environ.setdefault("PUBREVIEW_ARGON2_MEMORY_KIB", "1024")


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


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite ledger, copied for each test instead of migrating each time."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    migrate.upgrade(f"sqlite:///{path}")
    db.engine_for.cache_clear()
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """One migrated PostgreSQL database that each test's database is created from."""
    url = create_pg_database()
    migrate.upgrade(url)
    db.engine_for.cache_clear()
    name = url.rsplit("/", 1)[1]
    with _pg_admin() as conn:
        # No connection may be open on a template while it is copied; refuse them all.
        conn.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')
    yield name
    with _pg_admin() as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false')
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _copy_sqlite(template: Path, target: Path) -> None:
    """Copy a SQLite database through its backup API (consistent whatever the journal mode)."""
    src, dst = sqlite3.connect(template), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated ledger database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "ledger.db"
        _copy_sqlite(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("_pg_template")
    name = f"pubreview_t_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
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
