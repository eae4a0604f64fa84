"""公开属性: carried from the draft into the item and its ledger entry; migration 0004 fills it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from models.publication import Disclosure
from pubreview import db
from pubreview.errors import ValidationError
from pubreview.review.submission import submit
from pubreview.settings import PROJECT_ROOT
from tests.conftest import create_pg_database, drop_pg_database
from tests.support.factories import draft


def test_a_reason_is_required_unless_actively_disclosed(engine: Engine) -> None:
    for kind in (Disclosure.ON_REQUEST, Disclosure.NOT_PUBLIC):
        with (
            pytest.raises(ValidationError, match="须填写理由") as caught,
            db.transaction(engine) as session,
        ):
            submit(session, draft(disclosure=kind, disclosure_reason="  "))
        assert caught.value.field == "disclosure_reason"
    with db.transaction(engine) as session:
        pub = submit(session, draft(disclosure=Disclosure.NOT_PUBLIC, disclosure_reason="内部事务"))
        active = submit(session, draft(disclosure_reason="不会保存"))
        assert (pub.disclosure, pub.disclosure_reason) == (Disclosure.NOT_PUBLIC, "内部事务")
        # 主动公开 needs no reason, and one given by mistake is not kept.
        assert (active.disclosure, active.disclosure_reason) == (Disclosure.ACTIVE, None)


def _config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = url
    return config


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


def test_migration_0004_makes_existing_items_actively_disclosed(blank_url: str) -> None:
    config = _config(blank_url)
    command.upgrade(config, "0003")
    engine = db.make_engine(blank_url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO units (id, code, name, kind) VALUES (1, 'u', 'U', 'section')")
        )
        conn.execute(text("INSERT INTO people (id, username, name) VALUES (1, 'p', 'P')"))
        conn.execute(
            text(
                "INSERT INTO publications (id, title, category, channels, unit_id, submitter_id,"
                " status, current_revision, waiting_since, created_at) VALUES (1, 't', '专题',"
                " '[]', 1, 1, 'published', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()
    command.upgrade(config, "head")
    engine = db.make_engine(blank_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT disclosure, disclosure_reason FROM publications")).one()
    engine.dispose()
    assert tuple(row) == ("active", None)
    command.downgrade(config, "0003")
    command.upgrade(config, "head")
