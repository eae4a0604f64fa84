"""The ledger entries review writes: one typed payload per kind, and their dedupe keys.

Submission (提交, 重新提交), its screening (保密预检), a stage opening, a decision (with its 会签
part and 代签 name), 改派, 撤销 and 代签 grants. A publication's id, revision, stage, actor,
outcome and comment are the entry's own columns, not part of the payload; the keys name them. A
payload's JSON is hashed into the chain, so `to_payload()` gives back exactly what
`from_payload()` read: a key the writer leaves out when it has nothing to say (`acting_for`,
`countersign`, `changed`) stays out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

COUNTERSIGN = "countersign"  # the key of a decision's 会签 part


@dataclass(frozen=True)
class Submitted:
    """提交 / 重新提交 (SUBMITTED, RESUBMITTED): the revision's content and attributes."""

    title: str
    category: str
    channels: list[str]
    unit: str  # the unit's code
    disclosure: str | None  # 公开属性 (a Disclosure value); None in entries older than it
    disclosure_reason: str | None
    fingerprint: str  # of title, body and attachments: what a sign-off is bound to
    attachments: list[dict[str, Any]]  # {filename, sha256, size}
    # The chain the item follows from this revision (always on a submission; on a resubmission
    # only when its changed attributes chose another), as Chain.to_dict() gives it.
    chain: dict[str, Any] | None = None
    # Only on a resubmission: what it changed, and the chain it replaced.
    changed: dict[str, Any] | None = None
    chain_replaced: dict[str, Any] | None = None
    grade: str | None = None  # 信息等级 (a Grade value); None in entries older than it
    # Whatever else the entry records, kept as it is (newer or older writers).
    details: dict[str, Any] = field(default_factory=dict)

    _FIELDS = ("title", "category", "channels", "unit", "disclosure", "disclosure_reason")
    _FIELDS += ("fingerprint", "attachments")
    _OPTIONAL = ("chain", "changed", "chain_replaced", "grade")

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger (optional parts only when present)."""
        payload = {name: getattr(self, name) for name in self._FIELDS if name != "disclosure"}
        if self.disclosure is not None:
            payload["disclosure"] = self.disclosure
        payload |= {n: getattr(self, n) for n in self._OPTIONAL if getattr(self, n) is not None}
        return payload | self.details

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Submitted:
        """Read a (re)submission entry's payload back."""
        known = {*cls._FIELDS, *cls._OPTIONAL}
        return cls(
            title=payload.get("title", ""),
            category=payload.get("category", ""),
            channels=list(payload.get("channels") or []),
            unit=payload.get("unit", ""),
            disclosure=payload.get("disclosure"),
            disclosure_reason=payload.get("disclosure_reason"),
            fingerprint=payload.get("fingerprint", ""),
            attachments=list(payload.get("attachments") or []),
            chain=payload.get("chain"),
            changed=payload.get("changed"),
            chain_replaced=payload.get("chain_replaced"),
            grade=payload.get("grade"),
            details={k: v for k, v in payload.items() if k not in known},
        )

    @property
    def grade_value(self) -> str:
        """The revision's grade; an entry older than grades was an ordinary (一般) item."""
        return self.grade or "ordinary"


@dataclass(frozen=True)
class ScreeningRecord:
    """SCREENED (保密预检): the automatic screen's result, as ScreeningResult.to_dict() gives it."""

    blocked: bool
    counts: dict[str, int]  # severity → how many findings
    findings: list[dict[str, Any]]  # Finding.to_dict() each
    not_screened: list[dict[str, str]]  # {location, reason}: what could not be looked into

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ScreeningRecord:
        """Read the entry's payload back."""
        return cls(
            bool(payload.get("blocked", False)),
            dict(payload.get("counts") or {}),
            list(payload.get("findings") or []),
            list(payload.get("not_screened") or []),
        )

    @property
    def blocking(self) -> int:
        """How many findings stop 初审 approval."""
        return sum(1 for f in self.findings if f.get("severity") == "block")  # findings.BLOCK


@dataclass(frozen=True)
class StageOpened:
    """STAGE_OPENED: the review run saw a step open and waits on it."""

    waiting_key: str

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> StageOpened:
        """Read the entry's payload back."""
        return cls(payload["waiting_key"])


@dataclass(frozen=True)
class CountersignVote:
    """会签: which round of the step a member's decision belongs to, and where the round stands."""

    round: int
    settles: str | None  # the step's outcome this decision settles; None: the round goes on
    approvals: int
    need: int
    members: list[str]

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the decision's payload."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> CountersignVote:
        """Read a decision's 会签 part back."""
        return cls(
            payload["round"],
            payload.get("settles"),
            payload["approvals"],
            payload["need"],
            list(payload["members"]),
        )


