"""What an administrator does to accounts: disable, enable, require a second factor, list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Account, LoginSession, Person
from models.base import as_utc, utcnow
from pubreview.accounts import audit, sessions
from pubreview.accounts.audit import AccessEvent
from pubreview.accounts.login import is_locked
from pubreview.accounts.passwords import account_of


@dataclass(frozen=True)
class AccountView:
    """One person's account as the administrator sees it (times in UTC)."""

    username: str
    name: str
    has_password: bool
    disabled: bool
    locked_until: datetime | None
    totp_enrolled: bool
    totp_required: bool
    last_login_at: datetime | None
    live_sessions: int

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return {
            "username": self.username,
            "name": self.name,
            "has_password": self.has_password,
            "disabled": self.disabled,
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
            "totp_enrolled": self.totp_enrolled,
            "totp_required": self.totp_required,
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
            "live_sessions": self.live_sessions,
        }


def accounts(session: Session) -> list[AccountView]:
    """Every person with their account state, by username."""
    live = dict(
        session.execute(
            select(LoginSession.person_id, func.count())
            .where(LoginSession.revoked_at.is_(None), LoginSession.stage == sessions.ACTIVE)
            .group_by(LoginSession.person_id)
        ).all()
    )
    rows = session.execute(
        select(Person, Account)
        .outerjoin(Account, Account.person_id == Person.id)
        .order_by(Person.username)
    ).all()
    now = utcnow()
    found = []
    for person, account in rows:
        locked = account is not None and is_locked(account, now)
        found.append(
            AccountView(
                username=person.username,
                name=person.name,
                has_password=bool(account and account.password_hash),
                disabled=bool(account and account.disabled),
                locked_until=as_utc(account.locked_until) if locked else None,
                totp_enrolled=bool(account and account.totp_secret),
                totp_required=bool(account and account.totp_required),
                last_login_at=as_utc(account.last_login_at)
                if account and account.last_login_at
                else None,
                live_sessions=live.get(person.id, 0),
            )
        )
    return found


def set_disabled(
    session: Session,
    person: Person,
    disabled: bool,
    *,
    actor: str,
    via: str = "web",
    ip: str | None = None,
    **detail: object,
) -> bool:
    """Disable (every session ends at once) or enable an account; False if nothing changed."""
    account = account_of(session, person)
    if account.disabled == disabled:
        return False
    account.disabled = disabled
    ended = 0
    if disabled:
        ended = sessions.revoke_all(session, person.id, reason="disabled")
    else:
        account.failed_logins, account.locked_until = 0, None
    event = AccessEvent.ACCOUNT_DISABLED if disabled else AccessEvent.ACCOUNT_ENABLED
    audit.record_about(
        session, event, person, actor=actor, ip=ip, via=via, sessions_ended=ended, **detail
    )
    return True


def set_totp_required(
    session: Session,
    person: Person,
    required: bool,
    *,
    actor: str,
    via: str = "web",
    ip: str | None = None,
    **detail: object,
) -> bool:
    """Require (or stop requiring) a second factor at login; False if nothing changed."""
    account = account_of(session, person)
    if account.totp_required == required:
        return False
    account.totp_required = required
    audit.record_about(
        session,
        AccessEvent.TOTP_REQUIRED,
        person,
        actor=actor,
        ip=ip,
        via=via,
        required=required,
        **detail,
    )
    return True


def reset_totp(
    session: Session,
    person: Person,
    *,
    actor: str,
    via: str = "web",
    ip: str | None = None,
    **detail: object,
) -> bool:
    """Forget an enrolled second factor (a lost phone); the person enrols again at next login."""
    account = account_of(session, person)
    if not account.totp_secret:
        return False
    account.totp_secret, account.totp_last_step = None, None
    sessions.revoke_all(session, person.id, reason="totp_reset")
    audit.record_about(
        session, AccessEvent.TOTP_RESET, person, actor=actor, ip=ip, via=via, **detail
    )
    return True


def unlock(
    session: Session,
    person: Person,
    *,
    actor: str,
    via: str = "web",
    ip: str | None = None,
    **detail: object,
) -> bool:
    """End a lock-out before its time (the administrator checked who was knocking)."""
    account = account_of(session, person)
    if not is_locked(account):
        return False
    account.locked_until, account.failed_logins = None, 0
    audit.record_about(
        session, AccessEvent.ACCOUNT_ENABLED, person, actor=actor, ip=ip, via=via, unlocked=True
    )
    return True
