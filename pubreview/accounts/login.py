"""Checking a login: password, lock-out after repeated failures, disabled accounts, TOTP.

`authenticate` never raises for a refused login: the failure counter and the audit record it
writes must be committed, so it returns the outcome and the caller answers after the commit.
Argon2 takes a good part of a second on purpose; the web checks the password with `check`
before its write transaction (which on SQLite holds the one write lock) and hands the result in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Account, Person
from models.base import as_utc, utcnow
from pubreview import settings
from pubreview.accounts import audit, passwords, sessions
from pubreview.accounts.audit import AccessEvent

WRONG = "用户名或密码不正确"


@dataclass(frozen=True)
class LoginOutcome:
    """What a login attempt came to: a person and the session stage, or a refusal."""

    person: Person | None
    refusal: str | None = None
    stage: str = sessions.ACTIVE  # what the new session still needs: a code, an enrolment

    @property
    def ok(self) -> bool:
        """Whether the password was accepted."""
        return self.refusal is None


def _locked_message(until: datetime) -> str:
    local = as_utc(until).astimezone(settings.office_timezone()).strftime("%H:%M")
    return f"连续输错次数过多，账户已锁定，请于 {local} 以后再试，或请管理员重置密码"


def is_locked(account: Account, now: datetime | None = None) -> bool:
    """Whether the account is inside a lock-out period."""
    return account.locked_until is not None and as_utc(account.locked_until) > (now or utcnow())


def count_failure(
    session: Session, person: Person, account: Account, *, ip: str | None, reason: str
) -> str:
    """One more wrong password or code: audit it, lock at the limit; the message to show."""
    config = settings.load()
    account.failed_logins = (account.failed_logins or 0) + 1
    audit.record(
        session,
        AccessEvent.LOGIN_FAILED,
        actor=person.username,
        username=person.username,
        ip=ip,
        reason=reason,
        failures=account.failed_logins,
    )
    if account.failed_logins >= config.login_max_failures:
        account.locked_until = utcnow() + timedelta(seconds=config.login_lockout_s)
        account.failed_logins = 0
        audit.record(
            session,
            AccessEvent.LOCKED_OUT,
            actor=person.username,
            username=person.username,
            ip=ip,
            until=as_utc(account.locked_until).isoformat(),
            lockout_s=config.login_lockout_s,
        )
        return _locked_message(account.locked_until)
    left = config.login_max_failures - account.failed_logins
    what = "验证码不正确" if reason == "totp" else WRONG
    return f"{what}（再错 {left} 次，账户将锁定 {config.login_lockout_s // 60} 分钟）"


@dataclass(frozen=True)
class Checked:
    """A password checked against the hash stored at the time (outside any write transaction)."""

    hashed: str | None
    ok: bool
    rehashed: str | None = None


def stored_hash(session: Session, username: str) -> str | None:
    """The password hash to check a login against; None for an unknown name or no password."""
    return session.scalar(
        select(Account.password_hash)
        .join(Person, Person.id == Account.person_id)
        .where(Person.username == username.strip())
    )


def check(password: str, hashed: str | None) -> Checked:
    """Verify a password against a stored hash (the same cost when there is none)."""
    ok, rehashed = passwords.verify_password(password, hashed)
    return Checked(hashed, ok, rehashed)


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    ip: str | None = None,
    checked: Checked | None = None,
) -> LoginOutcome:
    """Check a username and password; record the attempt in the access audit.

    `checked` is the result of `check` made beforehand; it is used when the stored hash is
    still the one it was made against, else the password is checked again here.
    """
    username = username.strip()
    person = session.scalars(select(Person).where(Person.username == username)).first()
    if person is None:
        if checked is None:
            passwords.verify_password(password, None)
        audit.record(
            session,
            AccessEvent.LOGIN_FAILED,
            actor=None,
            username=username,
            ip=ip,
            reason="unknown",
        )
        return LoginOutcome(None, WRONG)
    account = passwords.account_of(session, person)
    if is_locked(account):
        # No password check while locked: the lock must not become a slower guessing oracle.
        audit.record(
            session,
            AccessEvent.LOGIN_REFUSED,
            actor=username,
            username=username,
            ip=ip,
            reason="locked",
        )
        return LoginOutcome(None, _locked_message(account.locked_until))
    if not account.password_hash:
        if checked is None:
            passwords.verify_password(password, None)
        audit.record(
            session,
            AccessEvent.LOGIN_REFUSED,
            actor=username,
            username=username,
            ip=ip,
            reason="no_password",
        )
        return LoginOutcome(None, "该账户尚未设置密码：请向管理员索取设置密码的链接")
    if checked is None or checked.hashed != account.password_hash:
        checked = check(password, account.password_hash)
    ok, rehashed = checked.ok, checked.rehashed
    if not ok:
        return LoginOutcome(None, count_failure(session, person, account, ip=ip, reason="password"))
    if account.disabled:
        audit.record(
            session,
            AccessEvent.LOGIN_REFUSED,
            actor=username,
            username=username,
            ip=ip,
            reason="disabled",
        )
        return LoginOutcome(None, "该账户已停用，如有疑问请联系管理员")
    if rehashed:
        account.password_hash = rehashed
    account.failed_logins = 0
    account.locked_until = None
    if account.totp_secret:
        return LoginOutcome(person, stage=sessions.AWAITING_CODE)
    if account.totp_required:
        return LoginOutcome(person, stage=sessions.MUST_ENROL)
    return LoginOutcome(person)


def record_login(
    session: Session, person: Person, *, ip: str | None, second_factor: bool = False
) -> None:
    """The session is fully open: note the time and audit the login."""
    account = passwords.account_of(session, person)
    account.last_login_at = utcnow()
    audit.record(
        session,
        AccessEvent.LOGIN,
        actor=person.username,
        username=person.username,
        ip=ip,
        second_factor=second_factor,
    )
