"""Backup and restore of the ledger database, its checkpoint log and the site, verified both ways.

SQLite is copied through its online backup API, so the stack may keep running (writers wait
for the copy's short read lock, they are not refused). PostgreSQL goes through `pg_dump` in
its custom format, reading a snapshot exported from a READ ONLY, REPEATABLE READ transaction
that takes no lock a writer waits for: decisions go on while the dump runs, and the copy is
exactly the ledger as it was when the snapshot was taken. Attachments live in the database and
travel with it. A backup folder holds the database copy, the checkpoint log, the key list, the
public key, the site and a manifest with every file's SHA-256; `restore` refuses a folder whose
files do not match it, and refuses a database that is not empty. After either, the copy is
verified against the checkpoints.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import make_url

from models import LedgerEntry
from pubreview import db
from pubreview.errors import BackupRefused, CheckpointUnavailable
from pubreview.ledger import checkpoints, keys
from pubreview.ledger.verification import Verification, one_snapshot, verify_all

MANIFEST = "manifest.json"
SQLITE_COPY = "pubreview.db"
PG_DUMP = "pubreview.pgdump"
SITE_COPY = "site"
PUBLIC_KEY = "public-key.txt"


@dataclass
class BackupSummary:
    """What a backup or a restore did, and what verifying the copy found."""

    folder: str
    database: str  # sqlite or postgresql
    entries: int
    head: str
    files: dict[str, str] = field(default_factory=dict)  # name → SHA-256
    checkpoint: dict | None = None  # the checkpoint made for this backup
    verified: bool = False
    report: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain data for --json and the manifest."""
        return asdict(self)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupRefused(f"{url} 不是 SQLite 数据库文件，无法备份")
    return Path(database)


def _libpq_url(url: str) -> str:
    """The address as pg_dump and pg_restore read it (no SQLAlchemy driver suffix)."""
    return "postgresql://" + url.split("://", 1)[1]


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupRefused(
            f"{what}需要 {command[0]}，本机没有安装（PostgreSQL 客户端工具）"
        ) from None
    if done.returncode != 0:
        raise BackupRefused(
            f"{what}失败：{done.stderr.strip().splitlines()[-1:] or done.returncode}"
        )


def _verify(url: str, sources: list[str]) -> Verification:
    engine = db.make_engine(url)
    try:
        with db.snapshot(engine) as session:
            return verify_all(session, sources=sources)
    finally:
        engine.dispose()


def _dump_verified(engine: Engine, url: str, folder: Path) -> Verification:
    """pg_dump the very snapshot that is verified, so the report speaks of the copy itself.

    A reader's snapshot, not a write transaction: a write transaction holds the ledger's append
    lock (`db.PG_WRITE_LOCK`) until it ends, and every decision would wait for the whole dump.
    """
    with db.snapshot(engine) as session:
        one_snapshot(session)
        # Verify first: it reads the checkpoint log before its first query fixes the snapshot,
        # so a checkpoint signed meanwhile is not taken for entries lost. REPEATABLE READ keeps
        # that one snapshot for the transaction, and that is the one exported to pg_dump.
        check = verify_all(session, sources=_logs_in(folder), snapshot=False)
        snapshot = session.scalar(text("SELECT pg_export_snapshot()"))
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={folder / PG_DUMP}",
                f"--dbname={_libpq_url(url)}",
            ],
            "pg_dump 备份",
        )
    return check


def backup(folder: Path, url: str, site_dir: Path | None = None) -> BackupSummary:
    """Sign a checkpoint, copy database, checkpoint log and site into `folder`, verify the copy.

    The copy is made in a hidden folder beside `folder` and renamed into place once complete,
    so a backup that fails half-way (a full disk) leaves no half backup that looks whole.
    """
    if folder.exists() and any(folder.iterdir()):
        raise BackupRefused(f"备份目录 {folder} 不是空的：请换一个新目录")
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
        summary = _write(partial, folder, url, site_dir)
        if folder.exists():
            folder.rmdir()  # empty, as checked above
        partial.rename(folder)
    except sqlite3.Error as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder)) from exc
        raise
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return summary


