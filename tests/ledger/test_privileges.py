"""On PostgreSQL the application's role can append to the ledger but not switch its guards off."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from pubreview import db, migrate
from pubreview.accounts.org import load_org
from pubreview.errors import ValidationError
from pubreview.ledger.privileges import grant_app_role
from pubreview.ledger.verification import verify_all
from tests.conftest import SAMPLE_ORG, _pg_admin, create_pg_database, drop_pg_database
from tests.support.factories import decided, submitted


@pytest.fixture
def owner_and_app() -> Iterator[tuple[Engine, Engine, str]]:
    """A migrated database (owned by the admin role) and an engine as a fresh app role."""
    url = create_pg_database()
    role = f"pubreview_app_{uuid.uuid4().hex[:8]}"
    owner = db.make_engine(url)
    try:
        migrate.upgrade(url)
        with db.transaction(owner) as session:
            load_org(session, SAMPLE_ORG)
        grant_app_role(owner, role)
        app = db.make_engine(url.replace("://postgres@", f"://{role}@", 1))
        yield owner, app, role
        app.dispose()
    finally:
        owner.dispose()
        drop_pg_database(url)
        with _pg_admin() as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_app_role_runs_the_review_but_cannot_touch_the_guards(owner_and_app) -> None:
    owner, app, role = owner_and_app
    pub = submitted(app)
    decided(app, pub, "li.na", attest=True)
    with db.transaction(app) as session:
        assert verify_all(session).chain.entries == 3
    for statement, refusal in (
        ("ALTER TABLE ledger_entries DISABLE TRIGGER USER", "must be owner"),
        ("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_no_update", "must be owner"),
        ("DROP TRIGGER ledger_entries_no_update ON ledger_entries", "must be owner"),
        ("UPDATE ledger_entries SET actor = 'mallory' WHERE id = 1", "permission denied"),
        ("DELETE FROM ledger_entries WHERE id = 3", "permission denied"),
        ("TRUNCATE ledger_entries", "permission denied"),
        ("CREATE TABLE mine (id int)", "permission denied"),
        ("UPDATE alembic_version SET version_num = '0001'", "permission denied"),
    ):
        with pytest.raises(DBAPIError, match=refusal), app.begin() as conn:
            conn.execute(text(statement))
    # The owner could (which is why the application must not run as the owner).
    with owner.begin() as conn:
        conn.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER USER"))
        conn.execute(text("ALTER TABLE ledger_entries ENABLE TRIGGER USER"))
    with pytest.raises(ValidationError, match="执行迁移的账号"):
        grant_app_role(owner, "postgres")
    grant_app_role(owner, role)  # again after an upgrade: the same rights, no error
    assert submitted(app) > pub


def test_db_grant_command(owner_and_app, tmp_path) -> None:
    owner, _, _ = owner_and_app
    role = f"pubreview_cli_{uuid.uuid4().hex[:8]}"
    url = owner.url.render_as_string(hide_password=False).replace("+psycopg", "")
    env = {"PUBREVIEW_DATABASE_URL": url, "PUBREVIEW_DATA_DIR": str(tmp_path), "PATH": ""}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pubreview.cli", "db", "grant", "--app-role", role],
            env=env,
            input="s3cret\n",
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        assert f"role {role} created" in done.stdout and "REVOKE UPDATE, DELETE" in done.stdout
        app = db.make_engine(url.replace("://postgres@", f"://{role}@", 1))
        with pytest.raises(DBAPIError, match="must be owner"), app.begin() as conn:
            conn.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER USER"))
        app.dispose()
    finally:
        with owner.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))  # its grants, so the role can go
        with _pg_admin() as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    sqlite = {**env, "PUBREVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    refused = subprocess.run(
        [sys.executable, "-m", "pubreview.cli", "db", "grant", "--app-role", "app"],
        env=sqlite,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1 and "只用于 PostgreSQL" in refused.stderr
    assert "Traceback" not in refused.stderr
