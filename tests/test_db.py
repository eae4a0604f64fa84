"""Transactions: a read-only snapshot never waits for a writer, and refuses to write."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from models import Person, Unit
from pubreview import db
from pubreview.accounts.org import load_org
from tests.conftest import SAMPLE_ORG


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
