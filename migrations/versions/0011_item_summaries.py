"""item_summaries: each item's roll-up facts, kept with its published and adopted entries.

Why: the annual roll-up grouped every published entry ever written by item to find the year's
items, then read their entries again (about 9× one GROUP BY at 1,000,000 entries). Each
`published` and `adopted` entry now updates its item's row in the same transaction, and the
roll-up reads one row per item of the year. `ledger verify` rebuilds the rows from the
entries and names any that differ. Existing ledgers get their rows here, folded from their
entries exactly as `ledger.append` folds them (pubreview.ledger.summary.Facts).

Revision ID: 0011
Revises: 0010
"""

import json

import sqlalchemy as sa
from alembic import op

from pubreview.ledger.summary import Facts

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "item_summaries",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("first_published_at", sa.Text(), nullable=True),
        sa.Column("year", sa.String(length=4), nullable=True),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column(
            "with_url", sa.Boolean(), nullable=False, comment="a URL on at least one channel"
        ),
        sa.Column("adopted_central", sa.Integer(), nullable=False),
        sa.Column("adopted_provincial", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["publication_id"], ["publications.id"]),
        sa.PrimaryKeyConstraint("publication_id"),
    )
    op.create_index("ix_item_summaries_year", "item_summaries", ["year"])
    facts: dict[int, Facts] = {}
    rows = op.get_bind().execute(
        sa.text(
            "SELECT kind, publication_id, payload FROM ledger_entries "
            "WHERE kind IN ('published', 'adopted') AND publication_id IS NOT NULL"
        )
    )
    for kind, pub_id, payload in rows:
        if isinstance(payload, str):  # SQLite hands JSON back as text
            payload = json.loads(payload)
        facts.setdefault(pub_id, Facts()).fold(kind, payload if isinstance(payload, dict) else {})
    if facts:
        op.bulk_insert(table, [{"publication_id": pid, **f.row()} for pid, f in facts.items()])


def downgrade() -> None:
    op.drop_index("ix_item_summaries_year", table_name="item_summaries")
    op.drop_table("item_summaries")
