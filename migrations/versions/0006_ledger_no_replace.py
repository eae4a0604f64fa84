"""SQLite: refuse an INSERT that would replace a ledger entry.

Why: `INSERT OR REPLACE` (and `REPLACE INTO`) resolves a conflict on the id, hash, prev_hash or
dedupe key by deleting the old row, and SQLite does not fire DELETE triggers for that unless
recursive triggers are on: an entry could be rewritten through the append-only guards. This
trigger refuses any INSERT whose id, hash, prev_hash or dedupe key is already taken, before
the conflict is resolved. PostgreSQL needs nothing: ON CONFLICT DO UPDATE fires the UPDATE
trigger.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        """CREATE TRIGGER ledger_entries_no_replace BEFORE INSERT ON ledger_entries
           WHEN EXISTS (
               SELECT 1 FROM ledger_entries
               WHERE id = NEW.id OR hash = NEW.hash OR prev_hash = NEW.prev_hash
                  OR (NEW.dedupe_key IS NOT NULL AND dedupe_key = NEW.dedupe_key)
           )
           BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only: that entry exists'); END"""
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_replace")
