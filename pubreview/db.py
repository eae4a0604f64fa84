"""Engines and transactions for the ledger database (SQLite by default, PostgreSQL to scale).

`transaction()` is for work that writes; `snapshot()` for work that only reads. On SQLite a
write transaction takes the one write lock up front, while a snapshot is a deferred BEGIN that
in WAL mode reads the last committed state without waiting for, or holding up, any writer. On
PostgreSQL a write transaction takes one advisory lock (`PG_WRITE_LOCK`) just before its first
statement that writes or locks a row, and holds it to the end, so every row lock and every append
to the hash chain is taken after it, in one order; what the transaction reads before that runs
beside other writers. A snapshot is a READ ONLY transaction that takes none.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from functools import cache

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.orm import Session, sessionmaker

from pubreview import settings
from pubreview.errors import LedgerBusy

log = logging.getLogger(__name__)

# Execution option marking an engine (and so its connections) as a reader: see `snapshot`.
_READ_ONLY = "pubreview_read_only"
# The advisory lock every PostgreSQL write transaction holds from its first write on: appends
# to the hash chain and the row locks beside them are then always taken in one order.
PG_WRITE_LOCK = 7_201_801
# Connection.info key: whether the connection's current transaction holds PG_WRITE_LOCK.
_HOLDS_WRITE_LOCK = "pubreview_holds_write_lock"
# A statement that writes, or locks rows (FOR UPDATE/SHARE), needs the write lock first.
_WRITES = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|CREATE|ALTER|DROP|COPY)\b"
    r"|^\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b"
    r"|\bFOR\s+(UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b",
    re.IGNORECASE | re.DOTALL,
)
# PostgreSQL's SQLSTATE lock_not_available: lock_timeout passed while waiting.
_PG_LOCK_TIMEOUT = "55P03"


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
            connection.info[_HOLDS_WRITE_LOCK] = None  # a reader never takes it
            # The first statement of the transaction: the server refuses any write in it.
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            return
        connection.info[_HOLDS_WRITE_LOCK] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _postgresql_write(
        connection: Connection, cursor: DBAPICursor, statement: str, *_args: object
    ) -> None:
        # The write lock before the first write or row lock. Taken only at the append, it
        # deadlocked: a writer holding it inserted an entry whose foreign key share-locks its
        # publication's row, while a decision that had locked that row FOR UPDATE waited for
        # it. Taken at BEGIN, every writer's reads and work queued behind every other's.
        if connection.info.get(_HOLDS_WRITE_LOCK) is False and _WRITES.search(statement):
            take_write_lock(connection, cursor)

    @event.listens_for(engine, "rollback_savepoint")
    def _postgresql_rollback_savepoint(connection: Connection, *_args) -> None:
        # A lock first taken inside a savepoint goes with it; take it again at the next write.
        if connection.info.get(_HOLDS_WRITE_LOCK):
            connection.info[_HOLDS_WRITE_LOCK] = False

    return engine


def take_write_lock(connection: Connection, cursor: DBAPICursor | None = None) -> None:
    """Hold PostgreSQL's write lock for the rest of the transaction (waiting at most the
    setting's seconds); at once if it is held already. Nothing to do on SQLite."""
    if connection.info.get(_HOLDS_WRITE_LOCK) is not False:
        return  # held, or not a PostgreSQL write transaction begun by make_engine
    if cursor is None:
        with closing(connection.connection.cursor()) as own:
            return take_write_lock(connection, own)
    timeout_ms = round(settings.load().pg_write_lock_timeout_s * 1000)
    try:
        # lock_timeout for this one wait only; the transaction's own setting comes back after.
        cursor.execute(
            f"SET LOCAL lock_timeout = {timeout_ms}; SELECT pg_advisory_xact_lock({PG_WRITE_LOCK});"
            " SET LOCAL lock_timeout TO DEFAULT"
        )
    except Exception as exc:
        if getattr(exc, "sqlstate", None) != _PG_LOCK_TIMEOUT:
            raise
        seconds = timeout_ms / 1000
        log.error(
            "the ledger's write lock (pg_advisory_xact_lock %d) not had in %g s: another "
            "transaction holds it (see pg_locks/pg_stat_activity); nothing was written",
            PG_WRITE_LOCK,
            seconds,
        )
        raise LedgerBusy(
            f"台帐写入繁忙：等待其他写入完成已超过 {seconds:g} 秒，本次操作未执行，未作任何更改。"
            "请稍后重试；若反复出现，请管理员检查数据库中长时间未结束的事务"
        ) from exc
    connection.info[_HOLDS_WRITE_LOCK] = True


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
