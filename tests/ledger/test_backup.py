"""Backup and restore: a round trip verifies; an old copy says what it lacks; bad input refused."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from models import Attachment, LedgerEntry
from pubreview import db
from pubreview.errors import BackupRefused
from pubreview.ledger import backup, checkpoints
from pubreview.site import build_site
from tests.conftest import create_pg_database, drop_pg_database
from tests.support.factories import decided, submitted
from tests.support.ledger import build_history
from tests.support.site import publish_through_chain


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of the same kind, to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


def _checkpoint(engine: Engine) -> checkpoints.Checkpoint:
    with db.transaction(engine) as session:
        return checkpoints.make(session, create_key=True)


def _facts(url: str) -> tuple[int, list[bytes]]:
    engine = db.make_engine(url)
    try:
        with db.transaction(engine) as session:
            return (
                session.scalar(select(func.count()).select_from(LedgerEntry)),
                list(session.scalars(select(Attachment.content).order_by(Attachment.id))),
            )
    finally:
        engine.dispose()


def test_round_trip_verifies(
    engine: Engine, database_url: str, empty_url: str, tmp_path: Path, data_dir: Path
) -> None:
    build_history(engine)
    publish_through_chain(engine, "带附件", "正文", attachments={"表.xlsx": b"\x00binary\xff"})
    with db.transaction(engine) as session:
        build_site(session, data_dir / "site")
    _checkpoint(engine)
    folder = tmp_path / "backup"
    made = backup.backup(folder, database_url, data_dir / "site")
    assert made.verified, made.report
    assert made.checkpoint["size"] == made.entries  # signed at backup time
    assert (folder / "site/index.html").exists() and (folder / checkpoints.LOG_NAME).exists()
    restored = backup.restore(folder, empty_url)
    assert restored.verified, restored.report
    assert restored.entries == made.entries and restored.head == made.head
    assert _facts(empty_url) == _facts(database_url)
    with pytest.raises(BackupRefused, match="只能恢复到空数据库"):
        backup.restore(folder, empty_url)


def test_restoring_an_old_copy_says_what_is_missing(
    engine: Engine, database_url: str, empty_url: str, tmp_path: Path
) -> None:
    build_history(engine)
    old = backup.backup(tmp_path / "old", database_url)
    for _ in range(2):
        submitted(engine)
    newer = _checkpoint(engine)
    restored = backup.restore(tmp_path / "old", empty_url)
    assert not restored.verified
    missing = f"第 {old.entries + 1}–{newer.size} 条已丢失"
    assert any(missing in line for line in restored.report), restored.report


def test_bad_folders_are_refused(engine: Engine, database_url: str, tmp_path: Path) -> None:
    build_history(engine, items=1)
    folder = tmp_path / "b"
    backup.backup(folder, database_url)
    with pytest.raises(BackupRefused, match="不是空的"):
        backup.backup(folder, database_url)
    copy = next(p for p in folder.iterdir() if p.name in (backup.SQLITE_COPY, backup.PG_DUMP))
    copy.write_bytes(copy.read_bytes() + b"x")
    with pytest.raises(BackupRefused, match="已被改动"):
        backup.restore(folder, f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(BackupRefused, match="不是 pubreview 备份目录"):
        backup.restore(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")


def test_backup_while_reviews_are_in_flight(
    engine: Engine, database_url: str, empty_url: str, tmp_path: Path
) -> None:
    build_history(engine, items=1)
    errors: list[BaseException] = []

    def reviews() -> None:
        try:
            for _ in range(20):
                pub = submitted(engine)
                decided(engine, pub, "li.na", attest=True)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    worker = threading.Thread(target=reviews)
    worker.start()
    made = backup.backup(tmp_path / "live", database_url)
    worker.join()
    assert not errors, errors
    assert made.verified, made.report
    restored = backup.restore(tmp_path / "live", empty_url)
    assert restored.verified and restored.entries == made.entries


def test_backup_and_restore_commands(
    engine: Engine, database_url: str, empty_url: str, tmp_path: Path, data_dir: Path
) -> None:
    build_history(engine, items=1)
    env = {
        **os.environ,
        "PUBREVIEW_DATABASE_URL": database_url,
        "PUBREVIEW_DATA_DIR": str(data_dir),
    }

    def cli(*args: str, url: str = database_url) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pubreview.cli", *args],
            env={**env, "PUBREVIEW_DATABASE_URL": url},
            capture_output=True,
            text=True,
        )

    assert cli("ledger", "key").returncode == 0
    made = cli("ledger", "backup", str(tmp_path / "b"))
    assert made.returncode == 0 and "ledger verified: 4 entries" in made.stdout, made.stderr
    restored = cli("ledger", "restore", str(tmp_path / "b"), url=empty_url)
    assert restored.returncode == 0 and "restored from" in restored.stdout, restored.stderr
    again = cli("ledger", "restore", str(tmp_path / "b"), url=empty_url)
    assert again.returncode == 1 and "只能恢复到空数据库" in again.stderr
    assert "Traceback" not in again.stderr
