"""Migration 0008: the payload becomes jsonb on PostgreSQL and the hash chain still verifies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, select, text

from models import LedgerEntry, LedgerKind
from models.base import utcnow
from pubreview import db, ledger, migrate
from pubreview.settings import PROJECT_ROOT
from tests.conftest import create_pg_database, drop_pg_database

# Payloads as entries carry them, with the values a re-serialisation could disturb: Chinese
# text, nesting, key order, floats, exponent-form floats that are not whole numbers, nulls.
PAYLOADS = [
    {"channel": "网站", "url": "https://gov.cn/a", "published_at": "2018-03-01T09:00:00+08:00"},
    {"channel": "微博", "url": "", "published_at": "2018-03-02T10:30:00+08:00"},
    {"z": 1, "a": {"y": [1, 2.5, None, True], "b": '引号"与\\反斜杠'}, "m": 0.1},
    {"spending": 12.5, "tiny": 1e-07, "ratio": 61.538461538461536, "big": 2**53 + 1},
    {"findings": [{"line": 3, "excerpt": "身份证号 1101**********002X"}], "os_user": None},
]


def _config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = url
    return config


@pytest.fixture
def pg_url() -> Iterator[str]:
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


def _append(engine: Engine, payloads: list[dict], kind: LedgerKind = LedgerKind.PUBLISHED) -> None:
    with db.transaction(engine) as session:
        for payload in payloads:
            ledger.append(session, kind=kind, actor="system", payload=payload)


def _column_type(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.scalar(
            text(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = 'ledger_entries' AND column_name = 'payload'"
            )
        )


def _payloads(engine: Engine) -> list[dict]:
    with db.snapshot(engine) as session:
        return list(session.scalars(select(LedgerEntry.payload).order_by(LedgerEntry.id)))


def _verified(engine: Engine) -> ledger.VerifyResult:
    with db.snapshot(engine) as session:
        return ledger.verify(session)


def test_existing_entries_verify_after_the_change_and_after_undoing_it(pg_url: str) -> None:
    command.upgrade(_config(pg_url), "0007")
    engine = db.make_engine(pg_url)
    _append(engine, PAYLOADS)
    assert _column_type(engine) == "json" and _verified(engine).ok

    command.upgrade(_config(pg_url), "0008")
    assert _column_type(engine) == "jsonb"
    result = _verified(engine)
    assert result.ok and result.entries == len(PAYLOADS)
    assert [ledger.canonical_json(p) for p in _payloads(engine)] == [
        ledger.canonical_json(p) for p in PAYLOADS
    ]
    # Entries written after the change chain on and verify too.
    _append(engine, PAYLOADS)
    assert _verified(engine).ok and _payloads(engine)[len(PAYLOADS) :] == PAYLOADS

    command.downgrade(_config(pg_url), "0007")
    assert _column_type(engine) == "json" and _verified(engine).ok
    engine.dispose()


def _append_as_json_text(engine: Engine, payload_text: str) -> None:
    """Append as code before 0008 did: the payload stored as the text Python's json wrote."""
    with db.transaction(engine) as session:
        head = session.scalars(select(LedgerEntry).order_by(LedgerEntry.id.desc())).first()
        entry = LedgerEntry(
            id=head.id + 1,
            kind=LedgerKind.ADOPTED,
            actor="system",
            created_at=utcnow(),
            payload=json.loads(payload_text),
            prev_hash=head.hash,
        )
        entry.hash = ledger.entry_hash(entry)
        session.execute(
            text(
                "INSERT INTO ledger_entries (id, kind, actor, created_at, payload, prev_hash, hash)"
                " VALUES (:id, :kind, :actor, :at, CAST(:payload AS json), :prev, :hash)"
            ),
            {
                "id": entry.id,
                "kind": entry.kind.value,
                "actor": entry.actor,
                "at": entry.created_at,
                "payload": payload_text,
                "prev": entry.prev_hash,
                "hash": entry.hash,
            },
        )


def test_a_number_jsonb_would_rewrite_stops_the_migration(pg_url: str) -> None:
    command.upgrade(_config(pg_url), "0007")
    engine = db.make_engine(pg_url)
    _append(engine, PAYLOADS[:1])
    _append_as_json_text(engine, json.dumps({"amount": 1e20, "tiny": 1e-07}))
    assert _verified(engine).ok
    with pytest.raises(RuntimeError, match="ledger entries 2 hold a number"):
        command.upgrade(_config(pg_url), "0008")
    assert _column_type(engine) == "json" and _verified(engine).ok
    engine.dispose()


def test_new_entries_are_hashed_as_jsonb_gives_them_back(pg_url: str) -> None:
    migrate.upgrade(pg_url)
    engine = db.make_engine(pg_url)
    _append(engine, [{"amount": 1e20, "zero": -0.0, "nested": [{"n": 3e16}], "rate": 2.5}])
    assert _verified(engine).ok
    assert _payloads(engine) == [
        {"amount": 10**20, "zero": 0.0, "nested": [{"n": 3 * 10**16}], "rate": 2.5}
    ]
    engine.dispose()


def test_sqlite_is_unchanged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate.upgrade(url)
    engine = db.make_engine(url)
    _append(engine, PAYLOADS)
    assert _verified(engine).ok
    with engine.connect() as conn:
        (ddl,) = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ledger_entries'")
        ).one()
    assert "payload JSON" in ddl
