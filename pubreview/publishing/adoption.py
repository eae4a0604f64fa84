"""Media adoption (采用): a published item picked up by central or provincial media."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Status
from pubreview import ledger
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.labels import STATUS_LABEL
from pubreview.publishing.channels import require_center
from pubreview.publishing.entries import Adopted, adopted_key
from pubreview.review.submission import get
from pubreview.site.content import safe_url


class Level(enum.StrEnum):
    """The level of the outlet, as the annual report counts adoptions (中央级/省级)."""

    CENTRAL = "central"  # 中央级报刊或网站
    PROVINCIAL = "provincial"  # 省级报刊或网站


@dataclass(frozen=True)
class AdoptResult:
    """What `adopt` did: recorded a pickup, or found the same one already there."""

    publication_id: int
    recorded: bool
    entry_id: int
    level: str
    outlet: str
    url: str | None
    message: str

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return asdict(self)


def _result(entry: LedgerEntry, recorded: bool) -> AdoptResult:
    p = Adopted.from_payload(entry.payload)
    where = f"{p.outlet} ({p.level})"
    message = (
        f"recorded adoption of publication {entry.publication_id} by {where} "
        f"(ledger entry {entry.id})"
        if recorded
        else f"adoption by {where} already recorded (ledger entry {entry.id}); nothing changed"
    )
    return AdoptResult(entry.publication_id, recorded, entry.id, p.level, p.outlet, p.url, message)


def adopt(
    session: Session,
    publication_id: int,
    level: str,
    outlet: str,
    url: str | None,
    *,
    actor_username: str | None = None,
) -> AdoptResult:
    """Record that an outlet took up a published item; the same outlet counts once."""
    try:
        chosen = Level(level)
    except ValueError:
        raise ValidationError(f"未知的采用级别「{level}」：请选择中央级或省级") from None
    outlet = outlet.strip()
    if not outlet:
        raise ValidationError("请填写采用的媒体名称")
    if url is not None and safe_url(url) is None:
        raise ValidationError(f"采用地址「{url}」不是以 http:// 或 https:// 开头的网址")
    publication = get(session, publication_id)
    actor = "system"
    if actor_username is not None:
        actor = require_center(session, actor_username, "登记媒体采用").username
    if publication.status is not Status.PUBLISHED:
        raise DecisionRefused(
            f"第 {publication.id} 号信息{STATUS_LABEL[publication.status]}："
            "只有已发布的信息才能登记采用"
        )
    entry, recorded = ledger.append_once(
        session,
        kind=LedgerKind.ADOPTED,
        publication_id=publication.id,
        revision=publication.current_revision,
        actor=actor,
        outcome=chosen.value,
        payload=Adopted(chosen.value, outlet, url).to_payload(),
        dedupe_key=adopted_key(publication.id, outlet),
    )
    return _result(entry, recorded)
