"""Least privilege on PostgreSQL: the application connects as a role that owns nothing.

The append-only triggers are the table owner's to switch off (`ALTER TABLE … DISABLE TRIGGER`,
`DROP TRIGGER`), so the role that runs migrations must not be the role the application runs
as. `grant_app_role` makes (or brings up to date) a login role without ownership: on the
ledger it may only SELECT and INSERT; on the tables beside it (caches, accounts, requests) it
reads and writes rows; it can create nothing. Run it as the owner after every `db upgrade`,
since new tables get their grants from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql
from sqlalchemy import Engine, text

from models import LedgerEntry
from pubreview.errors import ValidationError

LEDGER = LedgerEntry.__tablename__
READ_ONLY = ("alembic_version",)  # the schema's version is the owner's to move


@dataclass(frozen=True)
class Grants:
    """What `grant_app_role` did."""

    role: str
    created: bool
    database: str
    owner: str
    statements: list[str]


def _statements(role: str, database: str) -> list[sql.Composable]:
    r, db = sql.Identifier(role), sql.Identifier(database)
    ledger = sql.Identifier(LEDGER)
    out: list[sql.Composable] = [
        sql.SQL("ALTER ROLE {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS").format(r),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, r),
        # No objects of its own: a function or table it made could be used to escalate.
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM {}").format(r),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(r),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(r),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            r
        ),
        sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {} FROM {}").format(
            ledger, r
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(r),
    ]
    for table in READ_ONLY:
        out.append(
            sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), r)
        )
    return out


def grant_app_role(engine: Engine, role: str, password: str | None = None) -> Grants:
    """Create the application's role if missing and give it exactly the rights it needs."""
    if engine.dialect.name != "postgresql":
        raise ValidationError("应用账号只用于 PostgreSQL：SQLite 数据库没有账号权限可设")
    with engine.begin() as conn:
        owner, database = conn.execute(text("SELECT current_user, current_database()")).one()
        if role == owner:
            raise ValidationError(
                f"应用账号不能是执行迁移的账号 {owner}（表的所有者可以关闭台帐触发器）：请另起名字"
            )
        found = conn.execute(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).first()
        if found is not None and found.rolsuper:
            raise ValidationError(f"账号 {role} 是超级用户，不能用作应用账号")
        owns = conn.scalar(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"),
            {"r": role},
        )
        if owns:
            raise ValidationError(
                f"账号 {role} 拥有 {owns} 张表（所有者可关闭触发器），不能用作应用账号"
            )
        raw = conn.connection.driver_connection
        statements = _statements(role, database)
        if found is None:
            statements.insert(
                0, sql.SQL("CREATE ROLE {} LOGIN NOINHERIT").format(sql.Identifier(role))
            )
        shown = [statement.as_string(raw) for statement in statements]
        for statement in statements:
            raw.execute(statement)
        if password is not None:
            raw.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
            shown.append(f"ALTER ROLE {sql.Identifier(role).as_string(raw)} PASSWORD '…'")
    return Grants(role, found is None, database, owner, shown)
