"""The ledger entries of a disclosure request: one typed payload per kind, and their keys.

Dates are the office's calendar dates (no time of day), written as ISO text. Every payload
names its request, so a request's history is the entries whose payload carries its id.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Self, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind
from pubreview import ledger


@dataclass(frozen=True)
class Payload:
    """Base of every request entry's payload: to and from the ledger's JSON."""

    kind: ClassVar[LedgerKind]
    key_format: ClassVar[str]  # the dedupe key, filled in from the payload's fields

    @classmethod
    def key(cls, **fields: object) -> str:
        """The dedupe key of this step for these field values (to find whether it was done)."""
        return cls.key_format.format(**fields)

    def dedupe_key(self) -> str:
        """The key that makes recording this step a second time a no-op."""
        return self.key(**{f.name: getattr(self, f.name) for f in dataclasses.fields(self)})

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger (dates as ISO text)."""
        return {
            f.name: (v.isoformat() if isinstance(v := getattr(self, f.name), date) else v)
            for f in dataclasses.fields(self)
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        """Read an entry's payload back (fields added later default to None)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            value = payload.get(f.name)
            if value is not None and "date" in str(f.type):
                value = date.fromisoformat(value)
            values[f.name] = value
        return cls(**values)


@dataclass(frozen=True)
class Received(Payload):
    """登记: how and when the request arrived, and the date it counts as received."""

    kind: ClassVar[LedgerKind] = LedgerKind.REQUEST_RECEIVED
    key_format: ClassVar[str] = "request:{request_id}:received"
    request_id: int
    channel: str
    applicant_type: str
    arrived_on: date
    received_on: date
    basis: str  # which rule of 第三十一条 gave received_on
    due_on: date
    personal_digest: str  # SHA-256 of name, contact and content (kept only in the table)
    # The attachments, in order: {"sha256", "size", "name_digest"} each. A file name can name
    # the applicant (张三身份证.jpg), so the ledger holds its fingerprint, not the name.
    attachments: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class CorrectionAsked(Payload):
    """补正告知: what the applicant is asked to correct, and by when."""

    kind: ClassVar[LedgerKind] = LedgerKind.REQUEST_CORRECTION
    key_format: ClassVar[str] = "request:{request_id}:correction"
    request_id: int
    asked_on: date
    correction_due_on: date
    what: str
    late_reason: str | None = None  # asked after the 7 working days: why


@dataclass(frozen=True)
class Corrected(Payload):
    """The correction arrived: the 20 working days count again from this day."""

    kind: ClassVar[LedgerKind] = LedgerKind.REQUEST_CORRECTED
    key_format: ClassVar[str] = "request:{request_id}:corrected"
    request_id: int
    corrected_on: date
    due_on: date
    late: bool = False  # arrived after the period the office set


@dataclass(frozen=True)
class Consulted(Payload):
    """征求第三方意见 sent."""

    kind: ClassVar[LedgerKind] = LedgerKind.REQUEST_CONSULTED
    key_format: ClassVar[str] = "request:{request_id}:consulted:{consultation_id}"
    request_id: int
    consultation_id: int
    sent_on: date
    reply_due_on: date
    third_party_digest: str  # the third party may be a private person: fingerprint only


@dataclass(frozen=True)
class ConsultAnswered(Payload):
    """The third party answered (or its period ended): the days spent are left out."""

    kind: ClassVar[LedgerKind] = LedgerKind.REQUEST_CONSULT_ANSWERED
    key_format: ClassVar[str] = "request:{request_id}:consult_answered:{consultation_id}"
    request_id: int
    consultation_id: int
    answered_on: date
    excluded_days: int
    due_on: date
    agreed: bool | None = None  # None: no answer within the period


@dataclass(frozen=True)
class Extended(Payload):
    """延期答复: approved by the head, the applicant told in writing."""

    kind: ClassVar[LedgerKind] = LedgerKind.REQUEST_EXTENDED
    key_format: ClassVar[str] = "request:{request_id}:extended"
    request_id: int
    days: int
    approved_by: str
    notified_on: date
    reason: str
    due_on: date


@dataclass(frozen=True)
class ReplyStep(Payload):
    """One step of the reply's approval: 承办 drafts, then each step of its chain decides.

    The parts added with configurable reply chains (代签, 会签, the chain, the signing day) are
    written only when present, so an entry of the built-in chain reads as it always did and
    older entries read back with them None.
    """

    kind: ClassVar[LedgerKind] = LedgerKind.REQUEST_REPLY_STEP
    key_format: ClassVar[str] = "request:{request_id}:reply:{round}:{step}"
    request_id: int
    round: int  # a returned draft starts a new round
    step: str  # draft, or the id of a step of the round's chain (review / sign built in)
    approved: bool
    outcome: str | None = None  # the Table 三 row the draft proposes (承办 only)
    legal_basis: str | None = None
    fee_yuan: str | None = None
    letter_sha256: str | None = None  # 签发: the 答复告知书 signed, exactly as it will be sent
    acting_for: str | None = None  # 代签: the username signed for
    countersign: dict[str, Any] | None = None  # 会签: as review's CountersignVote records it
    member: str | None = None  # 会签: whom the vote counts for (one vote per member)
    chain: dict[str, Any] | None = None  # 承办: the chain the draft goes through (Chain.to_dict)
    signed_on: date | None = None  # 签发: the day it was signed

    _OPTIONAL: ClassVar[tuple[str, ...]] = (
        "acting_for",
        "countersign",
        "member",
        "chain",
        "signed_on",
    )

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger; the later parts only when present."""
        payload = super().to_payload()
        return {k: v for k, v in payload.items() if k not in self._OPTIONAL or v is not None}

    def dedupe_key(self) -> str:
        """Once per step of a round; in a 会签, once per member."""
        key = super().dedupe_key()
        return f"{key}:{self.member}" if self.member else key


@dataclass(frozen=True)
class Closed(Payload):
    """The outcome: exactly one Table 三 row, the reply (or closing) date."""

    kind: ClassVar[LedgerKind] = LedgerKind.REQUEST_CLOSED
    key_format: ClassVar[str] = "request:{request_id}:closed"
    request_id: int
    outcome: str
    closed_on: date
    due_on: date | None
    overdue: bool
    legal_basis: str | None = None
    fee_yuan: str | None = None
    reply_round: int | None = None  # the approved draft it sends; None: closed without reply


@dataclass(frozen=True)
class CaseFiled(Payload):
    """A 行政复议 or 行政诉讼 brought over a request."""

    kind: ClassVar[LedgerKind] = LedgerKind.CASE_FILED
    key_format: ClassVar[str] = "case:{case_id}:filed"
    case_id: int
    request_id: int | None
    case_kind: str
    filed_on: date


@dataclass(frozen=True)
class CaseDecided(Payload):
    """A case's result."""

    kind: ClassVar[LedgerKind] = LedgerKind.CASE_DECIDED
    key_format: ClassVar[str] = "case:{case_id}:decided"
    case_id: int
    result: str
    decided_on: date


def digest(*parts: str | None) -> str:
    """SHA-256 over personal data, so the ledger can vouch for it without holding it."""
    text = "\x1f".join(p or "" for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()


def record(
    session: Session,
    payload: Payload,
    *,
    actor: str,
    stage: str | None = None,
    outcome: str | None = None,
    comment: str | None = None,
) -> LedgerEntry:
    """Append one request entry in the caller's transaction, under the payload's dedupe key."""
    return ledger.append(
        session,
        kind=payload.kind,
        actor=actor,
        stage=stage,
        outcome=outcome,
        comment=comment,
        payload=payload.to_payload(),
        dedupe_key=payload.dedupe_key(),
    )


REQUEST_KINDS = (
    LedgerKind.REQUEST_RECEIVED,
    LedgerKind.REQUEST_CORRECTION,
    LedgerKind.REQUEST_CORRECTED,
    LedgerKind.REQUEST_CONSULTED,
    LedgerKind.REQUEST_CONSULT_ANSWERED,
    LedgerKind.REQUEST_EXTENDED,
    LedgerKind.REQUEST_REPLY_STEP,
    LedgerKind.REQUEST_CLOSED,
)


def history(session: Session, request_id: int) -> list[LedgerEntry]:
    """Every ledger entry of one request, oldest first."""
    request_key = ledger.payload_field(Received, "request_id").as_integer()  # every kind has it
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.kind.in_([*REQUEST_KINDS, LedgerKind.CASE_FILED]))
            .where(request_key == request_id)
            .order_by(LedgerEntry.id)
        )
    )


