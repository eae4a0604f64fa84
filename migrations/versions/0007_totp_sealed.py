"""TOTP secrets stored sealed (AES-GCM) instead of in plain text.

Why: anyone holding a copy of the database (a backup, a restored test copy) could compute every
enrolled person's one-time codes. The sealed form ("v1:" + base64 of nonce and ciphertext, bound
to the account) is longer than the old 64 characters, so the column widens; secrets already
enrolled are sealed here, with the key derived from the web app's signing secret (the one its
links use: PUBREVIEW_WEB_SECRET or data/web-secret), so run the migration with the same
settings as the web app.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SEALED = "the TOTP secret once enrolled, sealed (AES-GCM, see pubreview.accounts.totp)"
_PLAIN = "base32 TOTP secret once the person enrolled a second factor"


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column(
            "totp_secret",
            type_=sa.String(200),
            existing_type=sa.String(64),
            existing_nullable=True,
            comment=_SEALED,
            existing_comment=_PLAIN,
        )
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT person_id, totp_secret FROM accounts "
            "WHERE totp_secret IS NOT NULL AND totp_secret NOT LIKE 'v1:%'"
        )
    ).all()
    if not rows:
        return
    # Imported only when there is something to seal: the key comes from the app's settings.
    from pubreview.accounts import totp
    from pubreview.links import secret_key

    key = totp.sealing_key(secret_key())
    for person_id, secret in rows:
        bind.execute(
            sa.text("UPDATE accounts SET totp_secret = :sealed WHERE person_id = :id"),
            {"sealed": totp.seal(secret, key, person_id), "id": person_id},
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT person_id, totp_secret FROM accounts WHERE totp_secret LIKE 'v1:%'")
    ).all()
    if rows:
        from pubreview.accounts import totp
        from pubreview.links import secret_key

        key = totp.sealing_key(secret_key())
        for person_id, stored in rows:
            bind.execute(
                sa.text("UPDATE accounts SET totp_secret = :plain WHERE person_id = :id"),
                {"plain": totp.unseal(stored, key, person_id), "id": person_id},
            )
    with op.batch_alter_table("accounts") as batch:
        batch.alter_column(
            "totp_secret",
            type_=sa.String(64),
            existing_type=sa.String(200),
            existing_nullable=True,
            comment=_PLAIN,
            existing_comment=_SEALED,
        )
