"""依申请公开: disclosure requests, their third-party consultations and 复议/诉讼 cases.

Why: Tables 三 and 四 of the annual report were typed into the supplement by hand; requests are
now tracked from receipt to reply on the working-day calendar and their outcomes counted from
the ledger. These tables are caches beside the ledger entries of the new request_* and case_*
kinds (no change to ledger_entries: kind is a plain string column). The applicant's name and
contact are kept only here; the ledger holds their fingerprint.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disclosure_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "当面",
                "邮寄",
                "平邮",
                "网上",
                "传真",
                "电邮",
                name="request_channel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "applicant_type",
            sa.Enum(
                "自然人",
                "商业企业",
                "科研机构",
                "社会公益组织",
                "法律服务机构",
                "其他",
                name="applicant_type",
                native_enum=False,
                length=32,
            ),
            nullable=False,
            comment="Table 三 column",
        ),
        sa.Column(
            "applicant_name",
            sa.String(length=200),
            nullable=True,
            comment="personal data: shown to request handlers only, never reported",
        ),
        sa.Column(
            "applicant_contact",
            sa.String(length=200),
            nullable=True,
            comment="personal data: phone, address or e-mail of the applicant",
        ),
        sa.Column("content", sa.Text(), nullable=False, comment="the information asked for"),
        sa.Column("arrived_on", sa.Date(), nullable=False, comment="the day it reached the office"),
        sa.Column(
            "received_on",
            sa.Date(),
            nullable=False,
            comment="the counted receipt date (第三十一条): signed for, handed in or confirmed",
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "correction",
                "consulting",
                "closed",
                name="request_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "clock_from",
            sa.Date(),
            nullable=False,
            comment="the day the 20 working days count from: receipt, or the corrected request",
        ),
        sa.Column(
            "due_on",
            sa.Date(),
            nullable=True,
            comment="the current deadline; NULL while the clock waits (补正, 征求意见)",
        ),
        sa.Column(
            "correction_due_on",
            sa.Date(),
            nullable=True,
            comment="the day the applicant must send the correction by",
        ),
        sa.Column("extension_days", sa.Integer(), nullable=False, comment="延期 working days"),
        sa.Column(
            "excluded_days",
            sa.Integer(),
            nullable=False,
            comment="working days spent on third-party consultation (不计入)",
        ),
        sa.Column("outcome", sa.String(length=16), nullable=True, comment="Table 三 row key"),
        sa.Column("closed_on", sa.Date(), nullable=True, comment="the reply (or closing) date"),
        sa.Column("legal_basis", sa.Text(), nullable=True, comment="the article the reply cites"),
        sa.Column(
            "fee_yuan",
            sa.Numeric(precision=12, scale=2),
            nullable=True,
            comment="信息处理费 charged, in 元",
        ),
        sa.Column("registered_by", sa.String(length=64), nullable=False, comment="username"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_requests")),
    )
    op.create_index(
        "ix_disclosure_requests_received", "disclosure_requests", ["received_on"], unique=False
    )
    op.create_index(
        "ix_disclosure_requests_status", "disclosure_requests", ["status", "due_on"], unique=False
    )
    op.create_table(
        "disclosure_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "行政复议",
                "未经复议直接起诉",
                "复议后起诉",
                name="case_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "结果维持", "结果纠正", "其他结果", name="case_result", native_enum=False, length=32
            ),
            nullable=True,
            comment="NULL: 尚未审结",
        ),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True, comment="the body that decides, case number"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_disclosure_cases_request_id_disclosure_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_cases")),
    )
    op.create_index(
        op.f("ix_disclosure_cases_request_id"), "disclosure_cases", ["request_id"], unique=False
    )
    op.create_table(
        "request_consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column(
            "third_party", sa.String(length=200), nullable=False, comment="whom the office asked"
        ),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column(
            "reply_due_on", sa.Date(), nullable=False, comment="15 working days after sending"
        ),
        sa.Column(
            "answered_on",
            sa.Date(),
            nullable=True,
            comment="the third party's answer, or the end of its period without one",
        ),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_request_consultations_request_id_disclosure_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_consultations")),
    )
    op.create_index(
        op.f("ix_request_consultations_request_id"),
        "request_consultations",
        ["request_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_request_consultations_request_id"), table_name="request_consultations")
    op.drop_table("request_consultations")
    op.drop_index(op.f("ix_disclosure_cases_request_id"), table_name="disclosure_cases")
    op.drop_table("disclosure_cases")
    op.drop_index("ix_disclosure_requests_status", table_name="disclosure_requests")
    op.drop_index("ix_disclosure_requests_received", table_name="disclosure_requests")
    op.drop_table("disclosure_requests")
