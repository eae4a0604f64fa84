"""What the public site shows, read from the database: articles, channel posts and withdrawals."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from operator import attrgetter
from urllib.parse import urlsplit

import markdown
import nh3
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from models import (
    Attachment,
    LedgerEntry,
    LedgerKind,
    Publication,
    Revision,
    Status,
    Unit,
    UnitKind,
)
from models.base import as_utc
from pubreview.publishing import OFFICE_TIMEZONE
from pubreview.publishing.catalog import Catalog
from pubreview.publishing.entries import Retracted

# Only these schemes may appear in a link or image on a page; javascript: and data: never do.
URL_SCHEMES = frozenset({"http", "https", "mailto"})
DEFAULT_SITE_NAME = "政府信息公开"
# The entries an article page lists: what submitted, approved and published its revision
# (not notifications or adoptions, which come later and would make the page change by itself).
PROVEN_KINDS = (
    LedgerKind.SUBMITTED,
    LedgerKind.RESUBMITTED,
    LedgerKind.IMPORTED,
    LedgerKind.DECIDED,
    LedgerKind.PUBLISHED,
)


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment as listed on its article page (the bytes are read only when written)."""

    id: int
    filename: str
    sha256: str
    size: int
    path: str  # where the file lives under the site root


@dataclass(frozen=True)
class Item:
    """A published item: an article on the site, a post on a hand-published channel, or both."""

    id: int
    title: str
    category: str
    unit: str
    revision: int
    fingerprint: str
    body: str | None  # Markdown, as approved; None when loaded for listings only (load_index)
    published_at: datetime  # on the site if it is there, else first time out anywhere
    channels: tuple[tuple[str, str | None], ...]  # (channel, public URL), in catalog order
    on_site: bool
    attachments: tuple[AttachmentInfo, ...]
    # (entry id, kind, hash) of the ledger entries that submitted, approved and published this
    # revision: a reader checks them against a published checkpoint (`ledger prove`).
    entries: tuple[tuple[int, str, str], ...] = ()
    # The newest time this item was ever listed at (its channels' first publications): an
    # item posted on one more channel can move down the listings, never above this.
    latest_at: datetime | None = None
    # The oldest such time: with latest_at, the bounds of every place the item ever had.
    earliest_at: datetime | None = None

    @property
    def path(self) -> str:
        """The article page under the site root."""
        return article_path(self.id)

    @property
    def sort_key(self) -> tuple[datetime, int]:
        """Listings run newest first by this."""
        return (self.published_at, self.id)


@dataclass(frozen=True)
class Withdrawal:
    """A retracted item that had an article page: the page becomes a withdrawal notice."""

    id: int
    title: str
    retracted_at: datetime
    reason: str
    confidentiality: bool

    @property
    def path(self) -> str:
        """The page the notice replaces."""
        return article_path(self.id)


@dataclass(frozen=True)
class SiteContent:
    """Everything one build renders, in a deterministic order."""

    site_name: str
    items: tuple[Item, ...]  # newest first
    withdrawals: tuple[Withdrawal, ...]  # by id
    categories: tuple[str, ...]  # configured ones first, then any others found, sorted
    channels: tuple[str, ...]
    nav_categories: tuple[str, ...]  # only configured ones, so no page depends on other items
    # Retracted items as they were listed before (an update takes them out of those listings).
    retracted: tuple[Item, ...] = ()

    @cached_property
    def articles(self) -> tuple[Item, ...]:
        """Items with a page on the site, newest first."""
        return tuple(item for item in self.items if item.on_site)


def article_path(publication_id: int) -> str:
    """Where an item's page lives under the site root (matches publishing.article_url)."""
    return f"articles/{publication_id}.html"


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) address, else None: a channel URL is never a script."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else None


def attachment_filename(name: str) -> str:
    """A file name safe to write under files/{id}/: no directories, no control characters."""
    cleaned = re.sub(r"[\x00-\x1f/\\]", "_", name).strip().lstrip(".")
    return cleaned or "attachment"


def attachment_names(attachments: Iterable[Attachment]) -> list[tuple[Attachment, str]]:
    """Each attachment with its file name on the site, no two alike within one item."""
    # Cleaning can make two names one ("a.pdf" and ".a.pdf", "x?.pdf" and "x\x01.pdf" from
    # before names were checked): the later one gets its id in front, so none overwrites another.
    taken: set[str] = set()
    named = []
    for a in attachments:
        name = attachment_filename(a.filename)
        if name.casefold() in taken:
            name = f"{a.id}-{name}"
        taken.add(name.casefold())
        named.append((a, name))
    return named


