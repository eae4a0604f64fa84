"""What an administrator does to accounts: disable, enable, require a second factor, list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


# A change is (the event to record, what else to record) or None when there is nothing to do.
Change = tuple[AccessEvent, dict[str, Any]] | None


def _account_change(apply: Callable[..., Change]) -> Callable[..., bool]:
    """Make `apply(session, person, account, *args)` an administrator's action on an account.

    The action finds (or creates) the account, applies the change, and records it in the
    access audit with who did it, from where and how (`actor`, `ip`, `via`, any `detail`);
    it returns False, recording nothing, when `apply` finds nothing to change.
    """

    def change(
        session: Session,
        person: Person,
        *args: Any,
        actor: str,
        via: str = "web",
        ip: str | None = None,
        **detail: object,
    ) -> bool:
        done = apply(session, person, account_of(session, person), *args)
        if done is None:
            return False
        event, more = done
        audit.record_about(session, event, person, actor=actor, ip=ip, via=via, **more, **detail)
        return True

    change.__name__, change.__doc__ = apply.__name__, apply.__doc__
    return change


@_account_change
def set_disabled(session: Session, person: Person, account: Account, disabled: bool) -> Change:
    """Disable (every session ends at once) or enable an account; False if nothing changed."""
    if account.disabled == disabled:
        return None
    account.disabled = disabled
    if not disabled:
        account.failed_logins, account.locked_until = 0, None
        return AccessEvent.ACCOUNT_ENABLED, {"sessions_ended": 0}
    ended = sessions.revoke_all(session, person.id, reason="disabled")
    return AccessEvent.ACCOUNT_DISABLED, {"sessions_ended": ended}


@_account_change
def set_totp_required(session: Session, person: Person, account: Account, required: bool) -> Change:
    """Require (or stop requiring) a second factor at login; False if nothing changed."""
    if account.totp_required == required:
        return None
    account.totp_required = required
    return AccessEvent.TOTP_REQUIRED, {"required": required}


@_account_change
def reset_totp(session: Session, person: Person, account: Account) -> Change:
    """Forget an enrolled second factor (a lost phone); the person enrols again at next login."""
    if not account.totp_secret:
        return None
    account.totp_secret, account.totp_last_step = None, None
    sessions.revoke_all(session, person.id, reason="totp_reset")
    return AccessEvent.TOTP_RESET, {}


@_account_change
def unlock(session: Session, person: Person, account: Account) -> Change:
    """End a lock-out before its time (the administrator checked who was knocking)."""
    if not is_locked(account):
        return None
    account.locked_until, account.failed_logins = None, 0
    return AccessEvent.ACCOUNT_ENABLED, {"unlocked": True}
