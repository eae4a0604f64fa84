"""公开属性 (disclosure) on publications.

Why: every item an office publishes is classified as 主动公开, 依申请公开 or 不予公开 under the
政府信息公开条例, and the submitter gives a reason when it is not 主动公开. Existing items were
all published on the site, so they are 主动公开 (the server default fills them in).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.add_column(
            sa.Column(
                "disclosure",
                sa.Enum(
                    "active",
                    "on_request",
                    "not_public",
                    name="disclosure",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="active",
                comment="公开属性: active 主动公开, on_request 依申请公开, not_public 不予公开",
            )
        )
        batch.add_column(
            sa.Column(
                "disclosure_reason",
                sa.Text(),
                nullable=True,
                comment="why the item is not 主动公开 (required then)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.drop_column("disclosure_reason")
        batch.drop_column("disclosure")
