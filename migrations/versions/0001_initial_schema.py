"""Organisation, publications and the hash-chained ledger.

Why: the first schema. The ledger refuses UPDATE and DELETE through triggers on both
SQLite and PostgreSQL, so an edit needs a deliberate DROP TRIGGER and still shows in
`pubreview ledger verify`.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 22:19:59.688505
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY_TRIGGERS = {
    "sqlite": [
        """CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
           BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END""",
        """CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
           BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'ledger_entries is append-only'; END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
           FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()""",
        """CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
           FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()""",
        """CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
           FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only()""",
    ],
}


def upgrade() -> None:
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False, comment='login used by --as'),
    sa.Column('name', sa.String(length=200), nullable=False, comment='display name'),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('username', name=op.f('uq_people_username'))
    )
    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False, comment='short stable key'),
    sa.Column('name', sa.String(length=200), nullable=False, comment='display name, e.g. 综合科'),
    sa.Column('kind', sa.Enum('section', 'county', 'center', name='unit_kind', native_enum=False, length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('code', name=op.f('uq_units_code'))
    )
    op.create_table('publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False, comment='title of the current revision'),
    sa.Column('category', sa.String(length=64), nullable=False, comment='content category, e.g. 工作动态'),
    sa.Column('channels', sa.JSON(), nullable=False, comment="channels, e.g. ['网站', '微博']"),
    sa.Column('unit_id', sa.Integer(), nullable=False, comment='submitting unit'),
    sa.Column('submitter_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('in_review', 'returned', 'rejected', 'published', 'retracted', name='publication_status', native_enum=False, length=32), nullable=False),
    sa.Column('stage', sa.Enum('prereview', 'signoff', 'publication', name='stage', native_enum=False, length=32), nullable=True, comment='stage awaited while in review'),
    sa.Column('current_revision', sa.Integer(), nullable=False),
    sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=False, comment='since this status/stage'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True, comment='the review flow run last seen waiting for this item'),
    sa.ForeignKeyConstraint(['submitter_id'], ['people.id'], name=op.f('fk_publications_submitter_id_people')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_publications_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publications'))
    )
    op.create_table('role_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('submitter', 'section_head', 'leader', 'center', 'admin', name='role', native_enum=False, length=32), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_role_grants_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_role_grants_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grants')),
    sa.UniqueConstraint('person_id', 'unit_id', 'role', name=op.f('uq_role_grants_person_id_unit_id_role'))
    )
    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False, comment='LedgerKind value'),
    sa.Column('publication_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=True, comment='revision number decided on'),
    sa.Column('stage', sa.String(length=32), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=True, comment="username, or 'system'"),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=255), nullable=True, comment='makes a repeated step a no-op (one decision per stage)'),
    sa.Column('prev_hash', sa.String(length=64), nullable=False, comment='hash of the previous entry; unique so the chain cannot fork'),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], name=op.f('fk_ledger_entries_publication_id_publications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_ledger_entries_dedupe_key')),
    sa.UniqueConstraint('hash', name=op.f('uq_ledger_entries_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_ledger_entries_prev_hash'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_publication', ['publication_id', 'id'], unique=False)

    op.create_table('revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False, comment='1 for the first submission'),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False, comment='SHA-256 over title, body and attachment hashes'),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['people.id'], name=op.f('fk_revisions_author_id_people')),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], name=op.f('fk_revisions_publication_id_publications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revisions')),
    sa.UniqueConstraint('publication_id', 'number', name=op.f('uq_revisions_publication_id_number'))
    )
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['revision_id'], ['revisions.id'], name=op.f('fk_attachments_revision_id_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('revision_id', 'filename', name=op.f('uq_attachments_revision_id_filename'))
    )
    for statement in APPEND_ONLY_TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect in APPEND_ONLY_TRIGGERS:
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_update" + (" ON ledger_entries" if dialect == "postgresql" else ""))
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_delete" + (" ON ledger_entries" if dialect == "postgresql" else ""))

    op.drop_table('attachments')
    op.drop_table('revisions')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_publication')

    op.drop_table('ledger_entries')
    op.drop_table('role_grants')
    op.drop_table('publications')
    op.drop_table('units')
    op.drop_table('people')
