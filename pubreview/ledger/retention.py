"""The scheduled backups' folder: one dated folder per backup, the old ones removed after N days.

Each backup (pubreview.ledger.backup) is a folder holding a manifest. Only folders with a
manifest are ever counted or removed, and the newest backup that verified is kept whatever its
age, so a run of failed backups never leaves the office with none.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pubreview.ledger.backup import MANIFEST


@dataclass(frozen=True)
class StoredBackup:
    """One backup folder as its manifest describes it."""

    folder: Path
    created: datetime  # UTC
    entries: int
    verified: bool


def folder_name(now: datetime) -> str:
    """A new backup's folder name: its time (office time), sortable."""
    return now.strftime("%Y%m%d-%H%M%S")


def stored(root: Path) -> list[StoredBackup]:
    """The backups under `root`, oldest first (folders without a readable manifest are skipped)."""
    found = []
    for folder in sorted(p for p in root.glob("*") if p.is_dir()):
        try:
            meta = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            created = datetime.fromisoformat(meta["created"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        found.append(
            StoredBackup(folder, created, int(meta.get("entries") or 0), bool(meta.get("verified")))
        )
    return sorted(found, key=lambda b: b.created)


def latest(root: Path) -> StoredBackup | None:
    """The newest backup under `root`, if any."""
    found = stored(root)
    return found[-1] if found else None


def prune(root: Path, keep_days: int, now: datetime) -> list[Path]:
    """Remove backups older than `keep_days` (never the newest verified one); the removed."""
    found = stored(root)
    verified = [b for b in found if b.verified]
    keep = verified[-1].folder if verified else None
    removed = []
    for b in found:
        if b.folder != keep and now - b.created > timedelta(days=keep_days):
            shutil.rmtree(b.folder)
            removed.append(b.folder)
    return removed
