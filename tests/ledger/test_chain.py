"""The ledger refuses edits, and `ledger verify` names the first broken link when one is forced."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from models import LedgerEntry, LedgerKind
from pubreview import db, ledger
from pubreview.ledger.verification import verify_all
from pubreview.publishing.entries import Adopted
from pubreview.review.workflow import Outcome
from tests.support.ledger import build_history, drop_guards


def verify(engine: Engine) -> ledger.VerifyResult:
    with db.transaction(engine) as session:
        return ledger.verify(session)


def test_clean_ledger_verifies(engine: Engine) -> None:
    build_history(engine)
    result = verify(engine)
    assert result.ok and result.entries == 12


def test_database_refuses_update_and_delete(engine: Engine) -> None:
    build_history(engine)
    for statement in (
        "UPDATE ledger_entries SET comment = 'x' WHERE id = 2",
        "DELETE FROM ledger_entries WHERE id = 2",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert verify(engine).ok


def test_edited_row_is_named(engine: Engine) -> None:
    build_history(engine)
    drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET actor = 'wang.fang' WHERE id = 3"))
    result = verify(engine)
    assert not result.ok and result.broken_at == 3 and "edited" in result.reason


def test_deleted_row_is_named(engine: Engine) -> None:
    build_history(engine)
    drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE id = 5"))
    result = verify(engine)
    assert not result.ok and result.broken_at == 6 and "missing" in result.reason


def test_reordered_rows_are_named(engine: Engine) -> None:
    build_history(engine)
    drop_guards(engine)
    # Swap the contents of entries 4 and 5 (ids kept in place, as a reordering would).
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET id = -4 WHERE id = 4"))
        conn.execute(text("UPDATE ledger_entries SET id = 4 WHERE id = 5"))
        conn.execute(text("UPDATE ledger_entries SET id = 5 WHERE id = -4"))
    result = verify(engine)
    assert not result.ok and result.broken_at == 4 and "does not link" in result.reason


def test_inserted_row_is_refused_or_named(engine: Engine) -> None:
    build_history(engine)
    drop_guards(engine)
    # Shift the tail up by one to make room for a forged entry at 7.
    with engine.begin() as conn:
        for i in range(12, 6, -1):
            conn.execute(text(f"UPDATE ledger_entries SET id = {i + 1} WHERE id = {i}"))

    def forge(prev_hash: str) -> None:
        with db.transaction(engine) as session:
            before = session.get(LedgerEntry, 6)
            fake = LedgerEntry(
                id=7,
                kind=before.kind,
                publication_id=before.publication_id,
                revision=1,
                stage="signoff",
                actor="mallory",
                outcome=Outcome.APPROVE.value,
                comment=None,
                created_at=before.created_at,
                flow_run_id=None,
                payload={},
                dedupe_key="forged",
                prev_hash=prev_hash,
            )
            fake.hash = ledger.entry_hash(fake)
            session.add(fake)

    # Linking to entry 6 forks the chain: the unique prev_hash refuses it outright.
    with pytest.raises(IntegrityError):
        forge(_hash_of(engine, 6))
    forge("f" * 64)
    result = verify(engine)
    assert not result.ok and result.broken_at == 7 and "does not link" in result.reason


def _hash_of(engine: Engine, entry_id: int) -> str:
    with db.transaction(engine) as session:
        return session.get(LedgerEntry, entry_id).hash


def test_cli_verify_exits_non_zero_on_a_broken_chain(
    engine: Engine, database_url: str, tmp_path
) -> None:
    build_history(engine)
    env = {"PUBREVIEW_DATABASE_URL": database_url, "PUBREVIEW_DATA_DIR": str(tmp_path), "PATH": ""}
    ok = subprocess.run(
        [sys.executable, "-m", "pubreview.cli", "ledger", "verify"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and "12 entries" in ok.stdout
    drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET comment = 'edited' WHERE id = 9"))
    broken = subprocess.run(
        [sys.executable, "-m", "pubreview.cli", "ledger", "verify"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert broken.returncode == 1 and "entry 9" in broken.stdout


def test_insert_that_would_replace_an_entry_is_refused(engine: Engine) -> None:
    build_history(engine)
    columns = (
        "id, kind, publication_id, revision, stage, actor, outcome, comment, created_at, "
        "flow_run_id, payload, dedupe_key, prev_hash, hash"
    )
    forged = columns.replace("actor", "'mallory'")
    select_3 = f"SELECT {forged} FROM ledger_entries WHERE id = 3"
    if engine.dialect.name == "sqlite":
        # REPLACE deletes the old row without firing the DELETE trigger.
        attempts = [
            f"{verb} ledger_entries ({columns}) {select_3}"
            for verb in ("INSERT OR REPLACE INTO", "REPLACE INTO")
        ]
    else:
        attempts = [
            f"INSERT INTO ledger_entries ({columns}) {select_3} "
            "ON CONFLICT (id) DO UPDATE SET actor = 'mallory'"
        ]
    for statement in attempts:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with db.transaction(engine) as session:
        assert session.get(LedgerEntry, 3).actor != "mallory"
    assert verify(engine).ok


@pytest.mark.parametrize(
    ("column", "value"), [("payload", "{not json"), ("created_at", "yesterday-ish")]
)
def test_unreadable_entry_is_named_not_a_crash(
    engine: Engine, database_url: str, column: str, value: str
) -> None:
    if engine.dialect.name != "sqlite":
        # PostgreSQL's json and timestamptz columns refuse such values on write.
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(
                text(f"UPDATE ledger_entries SET {column} = :v WHERE id = 5"), {"v": value}
            )
        return
    build_history(engine)
    drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE ledger_entries SET {column} = :v WHERE id = 5"), {"v": value})
    result = verify(engine)
    assert not result.ok and result.broken_at == 5 and "cannot be read back" in result.reason
    with db.transaction(engine) as session:
        full = verify_all(session)
    assert not full.ok and full.chain.broken_at == 5
    if column == "payload":  # the content and cache checks read payloads too
        assert any("第 5 条读不出" in n for n in full.notes)


def test_append_once_returns_the_earlier_entry(engine: Engine) -> None:
    with db.transaction(engine) as session:
        first = ledger.append_once(
            session, kind=LedgerKind.ADOPTED, actor="system", dedupe_key="once:1"
        )
        again = ledger.append_once(
            session, kind=LedgerKind.ADOPTED, actor="other", dedupe_key="once:1"
        )
        assert first.recorded and not again.recorded
        assert again.entry.id == first.entry.id and again.entry.actor == "system"
    assert verify(engine).ok


def test_a_query_names_a_typed_payload_field_and_a_misspelt_one_fails(engine: Engine) -> None:
    with db.transaction(engine) as session:
        for outlet in ("人民网", "湖南日报"):
            ledger.append(
                session,
                kind=LedgerKind.ADOPTED,
                actor="system",
                payload=Adopted("central", outlet, None).to_payload(),
            )
        outlet = ledger.payload_field(Adopted, "outlet").as_string()
        assert session.scalars(select(outlet).order_by(LedgerEntry.id)).all() == [
            "人民网",
            "湖南日报",
        ]
    with pytest.raises(AttributeError, match="outlets"):
        ledger.payload_field(Adopted, "outlets")
