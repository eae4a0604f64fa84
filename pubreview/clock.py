"""Times as people read them: in the office's time zone (PUBREVIEW_TIMEZONE). Stored in UTC.

Pages, messages, the command line's text output and the Prefect artifacts all format a
moment here; JSON output keeps UTC ISO times for machines.
"""

from __future__ import annotations

from datetime import datetime

from models.base import as_utc
from pubreview import settings


def local(value: datetime | str) -> datetime:
    """A stored moment (UTC, naive UTC from SQLite, or ISO text) in the office's time zone."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return as_utc(moment).astimezone(settings.office_timezone())


def local_time(value: datetime | str, *, seconds: bool = False) -> str:
    """A moment as office-local 年-月-日 时:分 (with seconds where the order matters)."""
    return local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
