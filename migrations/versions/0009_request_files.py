"""依申请公开: files kept with a request (receipt attachments, the reply letter as signed).

Why: a request's receipt may carry attachments (the letter scanned, the applicant's ID copy,
the online form's files), and the 答复告知书 is bound to its 签发 by keeping the very bytes the
signer approved. Both are kept here, beside the ledger entry that carries their SHA-256 (the
登记 entry, the 签发 entry); ledger_entries itself does not change. Receipt files are personal
data, like the applicant's name in disclosure_requests.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("receipt", "reply", name="request_file", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "number",
            sa.Integer(),
            nullable=False,
            comment="receipt: the file's place in the 登记 entry (1, 2, …); reply: the round",
        ),
        sa.Column(
            "filename",
            sa.String(length=255),
            nullable=False,
            comment="personal data for receipt files",
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_request_files_request_id_disclosure_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_files")),
        sa.UniqueConstraint(
            "request_id", "kind", "number", name=op.f("uq_request_files_request_id_kind_number")
        ),
    )
    op.create_index(
        op.f("ix_request_files_request_id"), "request_files", ["request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_request_files_request_id"), table_name="request_files")
    op.drop_table("request_files")
