"""The 发布台帐: an append-only, hash-chained record of everything that happened."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamp, utcnow

GENESIS_HASH = "0" * 64


class LedgerKind(enum.StrEnum):
    """What a ledger entry records."""

    SUBMITTED = "submitted"
    RESUBMITTED = "resubmitted"  # a new revision after a return
    SCREENED = "screened"  # automatic confidentiality pre-check
    STAGE_OPENED = "stage_opened"  # the review flow saw a stage open and waits on it
    DECIDED = "decided"  # approve / return / reject at a stage
    NOTIFIED = "notified"  # one delivery attempt to one service
    PUBLISHED = "published"  # one channel went out, with its URL
    RETRACTED = "retracted"
    ADOPTED = "adopted"  # picked up by central or provincial media
    IMPORTED = "imported"  # an item brought in from an older spreadsheet 台帐
    WITHDRAWN = "withdrawn"  # the submitter withdrew the item before a decision (撤销)
    ACCESS = "access"  # access audit: login, logout, lock-out, password, role, account changes


class LedgerEntry(Base):
    """One appended fact. Rows are never updated or deleted (triggers refuse it)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_publication", "publication_id", "id"),
        # The annual roll-up and status read entries of one kind (published, decided, …).
        Index("ix_ledger_entries_kind", "kind", "publication_id"),
    )

    # Assigned by the appender as last id + 1 (not autoincrement) so the sequence is part
    # of the hashed content and a reordering shows.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[LedgerKind] = mapped_column(String(32), comment="LedgerKind value")
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id"))
    revision: Mapped[int | None] = mapped_column(Integer, comment="revision number decided on")
    stage: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64), comment="username, or 'system'")
    outcome: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(
        String(255), unique=True, comment="makes a repeated step a no-op (one decision per stage)"
    )
    prev_hash: Mapped[str] = mapped_column(
        String(64),
        unique=True,
        comment="hash of the previous entry; unique so the chain cannot fork",
    )
    hash: Mapped[str] = mapped_column(String(64), unique=True)