class BodyRenderer:
    """Markdown to sanitised HTML; one Markdown instance reused, as building one is costly."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists"])
        self._done: dict[str, str] = {}  # the feed repeats the newest articles' bodies

    def html(self, text: str) -> str:
        """The body as HTML with no script, no event handler and no javascript: link."""
        if text not in self._done:
            self._md.reset()
            self._done[text] = nh3.clean(self._md.convert(text), url_schemes=set(URL_SCHEMES))
        return self._done[text]

    def plain(self, text: str) -> str:
        """The body as plain text on one line (for posting to a hand-published channel)."""
        stripped = nh3.clean(self.html(text), tags=set())
        return re.sub(r"\s+", " ", html.unescape(stripped)).strip()


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(OFFICE_TIMEZONE)


def _ordered(configured: tuple[str, ...], found: set[str]) -> tuple[str, ...]:
    return configured + tuple(sorted(found - set(configured)))


def _site_rows(session: Session) -> list:
    """(id, status, category, revision id, number, title, fingerprint, unit) per listed item."""
    return session.execute(
        select(
            Publication.id,
            Publication.status,
            Publication.category,
            Revision.id,
            Revision.number,
            Revision.title,
            Revision.fingerprint,
            Unit.name,
        )
        .join(
            Revision,
            and_(
                Revision.publication_id == Publication.id,
                Revision.number == Publication.current_revision,
            ),
        )
        .join(Unit, Unit.id == Publication.unit_id)
        .where(Publication.status.in_([Status.PUBLISHED, Status.RETRACTED]))
        .order_by(Publication.id)
    ).all()


def _placing(
    out: dict[str, tuple[str | None, str]], site_channels: set[str], channel_rank: dict[str, int]
) -> tuple[datetime, tuple[tuple[str, str | None], ...], bool, datetime, datetime]:
    """From an item's first (URL, time) per channel: its listed time, channels, whether on the
    site, and the earliest and latest of those times."""
    if len(out) == 1:  # most items: nothing to sort or compare
        ((name, (url, when)),) = out.items()
        at = _when(when)
        on_site = name in site_channels
        return at, ((name, None if on_site else safe_url(url)),), on_site, at, at
    times = {name: _when(when) for name, (_, when) in out.items()}
    rank = len(channel_rank)
    names = sorted(out, key=lambda c: (channel_rank.get(c, rank), c))
    site_channel = next((c for c in sorted(out) if c in site_channels), None)
    channels = tuple(
        (name, None if name in site_channels else safe_url(out[name][0])) for name in names
    )
    earliest, latest = min(times.values()), max(times.values())
    at = times[site_channel] if site_channel is not None else earliest
    return at, channels, site_channel is not None, earliest, latest


def load_index(session: Session, catalog: Catalog) -> SiteContent:
    """Every published and retracted item without bodies or proofs: what listings show."""
    site_channels = {name for name, spec in catalog.channels.items() if spec.is_site}
    # The three fields are read by the database: parsing 10,000 payloads in Python is most
    # of an update's time on a large site.
    published: dict[int, dict[str, tuple[str | None, str]]] = defaultdict(dict)
    for pub_id, channel, url, when in session.execute(
        select(
            LedgerEntry.publication_id,
            LedgerEntry.payload["channel"].as_string(),
            LedgerEntry.payload["url"].as_string(),
            LedgerEntry.payload["published_at"].as_string(),
        )
        .where(LedgerEntry.kind == LedgerKind.PUBLISHED)
        .order_by(LedgerEntry.id)
    ):
        published[pub_id].setdefault(channel, (url, when))
    retracted = {
        entry.publication_id: entry
        for entry in session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.RETRACTED)
        )
    }
    attachments: dict[int, list] = defaultdict(list)
    for att in session.execute(
        select(
            Attachment.id,
            Attachment.revision_id,
            Attachment.filename,
            Attachment.sha256,
            Attachment.size,
        )
        .join(Revision, Revision.id == Attachment.revision_id)
        .join(
            Publication,
            and_(
                Publication.id == Revision.publication_id,
                Publication.current_revision == Revision.number,
            ),
        )
        .where(Publication.status == Status.PUBLISHED)
        .order_by(Attachment.revision_id, Attachment.filename)
    ):
        attachments[att.revision_id].append(att)
    channel_rank = {name: i for i, name in enumerate(catalog.channels)}
    items: list[Item] = []
    was: list[Item] = []
    withdrawals: list[Withdrawal] = []
    for pub_id, status, category, rev_id, number, title, fp, unit_name in _site_rows(session):
        out = published.get(pub_id)
        if not out:
            continue
        published_at, channels, on_site, earliest, latest = _placing(
            out, site_channels, channel_rank
        )
        listed = attachments.get(rev_id) if status is Status.PUBLISHED else None
        item = Item(
            pub_id,
            title,
            category,
            unit_name,
            number,
            fp,
            None,
            published_at,
            channels,
            on_site,
            tuple(
                AttachmentInfo(a.id, a.filename, a.sha256, a.size, f"files/{pub_id}/{name}")
                for a, name in attachment_names(listed)
            )
            if listed
            else (),
            (),
            latest,
            earliest,
        )
        if status is Status.RETRACTED:
            was.append(item)
            entry = retracted.get(pub_id)
            if on_site and entry is not None:
                why = Retracted.from_payload(entry.payload)
                withdrawals.append(
                    Withdrawal(
                        pub_id,
                        title,
                        as_utc(entry.created_at).astimezone(OFFICE_TIMEZONE),
                        why.reason or "",
                        bool(why.confidentiality),
                    )
                )
            continue
        items.append(item)
    items.sort(key=attrgetter("published_at", "id"), reverse=True)
    return SiteContent(
        site_name=_site_name(session),
        items=tuple(items),
        withdrawals=tuple(withdrawals),
        categories=_ordered(catalog.categories, {i.category for i in items if i.on_site}),
        channels=_ordered(tuple(catalog.channels), {c for i in items for c, _ in i.channels}),
        nav_categories=catalog.categories,
        retracted=tuple(was),
    )


def with_details(
    session: Session, content: SiteContent, ids: Collection[int] | None = None
) -> SiteContent:
    """The content with the body and proving entries of the given items (None: of all)."""
    wanted = [item.id for item in content.items if ids is None or item.id in ids]
    if not wanted:
        return content
    bodies: dict[int, str] = {}
    proven: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for chunk in _chunks(wanted, None if ids is None else 500):
        body_query = select(Revision.publication_id, Revision.body).join(
            Publication,
            and_(
                Publication.id == Revision.publication_id,
                Publication.current_revision == Revision.number,
            ),
        )
        proof_query = (
            select(LedgerEntry.publication_id, LedgerEntry.id, LedgerEntry.kind, LedgerEntry.hash)
            .join(
                Publication,
                and_(
                    Publication.id == LedgerEntry.publication_id,
                    Publication.current_revision == LedgerEntry.revision,
                ),
            )
            .where(Publication.status == Status.PUBLISHED, LedgerEntry.kind.in_(PROVEN_KINDS))
            .order_by(LedgerEntry.id)
        )
        if chunk is not None:
            body_query = body_query.where(Publication.id.in_(chunk))
            proof_query = proof_query.where(Publication.id.in_(chunk))
        bodies.update((pub_id, body) for pub_id, body in session.execute(body_query))
        for pub_id, entry_id, kind, entry_hash in session.execute(proof_query):
            proven[pub_id].append((entry_id, str(kind), entry_hash))
    return replace(
        content,
        items=tuple(
            replace(item, body=bodies[item.id], entries=tuple(proven.get(item.id, ())))
            if item.id in bodies
            else item
            for item in content.items
        ),
    )


def _chunks(ids: list[int], size: int | None) -> Iterable[list[int] | None]:
    """The ids in pieces of `size` for an IN list; one None (no filter) when size is None."""
    if size is None:
        yield None
        return
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _site_name(session: Session) -> str:
    center = session.scalars(
        select(Unit.name).where(Unit.kind == UnitKind.CENTER).order_by(Unit.id).limit(1)
    ).first()
    return center or DEFAULT_SITE_NAME


def load_frame(session: Session, catalog: Catalog) -> SiteContent:
    """No items, only what every page's frame shows (the site's name and navigation)."""
    return SiteContent(_site_name(session), (), (), (), (), catalog.categories)


def load(session: Session, catalog: Catalog) -> SiteContent:
    """Read every published and retracted item with its ledger facts, in a stable order."""
    return with_details(session, load_index(session, catalog))
