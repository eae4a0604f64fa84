"""`ledger verify` names an append-only guard that was dropped or switched off."""

from __future__ import annotations

from sqlalchemy import Engine, text

from pubreview import db
from pubreview.ledger import guards
from pubreview.ledger.verification import verify_all
from tests.support.ledger import build_history


def _verify(engine: Engine):
    with db.transaction(engine) as session:
        return verify_all(session)


def test_every_guard_in_place_verifies(engine: Engine) -> None:
    build_history(engine, items=1)
    result = _verify(engine)
    assert result.ok and result.guards == []
    if engine.dialect.name == "postgresql":  # the tests connect as the owner
        assert any("拥有台帐表" in n for n in result.notes)


def test_a_dropped_or_disabled_guard_is_named(engine: Engine) -> None:
    build_history(engine, items=1)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # What INSERT OR REPLACE needs out of the way; the chain itself is untouched.
            conn.execute(text("DROP TRIGGER ledger_entries_no_replace"))
        else:
            conn.execute(
                text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_no_update")
            )
            conn.execute(text("DROP TRIGGER ledger_entries_no_truncate ON ledger_entries"))
    result = _verify(engine)
    assert result.chain.ok and not result.ok
    if engine.dialect.name == "sqlite":
        assert result.guards == [
            "台帐表的防改触发器 ledger_entries_no_replace 已被删除："
            "INSERT OR REPLACE 可以不受阻拦地改写台帐"
            "（请核查谁删除了它，并按数据库迁移中的定义重建）"
        ]
    else:
        assert [g.split("：")[0] for g in result.guards] == [
            "台帐表的防改触发器 ledger_entries_no_update 已被停用",
            "台帐表的防改触发器 ledger_entries_no_truncate 已被删除",
        ]
    assert any(line.startswith("  防改措施：") for line in result.lines())
    with db.transaction(engine) as session:
        assert guards.check(session) == result.guards
