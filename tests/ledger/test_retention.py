"""The scheduled backups' folder: expired backups go, the newest verified one always stays."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pubreview.ledger import retention
from pubreview.ledger.backup import MANIFEST

NOW = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)


def _backup(root: Path, days_ago: float, verified: bool = True) -> Path:
    created = NOW - timedelta(days=days_ago)
    folder = root / retention.folder_name(created)
    folder.mkdir(parents=True)
    meta = {"created": created.isoformat(timespec="seconds"), "entries": 7, "verified": verified}
    (folder / MANIFEST).write_text(json.dumps(meta))
    return folder


def test_expired_backups_are_removed_and_others_kept(tmp_path: Path) -> None:
    old, older = _backup(tmp_path, 20), _backup(tmp_path, 30)
    recent, today = _backup(tmp_path, 3), _backup(tmp_path, 0, verified=False)
    stranger = tmp_path / "notes"  # not a backup: never touched
    stranger.mkdir()
    assert retention.latest(tmp_path).folder == today
    assert sorted(retention.prune(tmp_path, 14, NOW)) == sorted([old, older])
    assert [b.folder for b in retention.stored(tmp_path)] == [recent, today]
    assert stranger.is_dir()


def test_the_newest_verified_backup_stays_however_old(tmp_path: Path) -> None:
    good = _backup(tmp_path, 40)
    failed = [_backup(tmp_path, d, verified=False) for d in (30, 20)]
    assert retention.prune(tmp_path, 14, NOW) == failed
    assert [b.folder for b in retention.stored(tmp_path)] == [good]