def _write(folder: Path, named: Path, url: str, site_dir: Path | None) -> BackupSummary:
    """The backup written into `folder`; its summary and manifest name it `named`."""
    engine = db.make_engine(url)
    dialect = engine.dialect.name
    try:
        with db.transaction(engine) as session:
            made, note = checkpoints.make_if_possible(session)
        log = checkpoints.log_path()
        if log.exists():
            shutil.copyfile(log, folder / checkpoints.LOG_NAME)
        if keys.keys_path().exists():
            shutil.copyfile(keys.keys_path(), folder / keys.KEYS_NAME)
        try:
            public = checkpoints.trusted_public_key()
            (folder / PUBLIC_KEY).write_text(checkpoints.public_text(public) + "\n")
        except CheckpointUnavailable:
            pass
        if dialect == "sqlite":
            source = sqlite3.connect(_sqlite_path(url))
            target = sqlite3.connect(folder / SQLITE_COPY)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
            check = None
        else:
            check = _dump_verified(engine, url, folder)
    finally:
        engine.dispose()
    if site_dir is not None and site_dir.is_dir():
        shutil.copytree(site_dir.resolve(), folder / SITE_COPY)
    if check is None:
        check = _verify(f"sqlite:///{folder / SQLITE_COPY}", _logs_in(folder))
    summary = BackupSummary(
        str(named),
        dialect,
        check.chain.entries,
        check.chain.head,
        files=_hashes(folder),
        checkpoint=made.to_dict() if made else None,
        verified=check.ok,
        report=([note] if note else []) + check.lines(),
    )
    meta = {**summary.to_dict(), "created": datetime.now(UTC).isoformat(timespec="seconds")}
    (folder / MANIFEST).write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n")
    return summary


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): _sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def _logs_in(folder: Path) -> list[str]:
    """The backup folder as a checkpoint source (its log and key list), if it has a log."""
    return [str(folder)] if (folder / checkpoints.LOG_NAME).exists() else []


def _check_folder(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError):
        raise BackupRefused(f"{folder} 不是 pubreview 备份目录（没有可读的 {MANIFEST}）") from None
    actual = _hashes(folder)
    for name, digest in manifest.get("files", {}).items():
        if actual.get(name) != digest:
            raise BackupRefused(f"备份文件 {name} 缺失或已被改动（与 {MANIFEST} 不符）：未恢复")
    return manifest


def _refuse_unless_empty(url: str) -> None:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            if inspect(conn).has_table(LedgerEntry.__tablename__):
                count = conn.scalar(select(LedgerEntry.id).limit(1))
                raise BackupRefused(
                    f"目标数据库 {url} 已有台帐表（{'有记录' if count else '空表'}）："
                    "只能恢复到空数据库"
                )
    finally:
        engine.dispose()


def restore(folder: Path, url: str, sources: list[str] | None = None) -> BackupSummary:
    """Restore a backup into an empty database and verify it against every checkpoint known."""
    manifest = _check_folder(folder)
    dialect = db.make_engine(url).dialect.name
    if dialect != manifest.get("database"):
        raise BackupRefused(
            f"备份来自 {manifest.get('database')} 数据库，不能恢复到 {dialect} 数据库"
        )
    _refuse_unless_empty(url)
    if dialect == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(folder / SQLITE_COPY)
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--dbname={_libpq_url(url)}",
                str(folder / PG_DUMP),
            ],
            "pg_restore 恢复",
        )
    log = checkpoints.log_path()
    if not log.exists() and (folder / checkpoints.LOG_NAME).exists():
        log.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / checkpoints.LOG_NAME, log)
    if not keys.keys_path().exists() and (folder / keys.KEYS_NAME).exists():
        keys.keys_path().parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / keys.KEYS_NAME, keys.keys_path())
    check = _verify(url, _logs_in(folder) + list(sources or []))
    return BackupSummary(
        str(folder),
        dialect,
        check.chain.entries,
        check.chain.head,
        files=manifest.get("files", {}),
        checkpoint=manifest.get("checkpoint"),
        verified=check.ok,
        report=check.lines(),
    )
