"""A PostgreSQL backup reads a snapshot: a decision made while pg_dump runs is not held up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from models import LedgerEntry, LedgerKind
from pubreview import db
from pubreview.ledger import backup
from tests.conftest import create_pg_database, drop_pg_database
from tests.support.factories import decided, submitted

# How long a decision may take while the dump runs before the test calls it blocked: far above
# a decision's few milliseconds, far below forever (the dump waits for the decision to end).
BLOCKED_AFTER_S = 30


@pytest.fixture
def restored_url() -> Iterator[str]:
    """An empty PostgreSQL database to restore into."""
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_decision_is_not_blocked_while_pg_dump_runs(
    engine: Engine,
    database_url: str,
    restored_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pub = submitted(engine)
    decided_during_dump = threading.Event()
    errors: list[BaseException] = []
    real_run = backup._run

    def decide_then_dump(command: list[str], what: str) -> None:
        # The backup's snapshot is open now; a decision from another connection must commit
        # before pg_dump even starts. Had the backup kept the append lock, it would wait here.
        def decision() -> None:
            try:
                decided(engine, pub, "li.na", attest=True)
                decided_during_dump.set()
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        if command[0] == "pg_dump":
            worker = threading.Thread(target=decision)
            worker.start()
            worker.join(BLOCKED_AFTER_S)
            assert decided_during_dump.is_set(), f"the decision waited for the backup: {errors}"
        real_run(command, what)

    monkeypatch.setattr(backup, "_run", decide_then_dump)
    made = backup.backup(tmp_path / "b", database_url)
    assert not errors, errors
    assert made.verified, made.report
    with db.snapshot(engine) as session:
        live = session.scalar(select(func.count()).select_from(LedgerEntry))
        kinds = list(session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.id)))
    assert kinds[-1] == LedgerKind.DECIDED and made.entries < live  # the copy predates it
    restored = backup.restore(tmp_path / "b", restored_url)
    assert restored.verified, restored.report
    assert (restored.entries, restored.head) == (made.entries, made.head)
