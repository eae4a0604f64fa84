"""Transactions: a read-only snapshot never waits for a writer, and refuses to write."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from models import LedgerEntry, LedgerKind, Person, Publication, Unit
from pubreview import db, ledger
from pubreview.accounts.org import load_org
from pubreview.errors import LedgerBusy
from pubreview.review.submission import submit
from tests.conftest import SAMPLE_ORG
from tests.support.factories import draft
from tests.support.prefect_stack import wait_until


@pytest.fixture
def sqlite_file(tmp_path, monkeypatch):
    """A migrated SQLite ledger file, with a short busy timeout so a blocked reader fails fast."""
    from pubreview import migrate

    monkeypatch.setenv("PUBREVIEW_SQLITE_BUSY_TIMEOUT_S", "0.2")
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
    yield path, engine
    engine.dispose()


def test_reader_completes_while_another_connection_holds_the_write_lock(sqlite_file):
    path, engine = sqlite_file
    with db.snapshot(engine) as session:
        before = session.scalar(select(func.count()).select_from(Person))
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE people SET name = name || '（改）'")
        # A writer is refused at once (the lock is held) ...
        with pytest.raises(OperationalError, match="locked"), db.transaction(engine) as session:
            session.scalar(select(Person.id).limit(1))
        # ... while a reader reads the last committed state, twice over a pooled connection.
        for _ in range(2):
            with db.snapshot(engine) as session:
                names = session.scalars(select(Person.name)).all()
                assert len(names) == before
                assert not any(name.endswith("（改）") for name in names)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    # The same pooled connection writes again afterwards (query_only was switched back off).
    with db.transaction(engine) as session:
        session.add(Unit(code="bench", name="测试科", kind="section"))
    with db.snapshot(engine) as session:
        assert session.scalar(select(Unit.name).where(Unit.code == "bench")) == "测试科"


def test_snapshot_refuses_a_write(engine):
    with pytest.raises(db.ReadOnlyTransaction), db.snapshot(engine) as session:
        session.scalars(select(Person)).first().name = "改名"
        session.flush()
    # Even a statement that bypasses the session is refused by the database itself.
    with pytest.raises(DBAPIError), db.snapshot(engine) as session:
        session.execute(text("UPDATE people SET name = 'x'"))
    with db.snapshot(engine) as session:
        assert "x" not in session.scalars(select(Person.name)).all()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_decision_and_an_append_for_its_item_do_not_deadlock(engine):
    """The soak's 503s: a writer holding the append lock inserted an entry whose foreign key
    waited on the item's row, locked FOR UPDATE by a decision waiting for the append lock."""
    with db.transaction(engine) as session:
        pub = submit(session, draft(title="并发写入")).id
    deciding, failures = threading.Event(), []

    def other_writer() -> None:
        deciding.wait()
        try:
            with db.transaction(engine) as session:
                ledger.append(session, kind=LedgerKind.STAGE_OPENED, publication_id=pub)
        except OperationalError as exc:
            failures.append(exc)

    def waiting_for_a_lock() -> bool:
        with db.snapshot(engine) as session:
            return bool(
                session.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'"
                    )
                )
            )

    other = threading.Thread(target=other_writer)
    other.start()
    try:
        with db.transaction(engine) as session:
            session.get(Publication, pub, with_for_update=True)  # as decisions.decide does
            deciding.set()
            wait_until(waiting_for_a_lock, 30, "the other writer to wait")
            ledger.append(session, kind=LedgerKind.STAGE_OPENED, publication_id=pub, stage="x")
    except OperationalError as exc:
        failures.append(exc)
    finally:
        other.join(30)
    assert failures == []
    with db.snapshot(engine) as session:
        kinds = session.scalars(
            select(LedgerEntry.kind).where(LedgerEntry.publication_id == pub)
        ).all()
    assert kinds.count(LedgerKind.STAGE_OPENED) == 2


def _holds_write_lock(engine, session) -> bool:
    """Whether the session's PostgreSQL backend holds the ledger's write lock (asked aside)."""
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    with db.snapshot(engine) as other:
        return bool(
            other.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND objid = :k AND pid = :pid"
                ),
                {"k": db.PG_WRITE_LOCK, "pid": pid},
            )
        )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_write_lock_is_taken_at_the_first_write_not_at_begin(engine):
    """A write transaction's reads run beside other writers; its first write takes the lock."""
    with db.transaction(engine) as session:
        session.scalars(select(Person)).all()
        assert not _holds_write_lock(engine, session)
        session.add(Unit(code="lock", name="锁测试科", kind="section"))
        session.flush()
        assert _holds_write_lock(engine, session)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_stuck_write_lock_holder_gives_a_clear_error_in_time(engine, monkeypatch, caplog):
    """A writer waits for the lock at most PUBREVIEW_PG_WRITE_LOCK_TIMEOUT_S, then is told."""
    import psycopg

    monkeypatch.setenv("PUBREVIEW_PG_WRITE_LOCK_TIMEOUT_S", "0.3")
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as stuck:
        stuck.execute("SELECT pg_advisory_xact_lock(%s)", (db.PG_WRITE_LOCK,))
        refused = pytest.raises(LedgerBusy, match="台帐写入繁忙.*0.3 秒.*未作任何更改")
        with refused, db.transaction(engine) as session:
            submit(session, draft(title="等锁"))
        stuck.rollback()
    assert "pg_advisory_xact_lock" in caplog.text
    with db.transaction(engine) as session:  # the same pool writes once the holder is gone
        assert submit(session, draft(title="轮到了")).id
        assert session.scalar(select(func.count()).select_from(Publication)) == 1
