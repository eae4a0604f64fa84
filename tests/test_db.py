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
