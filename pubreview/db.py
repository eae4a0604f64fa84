"""Engines and transactions for the ledger database (SQLite by default, PostgreSQL to scale).

`transaction()` is for work that writes; `snapshot()` for work that only reads. On SQLite a
write transaction takes the one write lock up front, while a snapshot is a deferred BEGIN that
in WAL mode reads the last committed state without waiting for, or holding up, any writer. On
PostgreSQL a write transaction likewise takes one advisory lock first (`PG_WRITE_LOCK`), and a
snapshot is a READ ONLY transaction that takes none.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from pubreview import settings

# Execution option marking an engine (and so its connections) as a reader: see `snapshot`.
_READ_ONLY = "pubreview_read_only"
# The advisory lock every PostgreSQL write transaction holds: appends to the hash chain and
# the row locks taken before them are then always taken in one order.
PG_WRITE_LOCK = 7_201_801


class ReadOnlyTransaction(RuntimeError):
    """Code inside `snapshot()` tried to write: a programming error, never a user's."""


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
        def _sqlite_begin(connection: Connection) -> None:
            if connection.get_execution_options().get(_READ_ONLY):
                # Deferred: a reader in WAL mode never takes, nor waits for, the write lock;
                # query_only makes SQLite refuse a write in it, as PostgreSQL does.
                connection.exec_driver_sql("PRAGMA query_only=ON")
                connection.exec_driver_sql("BEGIN")
                return
            connection.exec_driver_sql("PRAGMA query_only=OFF")
            # BEGIN IMMEDIATE takes the write lock up front: two writers appending to the
            # hash chain queue up instead of deadlocking on a read-to-write upgrade.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=True)

    @event.listens_for(engine, "begin")
    def _postgresql_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_READ_ONLY):
            # The first statement of the transaction: the server refuses any write in it.
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            return
        # The ledger's append lock, taken first, as SQLite's BEGIN IMMEDIATE takes its lock.
        # Taken only at the append, it deadlocked: a writer holding it inserts an entry whose
        # foreign key must share-lock its publication's row, while another writer that had
        # locked that row (FOR UPDATE, to decide) waits for the append lock. PostgreSQL
        # aborted one of them, and the web answered 503 (the soak's submissions).
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")

    return engine


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


def _refuse_flush(session: Session, _context, _instances) -> None:
    raise ReadOnlyTransaction("a read-only snapshot has pending changes; use transaction()")


@contextmanager
def snapshot(engine: Engine | None = None) -> Iterator[Session]:
    """A session for reading only: it never waits for a writer nor holds one up.

    Anything it would write is refused (ReadOnlyTransaction) rather than silently upgraded
    to a write, which on SQLite could wait for the lock after all.
    """
    with _readers(engine or default_engine())() as session, session.begin():
        yield session


def _readers(engine: Engine) -> sessionmaker:
    """The engine's read-only sessions (made once per engine: every page view opens one)."""
    factory = engine.__dict__.get(_READERS)
    if factory is None:
        # The same engine and pool, its connections marked as readers for the begin listeners.
        reader = engine.execution_options(**{_READ_ONLY: True})
        factory = sessionmaker(reader, expire_on_commit=False)
        event.listen(factory, "before_flush", _refuse_flush)
        engine.__dict__[_READERS] = factory
    return factory


# Where an engine keeps its read-only session factory (it goes with the engine).
_READERS = "_pubreview_readers"


# PostgreSQL's SQLSTATE disk_full (SQLite's is SQLITE_FULL, "database or disk is full").
_PG_DISK_FULL = "53100"


def disk_full(exc: BaseException) -> bool:
    """Whether a database error is the disk (or its quota) being full, not the database down."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return True
    return getattr(orig, "sqlstate", None) == _PG_DISK_FULL
