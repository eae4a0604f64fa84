"""Finding published items: by title, unit, category, channel and publication date, page by page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Publication, Status, Unit
from models.base import as_utc
from pubreview import ledger
from pubreview.publishing.entries import Published
from pubreview.publishing.record import OFFICE_TIMEZONE

PAGE_SIZE = 20
# Retracted items were published too; the center looks them up as well.
SEARCHED = (Status.PUBLISHED, Status.RETRACTED)


@dataclass(frozen=True)
class Query:
    """What the center asks for; empty fields do not narrow the search."""

    title: str = ""
    unit: str = ""  # unit code
    category: str = ""
    channel: str = ""
    published_from: date | None = None  # office dates, both ends included
    published_to: date | None = None
    page: int = 1


@dataclass(frozen=True)
class Found:
    """One published item found."""

    id: int
    title: str
    unit: str
    category: str
    channels: list[str]
    status: Status
    published_at: datetime  # first channel out, office time


@dataclass(frozen=True)
class Results:
    """One page of results and how many there are in all."""

    items: list[Found]
    total: int
    page: int
    pages: int


def _office_midnight(day: date) -> datetime:
    """The start of an office day, in UTC (SQLite compares the stored UTC text)."""
    return datetime.combine(day, time.min, OFFICE_TIMEZONE).astimezone(UTC)


def search(session: Session, query: Query, page_size: int = PAGE_SIZE) -> Results:
    """Published (and retracted) items matching every given field, newest first."""
    first_out = (
        select(
            LedgerEntry.publication_id.label("pub_id"),
            func.min(LedgerEntry.created_at).label("out_at"),
        )
        .where(LedgerEntry.kind == LedgerKind.PUBLISHED)
        .group_by(LedgerEntry.publication_id)
        .subquery()
    )
    where = [Publication.status.in_(SEARCHED)]
    if query.title.strip():
        where.append(Publication.title.contains(query.title.strip(), autoescape=True))
    if query.unit:
        where.append(Unit.code == query.unit)
    if query.category:
        where.append(Publication.category == query.category)
    if query.channel:
        # A JSON list is searched differently by each database; the ledger's published
        # entries name their channel, and an item counts as on a channel once it went out there.
        where.append(
            select(LedgerEntry.id)
            .where(
                LedgerEntry.publication_id == Publication.id,
                LedgerEntry.kind == LedgerKind.PUBLISHED,
                ledger.payload_field(Published, "channel").as_string() == query.channel,
            )
            .exists()
        )
    if query.published_from:
        where.append(first_out.c.out_at >= _office_midnight(query.published_from))
    if query.published_to:
        where.append(first_out.c.out_at < _office_midnight(query.published_to + timedelta(1)))
    base = (
        select(Publication, Unit.name, first_out.c.out_at)
        .join(Unit, Unit.id == Publication.unit_id)
        .join(first_out, first_out.c.pub_id == Publication.id)
        .where(*where)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, query.page), pages)
    rows = session.execute(
        base.order_by(first_out.c.out_at.desc(), Publication.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    items = [
        Found(
            pub.id,
            pub.title,
            unit_name,
            pub.category,
            list(pub.channels),
            pub.status,
            as_utc(out_at).astimezone(OFFICE_TIMEZONE),
        )
        for pub, unit_name, out_at in rows
    ]
    return Results(items, total, page, pages)
