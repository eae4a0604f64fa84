"""What every page of the web app shares: headers, the ledger transactions, page and message.

Each role's routes live in their own module (review, auth, clerk, center, admin) and answer
through `page` and `message`, so every answer carries the same security headers and no page
ever shows a traceback.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.responses import HTMLResponse
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pubreview import db, settings
from pubreview.rendering import render

# Scripts are never needed; frames never allowed (a one-click button must not be clickjacked);
# the signed link in the address must not leak to a site the body links to.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' http: https:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
NOTHING_CHANGED = "本次访问未作任何更改。"

# Every SQLite write transaction takes the database's write lock (BEGIN IMMEDIATE, see
# pubreview.db). Writers of the web app queue for it on a lock of their own, woken in turn,
# rather than in SQLite's busy handler, which sleeps and retries (1, 2, 5 … 100 ms): that made
# the slowest pages many times slower. Threads of one process wait on a Python lock; the web
# processes of one database (`pubreview web --workers`) then on an flock of a file beside it.
# Pages that only read use `snapshot()` and queue for nothing.
_sqlite_turn = threading.Lock()
_turn_files: dict[tuple[int, str], int] = {}


def _turn_file(url: str) -> int | None:
    """This process's open lock file for a SQLite database file (None: in memory)."""
    path = make_url(url).database or ""
    if not path or path.startswith(":memory:") or path.startswith("file:"):
        return None
    key = (os.getpid(), path)
    if key not in _turn_files:
        _turn_files[key] = os.open(f"{path}.web-writer", os.O_RDWR | os.O_CREAT, 0o600)
    return _turn_files[key]


@contextmanager
def _sqlite_writer(url: str) -> Iterator[None]:
    """One web writer at a time on this SQLite database, across threads and web processes."""
    with _sqlite_turn:
        fd = _turn_file(url)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def transaction() -> Iterator[Session]:
    """db.transaction(), one web writer at a time when the ledger is SQLite."""
    url = settings.load().database_url
    if url.startswith("sqlite"):
        with _sqlite_writer(url), db.transaction() as session:
            yield session
    else:
        with db.transaction() as session:
            yield session


@contextmanager
def snapshot() -> Iterator[Session]:
    """db.snapshot(): a read-only transaction that waits for no writer (and no turn)."""
    with db.snapshot() as session:
        yield session


def page(template: str, status: int = 200, **context: object) -> HTMLResponse:
    """Render templates/web/<template> with the security headers."""
    context.setdefault("user", None)
    return HTMLResponse(render(f"web/{template}", **context), status, headers=SECURITY_HEADERS)


def message(
    status: int,
    heading: str,
    detail: str,
    *,
    links: list | None = None,
    user: object | None = None,
) -> HTMLResponse:
    """A page that says one thing: an error, a refusal, a confirmation."""
    return page(
        "message.html", status, heading=heading, detail=detail, links=links or [], user=user
    )
