"""What an attacker with database access does to the ledger, as test steps."""

from __future__ import annotations

from sqlalchemy import Engine, select, text

from models import GENESIS_HASH, LedgerEntry
from pubreview import db, ledger
from tests.support.factories import decided, submitted


def build_history(engine: Engine, items: int = 3) -> list[int]:
    """Items submitted, pre-reviewed and signed off: four entries each."""
    ids = []
    for _ in range(items):
        pub = submitted(engine)
        decided(engine, pub, "li.na", attest=True)
        decided(engine, pub, "zeng.xiang")
        ids.append(pub)
    return ids


def drop_guards(engine: Engine) -> None:
    """Drop the append-only triggers: what an attacker owning the tables does first."""
    with engine.begin() as conn:
        suffix = " ON ledger_entries" if engine.dialect.name == "postgresql" else ""
        for name in ("ledger_entries_no_update", "ledger_entries_no_delete"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}{suffix}"))


def rewrite_and_rehash(engine: Engine, entry_id: int, **changes: object) -> None:
    """Change one entry and recompute its hash and every later one with the project's own code."""
    drop_guards(engine)
    with db.transaction(engine) as session:
        entries = list(
            session.scalars(
                select(LedgerEntry).where(LedgerEntry.id >= entry_id).order_by(LedgerEntry.id)
            )
        )
        prev = session.scalar(select(LedgerEntry.hash).where(LedgerEntry.id == entry_id - 1))
        # Park the old hashes out of the way of the unique prev_hash / hash constraints.
        for entry in entries:
            entry.hash, entry.prev_hash = f"old-{entry.id}", f"old-prev-{entry.id}"
        session.flush()
        for key, value in changes.items():
            setattr(entries[0], key, value)
        for entry in entries:
            entry.prev_hash = prev or GENESIS_HASH
            entry.hash = ledger.entry_hash(entry)
            prev = entry.hash
            session.flush()


def truncate(engine: Engine, keep: int) -> None:
    """Delete every entry after the first `keep`."""
    drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE id > :n"), {"n": keep})
