"""Migrations 0005 and 0009 create exactly the request tables the models declare, and come off
again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from models import Base
from pubreview import db
from pubreview.settings import PROJECT_ROOT

TABLES = {"disclosure_requests", "request_consultations", "disclosure_cases"}
FILES = {"request_files"}


def _config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = url
    return config


def _request_diffs(url: str, tables: set[str] = TABLES | FILES) -> list:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()

    def table_of(diff) -> str | None:
        item = diff[0] if isinstance(diff, list) else diff
        for part in item[1:]:
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            if table is not None:
                return table.name
            if name in tables:
                return name
        return None

    return [d for d in diffs if table_of(d) in tables]


def test_0005_matches_the_models_and_downgrades(database_url: str) -> None:
    assert _request_diffs(database_url) == []
    engine = db.make_engine(database_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()
    command.downgrade(_config(database_url), "0004")
    engine = db.make_engine(database_url)
    assert not TABLES & set(inspect(engine).get_table_names())
    engine.dispose()
    command.upgrade(_config(database_url), "head")
    assert _request_diffs(database_url) == []


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_0009_adds_the_request_files_and_downgrades(database_url: str) -> None:
    assert _tables(database_url) >= FILES
    assert _request_diffs(database_url, FILES) == []
    command.downgrade(_config(database_url), "0008")
    assert not FILES & _tables(database_url) and _tables(database_url) >= TABLES
    command.upgrade(_config(database_url), "head")
    assert _request_diffs(database_url, FILES) == []
