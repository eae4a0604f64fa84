"""Recording where a publication went, channel by channel (the 台帐's publication rows)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Publication, Stage, Status
from pubreview import ledger, settings
from pubreview.publishing.entries import Published, published_key
from pubreview.review.entries import Decided, Submitted, decision_key

# Read once per process: an office does not move time zones while it runs.
OFFICE_TIMEZONE = settings.office_timezone()


def site_base_url() -> str:
    """Public address of the site pubreview renders (PUBREVIEW_SITE_URL)."""
    return settings.load().site_url


def article_url(publication_id: int) -> str:
    """Where the website channel puts an article."""
    return f"{site_base_url()}articles/{publication_id}.html"


def local_now() -> datetime:
    """Now in the office's time zone: the report's year is the office's year."""
    return datetime.now(OFFICE_TIMEZONE)


def record_published(
    session: Session,
    publication: Publication,
    *,
    channel: str,
    url: str | None,
    actor: str,
    published_at: datetime | None = None,
    imported: bool = False,
) -> ledger.Appended:
    """Append one `published` entry for a channel; a channel already out keeps its entry."""
    revision = publication.current_revision
    fingerprint = session.scalar(
        select(ledger.payload_field(Submitted, "fingerprint").as_string())
        .where(
            LedgerEntry.publication_id == publication.id,
            LedgerEntry.revision == revision,
            LedgerEntry.kind.in_(
                [LedgerKind.SUBMITTED, LedgerKind.RESUBMITTED, LedgerKind.IMPORTED]
            ),
        )
        .limit(1)
    )
    when = (published_at or local_now()).astimezone(OFFICE_TIMEZONE)
    return ledger.append_once(
        session,
        kind=LedgerKind.PUBLISHED,
        publication_id=publication.id,
        revision=revision,
        stage=Stage.PUBLICATION.value,
        actor=actor,
        outcome="published",
        payload=Published(
            channel, url, when.isoformat(timespec="seconds"), fingerprint, imported
        ).to_payload(),
        dedupe_key=published_key(publication.id, channel),
    )


def published_channels(session: Session, publication_id: int) -> dict[str, Published]:
    """Channel → its `published` entry's payload, for channels already out."""
    rows = session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.publication_id == publication_id, LedgerEntry.kind == LedgerKind.PUBLISHED
        )
    )
    return {p.channel: p for p in (Published.from_payload(row.payload) for row in rows)}


def record_channels(
    session: Session, publication: Publication, channels: dict[str, str | None], *, actor: str
) -> None:
    """Record every channel that has a URL; channels without one stay pending."""
    for channel, url in channels.items():
        if url:
            record_published(session, publication, channel=channel, url=url, actor=actor)


def scheduled_approval(session: Session, publication: Publication) -> LedgerEntry | None:
    """The center's approval carrying a publish time, for an item waiting to go out."""
    entry = ledger.find_by_key(
        session,
        decision_key(publication.id, publication.current_revision, Stage.PUBLICATION.value),
    )
    if entry is None or Decided.from_payload(entry.payload).publish_time is None:
        return None
    return entry


def publish_at(session: Session, publication: Publication) -> datetime | None:
    """When a scheduled item goes out."""
    entry = scheduled_approval(session, publication)
    return Decided.from_payload(entry.payload).publish_time if entry else None


def publish_due(session: Session, publication_id: int) -> bool:
    """Put a scheduled item out if its time has come; True if it is published now."""
    publication = session.get(Publication, publication_id, with_for_update=True)
    if publication.status is Status.PUBLISHED:
        return True
    entry = scheduled_approval(session, publication)
    if publication.status is not Status.SCHEDULED or entry is None:
        return False
    approval = Decided.from_payload(entry.payload)
    if approval.publish_time > local_now():
        return False
    record_channels(session, publication, approval.urls, actor=entry.actor)
    publication.status, publication.waiting_since = Status.PUBLISHED, local_now()
    return True
