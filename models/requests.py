"""依申请公开: disclosure requests, their third-party consultations and 复议/诉讼 cases.

Every row here is a cache beside the ledger entries that justify it, written in the same
transaction (`pubreview.requests`). The one exception is the applicant's name and contact and
the content asked for: personal data lives only in `disclosure_requests`, and the ledger
carries its SHA-256 fingerprint, so the hash chain still detects an edit without the ledger
(which is never erased) holding anyone's name.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamp, enum_by_value, utcnow


class RequestChannel(enum.StrEnum):
    """How a request arrived; decides its counted receipt date (条例 第三十一条)."""

    IN_PERSON = "当面"  # the day it is handed in
    MAIL = "邮寄"  # signed for: the day the office signs
    PLAIN_MAIL = "平邮"  # no signature: the day confirmed with the applicant
    ONLINE = "网上"  # the day confirmed with the applicant
    FAX = "传真"  # the day confirmed with the applicant
    EMAIL = "电邮"  # treated as 网上 (the day confirmed with the applicant)


class ApplicantType(enum.StrEnum):
    """The six applicant columns of Table 三."""

    PERSON = "自然人"
    BUSINESS = "商业企业"
    RESEARCH = "科研机构"
    PUBLIC_INTEREST = "社会公益组织"
    LEGAL_SERVICE = "法律服务机构"
    OTHER = "其他"


class RequestStatus(enum.StrEnum):
    """Where a request stands."""

    OPEN = "open"  # 办理中: the clock runs
    CORRECTION = "correction"  # 待补正: asked the applicant to correct; the clock waits
    CONSULTING = "consulting"  # 征求第三方意见中: the days do not count
    CLOSED = "closed"  # 已办结: an outcome (a Table 三 row) is recorded


class CaseKind(enum.StrEnum):
    """A 行政复议 or 行政诉讼 about a request (the three groups of Table 四)."""

    REVIEW = "行政复议"
    DIRECT_SUIT = "未经复议直接起诉"
    SUIT_AFTER_REVIEW = "复议后起诉"


class CaseResult(enum.StrEnum):
    """How a case ended (尚未审结 until a result is recorded)."""

    UPHELD = "结果维持"
    CORRECTED = "结果纠正"
    OTHER = "其他结果"


class DisclosureRequest(Base):
    """One 政府信息公开申请, from receipt to its outcome."""

    __tablename__ = "disclosure_requests"
    __table_args__ = (
        Index("ix_disclosure_requests_status", "status", "due_on"),
        Index("ix_disclosure_requests_received", "received_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[RequestChannel] = mapped_column(
        enum_by_value(RequestChannel, "request_channel")
    )
    applicant_type: Mapped[ApplicantType] = mapped_column(
        enum_by_value(ApplicantType, "applicant_type"), comment="Table 三 column"
    )
    applicant_name: Mapped[str | None] = mapped_column(
        String(200), comment="personal data: shown to request handlers only, never reported"
    )
    applicant_contact: Mapped[str | None] = mapped_column(
        String(200), comment="personal data: phone, address or e-mail of the applicant"
    )
    content: Mapped[str] = mapped_column(Text, comment="the information asked for")
    arrived_on: Mapped[date] = mapped_column(Date, comment="the day it reached the office")
    received_on: Mapped[date] = mapped_column(
        Date, comment="the counted receipt date (第三十一条): signed for, handed in or confirmed"
    )
    status: Mapped[RequestStatus] = mapped_column(enum_by_value(RequestStatus, "request_status"))
    clock_from: Mapped[date] = mapped_column(
        Date, comment="the day the 20 working days count from: receipt, or the corrected request"
    )
    due_on: Mapped[date | None] = mapped_column(
        Date, comment="the current deadline; NULL while the clock waits (补正, 征求意见)"
    )
    correction_due_on: Mapped[date | None] = mapped_column(
        Date, comment="the day the applicant must send the correction by"
    )
    extension_days: Mapped[int] = mapped_column(Integer, default=0, comment="延期 working days")
    excluded_days: Mapped[int] = mapped_column(
        Integer, default=0, comment="working days spent on third-party consultation (不计入)"
    )
    outcome: Mapped[str | None] = mapped_column(String(16), comment="Table 三 row key")
    closed_on: Mapped[date | None] = mapped_column(Date, comment="the reply (or closing) date")
    legal_basis: Mapped[str | None] = mapped_column(Text, comment="the article the reply cites")
    fee_yuan: Mapped[Decimal | None] = mapped_column(
        Numeric(12, 2), comment="信息处理费 charged, in 元"
    )
    registered_by: Mapped[str] = mapped_column(String(64), comment="username")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class RequestConsultation(Base):
    """A 征求第三方意见 on a request: its days are left out of the deadline."""

    __tablename__ = "request_consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    third_party: Mapped[str] = mapped_column(String(200), comment="whom the office asked")
    sent_on: Mapped[date] = mapped_column(Date)
    reply_due_on: Mapped[date] = mapped_column(Date, comment="15 working days after sending")
    answered_on: Mapped[date | None] = mapped_column(
        Date, comment="the third party's answer, or the end of its period without one"
    )
    opinion: Mapped[str | None] = mapped_column(Text)


class DisclosureCase(Base):
    """A 行政复议 or 行政诉讼 brought over a request (Table 四)."""

    __tablename__ = "disclosure_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    kind: Mapped[CaseKind] = mapped_column(enum_by_value(CaseKind, "case_kind"))
    filed_on: Mapped[date] = mapped_column(Date)
    result: Mapped[CaseResult | None] = mapped_column(
        enum_by_value(CaseResult, "case_result"), comment="NULL: 尚未审结"
    )
    decided_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text, comment="the body that decides, case number")


class RequestFileKind(enum.StrEnum):
    """What a file kept with a request is."""

    RECEIPT = "receipt"  # 登记: an attachment of the request (personal data)
    REPLY = "reply"  # the 答复告知书 exactly as it was signed (签发)


class RequestFile(Base):
    """A file kept with a request; the ledger entry that brought it carries its SHA-256.

    Receipt attachments (the letter scanned, the applicant's ID copy, the online form's files)
    are personal data, like the applicant's name: only request handlers see or download them.
    """

    __tablename__ = "request_files"
    __table_args__ = (UniqueConstraint("request_id", "kind", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_requests.id"), index=True)
    kind: Mapped[RequestFileKind] = mapped_column(enum_by_value(RequestFileKind, "request_file"))
    number: Mapped[int] = mapped_column(
        Integer, comment="receipt: the file's place in the 登记 entry (1, 2, …); reply: the round"
    )
    filename: Mapped[str] = mapped_column(String(255), comment="personal data for receipt files")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
