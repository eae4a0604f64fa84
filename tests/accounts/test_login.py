"""Login checks in the domain: lock-out, its period, disabled accounts, each one audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from models import Account
from models.base import utcnow
from pubreview import db, ledger
from pubreview.accounts import audit, login, manage, org, sessions
from tests.support.accounts import set_password

PASSWORD = "Demo-zw-2026"


def _attempt(engine: Engine, password: str, username: str = "zhang.wei") -> login.LoginOutcome:
    with db.transaction(engine) as session:
        return login.authenticate(session, username, password, ip="192.0.2.7")


@pytest.fixture
def account(engine: Engine) -> Engine:
    with db.transaction(engine) as session:
        set_password(session, "zhang.wei", PASSWORD)
    return engine


def test_five_failures_lock_for_the_configured_period(account: Engine) -> None:
    engine = account
    for _ in range(4):
        assert "再错" in _attempt(engine, "Wrong-pass-1").refusal
    assert "账户已锁定" in _attempt(engine, "Wrong-pass-1").refusal
    locked = _attempt(engine, PASSWORD)
    assert not locked.ok and "账户已锁定" in locked.refusal
    with db.transaction(engine) as session:
        acct = session.get(Account, org.person(session, "zhang.wei").id)
        remaining = acct.locked_until.replace(tzinfo=None) - utcnow().replace(tzinfo=None)
        assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
        acct.locked_until = utcnow() - timedelta(seconds=1)
    opened = _attempt(engine, PASSWORD)
    assert opened.ok and opened.stage == sessions.ACTIVE
    with db.transaction(engine) as session:
        records = [r for r in audit.entries(session) if r.username == "zhang.wei"]
        assert [r.event.value for r in records[:3]] == [
            "login_refused",
            "locked_out",
            "login_failed",
        ]
        assert records[0].detail["reason"] == "locked" and records[0].ip == "192.0.2.7"
        assert records[2].detail["failures"] == 5
        assert ledger.verify(session).ok


def test_a_success_resets_the_failure_count(account: Engine) -> None:
    for _ in range(4):
        _attempt(account, "Wrong-pass-1")
    assert _attempt(account, PASSWORD).ok
    for _ in range(4):
        assert "账户已锁定" not in _attempt(account, "Wrong-pass-1").refusal


def test_disabled_and_totp_stages(account: Engine) -> None:
    with db.transaction(account) as session:
        person = org.person(session, "zhang.wei")
        manage.set_disabled(session, person, True, actor="wu.gang")
    assert "已停用" in _attempt(account, PASSWORD).refusal
    assert "用户名或密码不正确" in _attempt(account, "Wrong-pass-1").refusal  # no hint
    with db.transaction(account) as session:
        person = org.person(session, "zhang.wei")
        manage.set_disabled(session, person, False, actor="wu.gang")
        manage.set_totp_required(session, person, True, actor="wu.gang")
    assert _attempt(account, PASSWORD).stage == sessions.MUST_ENROL
    with db.transaction(account) as session:
        session.get(Account, org.person(session, "zhang.wei").id).totp_secret = "JBSWY3DPEHPK3PXP"
    assert _attempt(account, PASSWORD).stage == sessions.AWAITING_CODE
