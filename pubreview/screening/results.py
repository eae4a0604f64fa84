"""The last result of each scheduled screening flow (archive re-scan, 栏目 health), kept on disk.

The flows write it after each run; the admin page reads it, so the page shows what the last
run found without screening the whole archive again on every visit. One JSON file per flow
under <data dir>/screening/, replaced atomically.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from models.base import utcnow
from pubreview import settings

RESCAN, COLUMNS = "rescan", "columns"


def path_of(name: str) -> Path:
    """Where the last result of one flow is kept."""
    return settings.load().data_dir / "screening" / f"last-{name}.json"


def save(name: str, data: dict[str, Any], *, flow_run_id: str | None = None) -> Path:
    """Keep a run's result (its report's plain data) as the last one."""
    path = path_of(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"at": utcnow().isoformat(timespec="seconds"), "flow_run_id": flow_run_id, **data}
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, path)
    return path


def load(name: str) -> dict[str, Any] | None:
    """The last result kept for one flow (None: it has not run, or the file is unreadable)."""
    try:
        return json.loads(path_of(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
