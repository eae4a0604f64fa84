"""Engines and transactions for the ledger database (SQLite by default, PostgreSQL to scale)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from pubreview import settings


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and write-locking transactions."""
    if url.startswith("sqlite"):
        # Seconds a writer waits for SQLite's lock before reporting the database as locked.
        busy_s = settings.load().sqlite_busy_timeout_s
        engine = create_engine(url, connect_args={"timeout": busy_s})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record) -> None:
            # Let SQLAlchemy, not the driver, issue BEGIN (see _sqlite_begin).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:
            # BEGIN IMMEDIATE takes the write lock up front: two writers appending to the
            # hash chain queue up instead of deadlocking on a read-to-write upgrade.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


@cache
def engine_for(url: str) -> Engine:
    """One engine per database URL per process."""
    return make_engine(url)


def default_engine() -> Engine:
    """The engine for PUBREVIEW_DATABASE_URL."""
    return engine_for(settings.load().database_url)


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """A session inside one transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(engine or default_engine(), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
