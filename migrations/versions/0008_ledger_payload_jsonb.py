"""The ledger's payload as jsonb on PostgreSQL, so reading a field does not parse the row again.

Why: `payload` was `json`, which PostgreSQL keeps as text, so every `payload->>'channel'` of
the annual roll-up parsed each entry's whole text once more; at 1,000,000 entries the roll-up
took 4–6× one GROUP BY. jsonb keeps the payload parsed. SQLite is unchanged: its JSON is text
either way and its json_extract is fast.

The hash chain stays valid: an entry is hashed over the canonical JSON (sorted keys, no spacing)
of its payload as Python reads it back, so jsonb's own key order and spacing change nothing.
jsonb can change a value in one way that matters: a number written in exponent form comes back
written out (1e+20 as 100000000000000000000, which Python reads as an int, not a float). Before
the column changes, every payload whose text has such a number is read back both ways and its
canonical JSON compared; if any differs, the migration stops, names the entries and leaves the
column as it was. (A string holding \\u0000, which jsonb refuses, stops the ALTER the same way.)

The ALTER rewrites the table under an exclusive lock (about 10 s per million entries on a
2-core machine): run it in a quiet hour. It fires no row trigger, so the append-only guards
stay as they are.

Revision ID: 0008
Revises: 0007
"""

import json

import sqlalchemy as sa
from alembic import op

from pubreview.ledger.chain import canonical_json

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# A digit or point followed by an exponent: text that may hold a number jsonb rewrites.
_EXPONENT = r"[0-9.][eE][-+]?[0-9]"


def _canonical(text: str) -> str:
    """The payload's text as the ledger hashes it (after Python has read it back)."""
    return canonical_json(json.loads(text))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    rows = bind.execute(
        sa.text(
            "SELECT id, payload::text, payload::jsonb::text FROM ledger_entries "
            "WHERE payload::text ~ :exponent"
        ),
        {"exponent": _EXPONENT},
    )
    changed = [entry_id for entry_id, old, new in rows if _canonical(old) != _canonical(new)]
    if changed:
        raise RuntimeError(
            "ledger entries "
            + ", ".join(map(str, changed[:20]))
            + " hold a number jsonb would write differently, so their hashes would no longer "
            "verify: the payload column stays json"
        )
    op.execute("ALTER TABLE ledger_entries ALTER COLUMN payload TYPE jsonb USING payload::jsonb")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE ledger_entries ALTER COLUMN payload TYPE json USING payload::json")
