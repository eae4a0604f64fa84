"""Server-side login sessions: start, look up (with idle and absolute expiry), revoke.

The browser's cookie holds a random session id; the table stores only its SHA-256, so a copy
of the database does not let anyone sign in. Every login starts a new id (no fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import LoginSession
from models.base import as_utc, utcnow
from pubreview import settings

ACTIVE = "active"
AWAITING_CODE = "totp"  # password checked, the second factor not yet
MUST_ENROL = "enrol"  # password checked, but a second factor is required and not set up
# last_seen_at is written at most this often: a page view need not be a write.
_TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Started:
    """A new session: the id for the cookie (never stored) and its row."""

    session_id: str
    row: LoginSession


def token_hash(session_id: str) -> str:
    """What the table stores for a session id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(
    session: Session, person_id: int, *, stage: str = ACTIVE, ip: str | None = None
) -> Started:
    """Open a new session for the person with a fresh id and a fresh form token."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    row = LoginSession(
        token_hash=token_hash(session_id),
        person_id=person_id,
        csrf_token=secrets.token_hex(32),
        stage=stage,
        created_at=now,
        last_seen_at=now,
        ip=ip[:64] if ip else None,
    )
    session.add(row)
    session.flush()
    return Started(session_id, row)


def expiry_reason(row: LoginSession, now: datetime | None = None) -> str | None:
    """'idle' or 'max' when the session has run out, else None."""
    config = settings.load()
    now = now or utcnow()
    if now - as_utc(row.created_at) > timedelta(seconds=config.session_max_s):
        return "max"
    if now - as_utc(row.last_seen_at) > timedelta(seconds=config.session_idle_s):
        return "idle"
    return None


@dataclass(frozen=True)
class Looked:
    """What a cookie's session id came to, read without writing anything.

    `reason` is None for a live session, else 'none', 'revoked', 'idle' or 'max'; `touch`
    says its last-seen time is due to be written.
    """

    row: LoginSession | None
    reason: str | None
    touch: bool = False


def look_up(session: Session, session_id: str | None, now: datetime | None = None) -> Looked:
    """The session for a cookie value and whether it is live, for a read-only transaction."""
    if not session_id or len(session_id) > 128:
        return Looked(None, "none")
    row = session.scalars(
        select(LoginSession).where(LoginSession.token_hash == token_hash(session_id))
    ).first()
    if row is None:
        return Looked(None, "none")
    if row.revoked_at is not None:
        return Looked(row, "revoked")
    now = now or utcnow()
    reason = expiry_reason(row, now)
    if reason is not None:
        return Looked(row, reason)
    return Looked(row, None, touch=now - as_utc(row.last_seen_at) > _TOUCH_EVERY)


def find(session: Session, session_id: str | None) -> tuple[LoginSession | None, str | None]:
    """The live session for a cookie value and None, or None and why not.

    The reason is 'none' (no or unknown id), 'revoked', 'idle' or 'max'; an expired session
    is revoked on the spot so it can never come back.
    """
    now = utcnow()
    looked = look_up(session, session_id, now)
    if looked.reason in {"idle", "max"}:
        looked.row.revoked_at, looked.row.revoked_reason = now, f"expired_{looked.reason}"
    if looked.reason is not None:
        return None, looked.reason
    if looked.touch:
        looked.row.last_seen_at = now
    return looked.row, None


def settle(session: Session, row_id: int, reason: str | None) -> None:
    """After a read-only look-up: note the session as seen now, or end it for `reason`.

    One short UPDATE of the live row only, so a session revoked meanwhile stays revoked.
    """
    live = update(LoginSession).where(LoginSession.id == row_id, LoginSession.revoked_at.is_(None))
    if reason is None:
        session.execute(live.values(last_seen_at=utcnow()))
    else:
        session.execute(live.values(revoked_at=utcnow(), revoked_reason=reason))


def revoke(session: Session, row: LoginSession, reason: str) -> None:
    """End one session."""
    if row.revoked_at is None:
        row.revoked_at, row.revoked_reason = utcnow(), reason


def revoke_all(session: Session, person_id: int, *, reason: str, keep: int | None = None) -> int:
    """End every live session of a person (except `keep`); how many ended."""
    query = update(LoginSession).where(
        LoginSession.person_id == person_id, LoginSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    result = session.execute(
        query.values(revoked_at=utcnow(), revoked_reason=reason),
        execution_options={"synchronize_session": "fetch"},
    )
    return result.rowcount or 0


def promote(session: Session, row: LoginSession, *, ip: str | None = None) -> Started:
    """After the second factor: replace a half-open session with a fully active new one."""
    revoke(session, row, "rotated")
    return start(session, row.person_id, stage=ACTIVE, ip=ip)
