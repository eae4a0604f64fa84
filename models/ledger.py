"""The 发布台帐: an append-only, hash-chained record of everything that happened."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
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
    DELEGATED = "delegated"  # 代签: a person's roles (or one) delegated to another for a period
    DELEGATION_ENDED = "delegation_ended"  # a delegation revoked before its end
    REASSIGNED = "reassigned"  # an administrator gave a waiting step to one eligible person
    HELD = "held"  # kept off the site: its stored content no longer matches what was approved
    # 依申请公开: one entry per step of a disclosure request (payload names the request).
    REQUEST_RECEIVED = "request_received"  # 登记: channel, applicant type, counted receipt date
    REQUEST_CORRECTION = "request_correction"  # 补正告知 sent to the applicant
    REQUEST_CORRECTED = "request_corrected"  # the correction arrived: the clock restarts
    REQUEST_CONSULTED = "request_consulted"  # 征求第三方意见 sent
    REQUEST_CONSULT_ANSWERED = "request_consult_answered"  # the third party answered
    REQUEST_EXTENDED = "request_extended"  # 延期答复, approved by the head
    REQUEST_REPLY_STEP = "request_reply_step"  # the reply's 承办 / 审核 / 签发
    REQUEST_CLOSED = "request_closed"  # the outcome: one Table 三 row, the reply date
    CASE_FILED = "case_filed"  # a 行政复议 or 行政诉讼 over a request
    CASE_DECIDED = "case_decided"  # its result (Table 四)
    REQUESTS_YEAR_CLOSED = "requests_year_closed"  # 年度结转: every request answered or carried


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
    # jsonb on PostgreSQL (migration 0008): the roll-up reads fields without parsing text again.
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=dict
    )
    dedupe_key: Mapped[str | None] = mapped_column(
        String(255), unique=True, comment="makes a repeated step a no-op (one decision per stage)"
    )
    prev_hash: Mapped[str] = mapped_column(
        String(64),
        unique=True,
        comment="hash of the previous entry; unique so the chain cannot fork",
    )
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ItemSummary(Base):
    """One item's roll-up facts, kept with the entries they come from (a cache of the ledger).

    Written in the same transaction as the item's `published` and `adopted` entries, so the
    annual roll-up reads one row per item of the year instead of scanning the ledger;
    `ledger verify` rebuilds every row from the entries and names any that differ.
    """

    __tablename__ = "item_summaries"
    __table_args__ = (Index("ix_item_summaries_year", "year"),)

    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id"), primary_key=True, autoincrement=False
    )
    # The earliest `published_at` of its published entries (ISO 8601, office time), and its
    # first four characters: the item's report year.
    first_published_at: Mapped[str | None] = mapped_column(Text)
    year: Mapped[str | None] = mapped_column(String(4))
    # The distinct channels it went out on: a JSON array, sorted (canonical JSON).
    channels: Mapped[str] = mapped_column(Text, default="[]")
    with_url: Mapped[bool] = mapped_column(default=False, comment="a URL on at least one channel")
    adopted_central: Mapped[int] = mapped_column(Integer, default=0)
    adopted_provincial: Mapped[int] = mapped_column(Integer, default=0)
