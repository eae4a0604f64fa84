"""Accounts and server-side login sessions.

Why: the office web app signs people in. An account holds a person's Argon2 password hash,
the lock-out counter and the optional second factor; a login session is stored server side
(only the SHA-256 of the cookie's id) so logout, a disabled account or a password reset can
end it. Access events go to the existing ledger as kind "access"; that needs no schema change.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "password_hash",
            sa.String(length=255),
            nullable=True,
            comment="Argon2 hash (PHC string); NULL until a password is set",
        ),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "disabled",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
            comment="a disabled account cannot log in",
        ),
        sa.Column(
            "failed_logins",
            sa.Integer(),
            nullable=False,
            server_default="0",
            comment="wrong passwords since the last success or lock-out",
        ),
        sa.Column(
            "locked_until",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="no login before this time (lock-out after repeated failures)",
        ),
        sa.Column(
            "totp_secret",
            sa.String(length=64),
            nullable=True,
            comment="base32 TOTP secret once the person enrolled a second factor",
        ),
        sa.Column(
            "totp_required",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
            comment="the administrator requires a second factor",
        ),
        sa.Column(
            "totp_last_step",
            sa.Integer(),
            nullable=True,
            comment="time step of the last accepted code, so a code works once",
        ),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_accounts_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "token_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the session id in the cookie",
        ),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "csrf_token",
            sa.String(length=64),
            nullable=False,
            comment="form token of this session; a POST must carry it",
        ),
        sa.Column(
            "stage",
            sa.String(length=16),
            nullable=False,
            comment="active; totp (password checked, code awaited); enrol (must set up a code)",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "revoked_reason",
            sa.String(length=32),
            nullable=True,
            comment="logout, rotated, expired, disabled, password",
        ),
        sa.Column("ip", sa.String(length=64), nullable=True, comment="client address at login"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_login_sessions_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_sessions_token_hash")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_login_sessions_person", ["person_id", "revoked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_login_sessions_person")
    op.drop_table("login_sessions")
    op.drop_table("accounts")
