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

from models import Attachment, LedgerEntry, LedgerKind, Publication
from pubreview import db
from pubreview.errors import BackupRefused
from pubreview.ledger import backup, checkpoints, keys
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
    assert (folder / keys.KEYS_NAME).exists()  # the public keys travel with the log
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


REVIEWERS = 4  # threads deciding at once
PER_REVIEWER = 5  # 4 × 5 = 20 reviews in flight


def _entries(url: str) -> list[tuple[int, str]]:
    engine = db.make_engine(url)
    try:
        with db.transaction(engine) as session:
            return list(
                session.execute(select(LedgerEntry.id, LedgerEntry.hash).order_by(LedgerEntry.id))
            )
    finally:
        engine.dispose()


def _items(url: str) -> tuple[int, int]:
    """(publications rows, submission entries) in a database."""
    engine = db.make_engine(url)
    try:
        with db.transaction(engine) as session:
            return (
                session.scalar(select(func.count()).select_from(Publication)),
                session.scalar(
                    select(func.count())
                    .select_from(LedgerEntry)
                    .where(LedgerEntry.kind == LedgerKind.SUBMITTED)
                ),
            )
    finally:
        engine.dispose()


def test_backup_taken_while_20_reviews_are_in_flight_restores_a_consistent_prefix(
    engine: Engine, database_url: str, empty_url: str, tmp_path: Path, data_dir: Path
) -> None:
    build_history(engine, items=1)
    _checkpoint(engine)
    submitted_all = threading.Barrier(REVIEWERS + 1)
    backup_done = threading.Event()
    errors: list[BaseException] = []

    def reviewer() -> None:
        try:
            mine = [submitted(engine) for _ in range(PER_REVIEWER)]
            submitted_all.wait(timeout=120)
            # These decisions race the backup: 初审 and 审签 of every item, one at a time.
            for pub in mine:
                decided(engine, pub, "li.na", attest=True)
                decided(engine, pub, "zeng.xiang")
            backup_done.wait(timeout=120)
            submitted(engine)  # and one after it: the copy must not have it
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
            submitted_all.abort()

    workers = [threading.Thread(target=reviewer) for _ in range(REVIEWERS)]
    for worker in workers:
        worker.start()
    try:
        submitted_all.wait(timeout=120)
        made = backup.backup(tmp_path / "live", database_url)
    finally:
        backup_done.set()
        for worker in workers:
            worker.join(timeout=300)
    assert not errors, errors
    assert made.verified, made.report
    live = _entries(database_url)
    assert made.entries < len(live)  # the reviews went on after the copy was taken

    restored = backup.restore(tmp_path / "live", empty_url)
    assert restored.verified, restored.report
    copy = _entries(empty_url)
    # A consistent snapshot: exactly the first entries of the live ledger, nothing torn.
    assert copy == live[: len(copy)] and copy[-1][1] == made.head
    assert made.entries == len(copy)
    rows, submissions = _items(empty_url)
    assert rows == submissions  # every item the copy has, it has with its submission
    assert submissions >= 1 + REVIEWERS * PER_REVIEWER  # all submitted before the race began
    # Each cache row agrees with the restored entries (verify's cache check), so no decision
    # is in the copy without the row it moved, nor the other way round.
    env = {**os.environ, "PUBREVIEW_DATABASE_URL": empty_url, "PUBREVIEW_DATA_DIR": str(data_dir)}
    verified = subprocess.run(
        [
            sys.executable,
            "-m",
            "pubreview.cli",
            "ledger",
            "verify",
            "--checkpoints",
            str(tmp_path / "live"),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"ledger verified: {len(copy)} entries" in verified.stdout


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
    # `pubreview backup DIR` / `restore DIR` are the same commands at the top level.
    top = cli("backup", str(tmp_path / "c"))
    assert top.returncode == 0 and "ledger verified: 4 entries" in top.stdout, top.stderr
    restored = cli("restore", str(tmp_path / "c"), url=empty_url)
    assert restored.returncode == 0 and "restored from" in restored.stdout, restored.stderr
    again = cli("ledger", "restore", str(tmp_path / "b"), url=empty_url)
    assert again.returncode == 1 and "只能恢复到空数据库" in again.stderr
    assert "Traceback" not in again.stderr
