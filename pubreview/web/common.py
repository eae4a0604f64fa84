"""What every page of the web app shares: headers, the ledger transactions, page and message.

Each role's routes live in their own module (review, auth, clerk, center, admin) and answer
through `page` and `message`, so every answer carries the same security headers and no page
ever shows a traceback.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.responses import HTMLResponse
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
# pubreview.db). Threads of this process queue for it on a Python lock, woken in turn, rather
# than in SQLite's busy handler, which sleeps and retries: that made the slowest pages many
# times slower. Pages that only read use `snapshot()` and queue for nothing.
_sqlite_turn = threading.Lock()


@contextmanager
def transaction() -> Iterator[Session]:
    """db.transaction(), one at a time per process when the ledger is SQLite."""
    if settings.load().database_url.startswith("sqlite"):
        with _sqlite_turn, db.transaction() as session:
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
