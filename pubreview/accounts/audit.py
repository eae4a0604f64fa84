"""The access audit (等保): logins, lock-outs, logouts, password, role and account changes.

Each event is an entry of kind "access" in the hash-chained ledger, so it is append-only
(the ledger's triggers refuse UPDATE and DELETE), `ledger verify` covers it and nothing ever
deletes it (kept far beyond the 180 days the baseline asks for).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Person
from models.base import as_utc
from pubreview import ledger

# The ledger's actor column is 64 characters; a typed username may be anything.
_ACTOR_MAX = 64


class AccessEvent(enum.StrEnum):
    """What happened, stored as the ledger entry's outcome."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"  # wrong password or code, unknown username
    LOGIN_REFUSED = "login_refused"  # right or wrong, but locked, disabled or without password
    LOCKED_OUT = "locked_out"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # by the person themself
    PASSWORD_SET = "password_set"  # by an administrator, the one-time link or the sample data
    PASSWORD_LINK = "password_link"  # a one-time set-password link was issued
    ROLE_CHANGED = "role_changed"
    ACCOUNT_DISABLED = "account_disabled"
    ACCOUNT_ENABLED = "account_enabled"
    UNLOCKED = "unlocked"  # an administrator ended a lock-out early
    TOTP_ENROLLED = "totp_enrolled"
    TOTP_REQUIRED = "totp_required"  # the administrator turned the requirement on or off
    TOTP_RESET = "totp_reset"
    # The administrator changed a screening list (the leader list, the office's 错敏 words).
    LIST_CHANGED = "list_changed"


EVENT_LABEL: dict[AccessEvent, str] = {
    AccessEvent.LOGIN: "登录成功",
    AccessEvent.LOGIN_FAILED: "登录失败",
    AccessEvent.LOGIN_REFUSED: "拒绝登录",
    AccessEvent.LOCKED_OUT: "账户锁定",
    AccessEvent.LOGOUT: "退出登录",
    AccessEvent.PASSWORD_CHANGED: "修改密码",
    AccessEvent.PASSWORD_SET: "设置/重置密码",
    AccessEvent.PASSWORD_LINK: "发出设置密码链接",
    AccessEvent.ROLE_CHANGED: "角色变更",
    AccessEvent.ACCOUNT_DISABLED: "停用账户",
    AccessEvent.ACCOUNT_ENABLED: "启用账户",
    AccessEvent.UNLOCKED: "解除锁定",
    AccessEvent.TOTP_ENROLLED: "启用动态验证码",
    AccessEvent.TOTP_REQUIRED: "要求动态验证码",
    AccessEvent.TOTP_RESET: "清除动态验证码",
    AccessEvent.LIST_CHANGED: "修改筛查名单",
}


@dataclass(frozen=True)
class AccessPayload:
    """The payload of an access entry: whom it concerns, from where, by what path."""

    username: str | None  # the account concerned (as typed, for an unknown name)
    ip: str | None = None
    via: str = "web"  # web, cli, link, sample
    detail: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """Plain JSON for the ledger."""
        return {"username": self.username, "ip": self.ip, "via": self.via, "detail": self.detail}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> AccessPayload:
        """Read back what to_payload wrote."""
        return cls(
            username=payload.get("username"),
            ip=payload.get("ip"),
            via=payload.get("via", "web"),
            detail=dict(payload.get("detail") or {}),
        )


@dataclass(frozen=True)
class AuditRecord:
    """One access event as the administrator reads it; `at` is UTC."""

    entry_id: int
    at: datetime
    event: AccessEvent
    label: str
    actor: str | None  # who did it (the person, an administrator, the operator)
    username: str | None  # whom it concerns
    ip: str | None
    via: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for --json (time as ISO 8601 UTC)."""
        return {
            "entry_id": self.entry_id,
            "at": self.at.isoformat(),
            "event": self.event.value,
            "label": self.label,
            "actor": self.actor,
            "username": self.username,
            "ip": self.ip,
            "via": self.via,
            "detail": self.detail,
        }


def record(
    session: Session,
    event: AccessEvent,
    *,
    actor: str | None,
    username: str | None,
    ip: str | None = None,
    via: str = "web",
    **detail: Any,
) -> LedgerEntry:
    """Append one access event to the ledger inside the caller's transaction."""
    payload = AccessPayload(
        username=username[:_ACTOR_MAX] if username else username,
        ip=ip,
        via=via,
        detail=detail,
    )
    return ledger.append(
        session,
        kind=LedgerKind.ACCESS,
        actor=actor[:_ACTOR_MAX] if actor else actor,
        outcome=event.value,
        payload=payload.to_payload(),
    )


def record_about(
    session: Session,
    event: AccessEvent,
    person: Person,
    *,
    actor: str,
    ip: str | None = None,
    via: str = "web",
    **detail: Any,
) -> LedgerEntry:
    """Append an event that concerns a known person's account (a change made to it)."""
    return record(session, event, actor=actor, username=person.username, ip=ip, via=via, **detail)


def _record_of(entry: LedgerEntry) -> AuditRecord:
    payload = AccessPayload.from_payload(entry.payload or {})
    event = AccessEvent(entry.outcome)
    return AuditRecord(
        entry_id=entry.id,
        at=as_utc(entry.created_at),
        event=event,
        label=EVENT_LABEL[event],
        actor=entry.actor,
        username=payload.username,
        ip=payload.ip,
        via=payload.via,
        detail=payload.detail,
    )


def entries(
    session: Session,
    *,
    since: datetime | None = None,
    limit: int = 500,
    username: str | None = None,
) -> list[AuditRecord]:
    """Access events, newest first; `since` (UTC) and `username` (done by or to) narrow them."""
    query = select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.ACCESS)
    if since is not None:
        query = query.where(LedgerEntry.created_at >= as_utc(since))
    if username is not None:
        query = query.where(
            or_(
                LedgerEntry.actor == username,
                LedgerEntry.payload["username"].as_string() == username,
            )
        )
    rows = session.scalars(query.order_by(LedgerEntry.id.desc()).limit(limit))
    return [_record_of(e) for e in rows]
