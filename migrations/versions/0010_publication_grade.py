"""信息等级 (grade) on publications: 一般, 重要, 敏感.

Why: offices grade items and give higher grades a longer review chain (an extra 保密审查 for
sensitive items, say); the chains file's rules can now select a chain by grade. Every item so
far was reviewed as an ordinary one, so the server default fills existing rows with 一般, and an
office whose chains file names no grade sees no change.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.add_column(
            sa.Column(
                "grade",
                sa.Enum(
                    "ordinary",
                    "important",
                    "sensitive",
                    name="grade",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="ordinary",
                comment="信息等级: ordinary 一般, important 重要, sensitive 敏感",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.drop_column("grade")