def of_kind(session: Session, payload_type: type[Payload]) -> list[tuple[LedgerEntry, Any]]:
    """Every entry of one kind with its payload read back, oldest first."""
    rows = session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == payload_type.kind).order_by(LedgerEntry.id)
    )
    return [(e, payload_type.from_payload(e.payload)) for e in rows]


def find(session: Session, dedupe_key: str) -> LedgerEntry | None:
    """The entry of a once-only step, if it was done."""
    return ledger.find_by_key(session, dedupe_key)


P = TypeVar("P", bound=Payload)

PAYLOAD_TYPES: dict[LedgerKind, type[Payload]] = {
    t.kind: t
    for t in (
        Received,
        CorrectionAsked,
        Corrected,
        Consulted,
        ConsultAnswered,
        Extended,
        ReplyStep,
        Closed,
        CaseFiled,
        CaseDecided,
    )
}


def read(entry: LedgerEntry) -> Payload | None:
    """An entry's payload as its kind's class; None for an entry that is not a request's."""
    payload_type = PAYLOAD_TYPES.get(LedgerKind(entry.kind))
    return payload_type.from_payload(entry.payload) if payload_type else None


def done(session: Session, payload_type: type[P], **fields: object) -> P | None:
    """The payload of a once-only step (found by its key's fields), if it was done."""
    found = find(session, payload_type.key(**fields))
    return payload_type.from_payload(found.payload) if found else None