@dataclass(frozen=True)
class Decided:
    """DECIDED: one person's approve / return / reject at a step of a revision."""

    fingerprint: str  # of the revision decided on
    attest_no_secrets: bool | None  # 初审 only: no classified or private content
    via: str  # cli, web (a signed link) or web-session
    urls: dict[str, str | None]  # 中心发布 approval: channel → where it went (None: pending)
    screening_override: str | None  # 初审 only: why a blocking finding may be published
    publish_at: str | None  # 定时发布: office time, ISO 8601
    acting_for: str | None = None  # 代签: the username signed for
    countersign: CountersignVote | None = None  # 会签 steps only

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger (代签 and 会签 parts only when present)."""
        payload: dict[str, Any] = {
            "fingerprint": self.fingerprint,
            "attest_no_secrets": self.attest_no_secrets,
            "via": self.via,
            "urls": dict(self.urls),
            "screening_override": self.screening_override,
            "publish_at": self.publish_at,
        }
        if self.acting_for is not None:
            payload["acting_for"] = self.acting_for
        if self.countersign is not None:
            payload[COUNTERSIGN] = self.countersign.to_payload()
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Decided:
        """Read a decision entry's payload back."""
        part = payload.get(COUNTERSIGN)
        return cls(
            fingerprint=payload.get("fingerprint", ""),
            attest_no_secrets=payload.get("attest_no_secrets"),
            via=payload.get("via", ""),
            urls=dict(payload.get("urls") or {}),
            screening_override=payload.get("screening_override"),
            publish_at=payload.get("publish_at"),
            acting_for=payload.get("acting_for"),
            countersign=CountersignVote.from_payload(part) if isinstance(part, dict) else None,
        )

    @property
    def publish_time(self) -> datetime | None:
        """定时发布: when the item goes out, None for an immediate decision."""
        return datetime.fromisoformat(self.publish_at) if self.publish_at else None


@dataclass(frozen=True)
class Reassigned:
    """REASSIGNED (改派): the step given to one person; the reason is the entry's comment.

    At a 会签 step, `seat` is the member whose place in the current round `to` takes. A disclosure
    request's reply step (no publication) is named by the request and the draft's round.
    """

    to: str
    previous: str | None  # whom it had been reassigned to before, if anyone
    via: str | None = None  # cli or web-session (as a decision's via); None in older entries
    seat: str | None = None  # 会签 only: the member whose seat `to` takes
    request_id: int | None = None  # a reply step's request
    round: int | None = None  # and its draft round

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger (optional parts only when present, as older entries read)."""
        reply = (("request_id", self.request_id), ("round", self.round))
        payload: dict[str, Any] = {k: v for k, v in reply if v is not None}
        payload |= {"to": self.to, "previous": self.previous}
        payload |= {k: v for k, v in (("via", self.via), ("seat", self.seat)) if v is not None}
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Reassigned:
        """Read the entry's payload back."""
        return cls(
            payload["to"],
            payload.get("previous"),
            payload.get("via"),
            payload.get("seat"),
            payload.get("request_id"),
            payload.get("round"),
        )


@dataclass(frozen=True)
class Withdrawn:
    """WITHDRAWN (撤销): where the item stood when its submitter took it back."""

    status_before: str  # in_review or returned
    stage_before: str | None

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Withdrawn:
        """Read the entry's payload back."""
        return cls(payload["status_before"], payload.get("stage_before"))


@dataclass(frozen=True)
class Delegated:
    """DELEGATED (代签): a person's roles (or one) delegated to another for a period."""

    delegator: str
    delegate: str
    role: str | None  # a Role value; None: every role the delegator holds
    starts: str  # UTC, ISO 8601
    ends: str

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Delegated:
        """Read the entry's payload back."""
        return cls(
            payload["delegator"],
            payload["delegate"],
            payload.get("role"),
            payload["starts"],
            payload["ends"],
        )


@dataclass(frozen=True)
class DelegationEnded:
    """DELEGATION_ENDED: a delegation revoked before its end."""

    delegation: int  # the DELEGATED entry's id

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DelegationEnded:
        """Read the entry's payload back."""
        return cls(payload["delegation"])


def revision_key(publication_id: int, revision: int) -> str:
    """A revision is submitted once (the first by 提交, each later one by 重新提交)."""
    return f"revision:{publication_id}:{revision}"


def screened_key(publication_id: int, revision: int) -> str:
    """A revision is screened once."""
    return f"screened:{publication_id}:{revision}"


def opened_key(publication_id: int, waiting_key: str) -> str:
    """The review run records each wait once."""
    return f"opened:{publication_id}:{waiting_key}"


def decision_key(publication_id: int, revision: int, stage: str, earlier: int = 0) -> str:
    """One decision per step per revision; a step decided again is numbered (2, 3, …)."""
    key = f"decided:{publication_id}:{revision}:{stage}"
    return key if earlier == 0 else f"{key}:{earlier + 1}"


def countersign_key(
    publication_id: int, revision: int, stage: str, round_no: int, member: str
) -> str:
    """会签: one decision per member per round of the step."""
    return f"decided:{publication_id}:{revision}:{stage}:r{round_no}:{member}"


def withdrawn_key(publication_id: int) -> str:
    """An item is withdrawn once."""
    return f"withdrawn:{publication_id}"


def delegation_ended_key(delegation_id: int) -> str:
    """A delegation is revoked once."""
    return f"delegation-ended:{delegation_id}"
