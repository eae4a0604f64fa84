"""Retraction (撤回): the center or an administrator withdraws a published item, openly."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Stage, Status
from models.base import as_utc, utcnow
from pubreview import ledger
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.labels import STATUS_LABEL
from pubreview.publishing import OFFICE_TIMEZONE
from pubreview.publishing.channels import require_center
from pubreview.publishing.entries import Retracted, retracted_key
from pubreview.review.submission import get


@dataclass(frozen=True)
class RetractResult:
    """What `retract` did: recorded a retraction, or found one already there."""

    publication_id: int
    recorded: bool
    entry_id: int
    actor: str
    retracted_at: str  # office time, ISO 8601
    reason: str
    confidentiality: bool
    message: str

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return asdict(self)


def _result(entry: LedgerEntry, recorded: bool) -> RetractResult:
    when = as_utc(entry.created_at).astimezone(OFFICE_TIMEZONE).isoformat(timespec="seconds")
    message = (
        f"retracted publication {entry.publication_id} (ledger entry {entry.id})"
        if recorded
        else f"already retracted by {entry.actor} at {when} (ledger entry {entry.id}); "
        "nothing changed"
    )
    retracted = Retracted.from_payload(entry.payload)
    return RetractResult(
        entry.publication_id,
        recorded,
        entry.id,
        entry.actor,
        when,
        retracted.reason,
        retracted.confidentiality,
        message,
    )


def retract(
    session: Session,
    publication_id: int,
    actor_username: str,
    reason: str,
    confidentiality: bool = False,
) -> RetractResult:
    """Withdraw a published item (center or admin); retracting it again changes nothing."""
    publication = get(session, publication_id, for_update=True)
    person = require_center(session, actor_username, "撤回信息")
    if (existing := ledger.find_by_key(session, retracted_key(publication.id))) is not None:
        return _result(existing, recorded=False)
    if publication.status is not Status.PUBLISHED:
        raise DecisionRefused(
            f"第 {publication.id} 号信息{STATUS_LABEL[publication.status]}："
            "只有已发布的信息才能撤回"
        )
    reason = reason.strip()
    if not reason:
        raise ValidationError("请写明撤回原因：撤回公告会显示它")
    entry, recorded = ledger.append_once(
        session,
        kind=LedgerKind.RETRACTED,
        publication_id=publication.id,
        revision=publication.current_revision,
        stage=Stage.PUBLICATION.value,
        actor=person.username,
        outcome="retracted",
        payload=Retracted(reason, confidentiality).to_payload(),
        dedupe_key=retracted_key(publication.id),
    )
    if not recorded:
        # Someone retracted it between our check and our append.
        return _result(entry, recorded=False)
    publication.status, publication.waiting_since = Status.RETRACTED, utcnow()
    return _result(entry, recorded=True)
