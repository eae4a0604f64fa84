"""Server-side sessions: only a hash stored, idle and absolute expiry, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from models import LoginSession
from models.base import utcnow
from pubreview import db
from pubreview.accounts import org, sessions


def test_only_the_hash_is_stored(engine: Engine) -> None:
    with db.transaction(engine) as session:
        started = sessions.start(session, org.person(session, "li.na").id)
        stored = session.scalars(select(LoginSession.token_hash)).all()
    assert started.session_id not in stored and sessions.token_hash(started.session_id) in stored


@pytest.mark.parametrize(
    ("created", "seen", "reason"),
    [
        (timedelta(minutes=40), timedelta(minutes=29), None),
        (timedelta(minutes=40), timedelta(minutes=31), "idle"),
        (timedelta(hours=12, seconds=5), timedelta(seconds=1), "max"),
    ],
)
def test_idle_and_absolute_limits(
    engine: Engine, created: timedelta, seen: timedelta, reason: str | None
) -> None:
    with db.transaction(engine) as session:
        started = sessions.start(session, org.person(session, "li.na").id)
        started.row.created_at = utcnow() - created
        started.row.last_seen_at = utcnow() - seen
    with db.transaction(engine) as session:
        row, why = sessions.find(session, started.session_id)
    assert why == reason and (row is None) == (reason is not None)
    if reason:  # the expired session is ended for good
        with db.transaction(engine) as session:
            assert sessions.find(session, started.session_id) == (None, "revoked")


def test_limits_follow_the_settings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBREVIEW_SESSION_IDLE_S", "60")
    with db.transaction(engine) as session:
        started = sessions.start(session, org.person(session, "li.na").id)
        started.row.last_seen_at = utcnow() - timedelta(seconds=61)
    with db.transaction(engine) as session:
        assert sessions.find(session, started.session_id) == (None, "idle")


def test_revoke_all_keeps_only_the_one_asked(engine: Engine) -> None:
    with db.transaction(engine) as session:
        person_id = org.person(session, "li.na").id
        a, b, c = (sessions.start(session, person_id) for _ in range(3))
        assert sessions.revoke_all(session, person_id, reason="password", keep=a.row.id) == 2
    with db.transaction(engine) as session:
        assert sessions.find(session, a.session_id)[0] is not None
        assert sessions.find(session, b.session_id) == (None, "revoked")
        assert sessions.find(session, "made-up") == (None, "none")
        assert sessions.find(session, None) == (None, "none")
