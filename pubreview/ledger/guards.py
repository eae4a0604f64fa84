"""The ledger's guards: the triggers that make `ledger_entries` append-only, checked in place.

An attacker who owns the table drops or disables them before rewriting it (on SQLite,
`INSERT OR REPLACE` needs `ledger_entries_no_replace` gone; on PostgreSQL the owner can
`ALTER TABLE … DISABLE TRIGGER USER`). `ledger verify` names every guard missing or switched
off, and says so when it connects as the role that owns the table (the one that could).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from models import LedgerEntry

TABLE = LedgerEntry.__tablename__
EXPECTED = {
    "sqlite": {
        "ledger_entries_no_update": "UPDATE",
        "ledger_entries_no_delete": "DELETE",
        "ledger_entries_no_replace": "INSERT OR REPLACE",
    },
    "postgresql": {
        "ledger_entries_no_update": "UPDATE",
        "ledger_entries_no_delete": "DELETE",
        "ledger_entries_no_truncate": "TRUNCATE",
    },
}


def _present(session: Session, dialect: str) -> dict[str, bool]:
    """Each guard trigger on the table, and whether it fires for ordinary sessions."""
    if dialect == "sqlite":
        names = session.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
            {"t": TABLE},
        )
        return {name: True for name in names}
    rows = session.execute(
        text(
            "SELECT t.tgname, t.tgenabled FROM pg_trigger t "
            "WHERE t.tgrelid = to_regclass(:t) AND NOT t.tgisinternal"
        ),
        {"t": TABLE},
    )
    # 'O' and 'A' fire for ordinary sessions; 'D' is disabled, 'R' fires only for replicas.
    return {name: str(enabled) in ("O", "A") for name, enabled in rows}


def check(session: Session) -> list[str]:
    """Name every append-only guard that is missing or disabled (nothing: all in place)."""
    dialect = session.get_bind().dialect.name
    expected = EXPECTED.get(dialect, {})
    present = _present(session, dialect) if expected else {}
    found = []
    for name, verb in expected.items():
        if name not in present:
            found.append(
                f"台帐表的防改触发器 {name} 已被删除：{verb} 可以不受阻拦地改写台帐"
                "（请核查谁删除了它，并按数据库迁移中的定义重建）"
            )
        elif not present[name]:
            found.append(
                f"台帐表的防改触发器 {name} 已被停用：{verb} 可以不受阻拦地改写台帐"
                f"（请核查谁执行了 ALTER TABLE {TABLE} DISABLE TRIGGER）"
            )
    return found


def owner_note(session: Session) -> str | None:
    """On PostgreSQL, a note when this connection's role owns the ledger (it could drop guards)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    owns = session.scalar(
        text(
            "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c "
            "WHERE c.oid = to_regclass(:t)"
        ),
        {"t": TABLE},
    )
    if not owns:
        return None
    user = session.scalar(text("SELECT current_user"))
    return (
        f"当前连接的数据库角色 {user} 拥有台帐表，可以停用或删除防改触发器："
        "应用应以只有 SELECT、INSERT 权限的角色连接（见 README 的最小权限一节）"
    )
