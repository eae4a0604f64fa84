"""Index ledger entries by kind.

Why: the annual roll-up and `status` select entries of one kind (published, decided,
adopted, notified); without the index each query scans the whole ledger.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_entries_kind", "ledger_entries", ["kind", "publication_id"])


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_kind", table_name="ledger_entries")
