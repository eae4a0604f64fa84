"""Accounts (a person's password, lock-out and second factor) and server-side login sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamp, utcnow


class Account(Base):
    """How one person signs in; a person without a row (or a password) cannot log in yet."""

    __tablename__ = "accounts"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str | None] = mapped_column(
        String(255), comment="Argon2 hash (PHC string); NULL until a password is set"
    )
    password_changed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    disabled: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="a disabled account cannot log in"
    )
    failed_logins: Mapped[int] = mapped_column(
        Integer, default=0, comment="wrong passwords since the last success or lock-out"
    )
    locked_until: Mapped[datetime | None] = mapped_column(
        Timestamp, comment="no login before this time (lock-out after repeated failures)"
    )
    totp_secret: Mapped[str | None] = mapped_column(
        String(200),
        comment="the TOTP secret once enrolled, sealed (AES-GCM, see pubreview.accounts.totp)",
    )
    totp_required: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="the administrator requires a second factor"
    )
    totp_last_step: Mapped[int | None] = mapped_column(
        Integer, comment="time step of the last accepted code, so a code works once"
    )
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp)


class LoginSession(Base):
    """One signed-in browser. The cookie holds a random id; only its SHA-256 is stored."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_person", "person_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(
        String(64), unique=True, comment="SHA-256 of the session id in the cookie"
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(
        String(64), comment="form token of this session; a POST must carry it"
    )
    stage: Mapped[str] = mapped_column(
        String(16),
        default="active",
        comment="active; totp (password checked, code awaited); enrol (must set up a code)",
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revoked_reason: Mapped[str | None] = mapped_column(
        String(32), comment="logout, rotated, expired, disabled, password"
    )
    ip: Mapped[str | None] = mapped_column(String(64), comment="client address at login")
