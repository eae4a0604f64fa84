"""Bring a ledger database to the newest schema with Alembic."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from pubreview.settings import PROJECT_ROOT


def upgrade(url: str) -> None:
    """Run every pending migration against the database at `url`."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = url
    command.upgrade(config, "head")
