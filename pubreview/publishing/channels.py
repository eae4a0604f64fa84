"""Hand-published channels (微博, 微信, …): text to post, the center's confirmation, status."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Person, Role, Status
from models.base import utcnow
from pubreview import ledger, publishing
from pubreview.accounts import org
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.labels import STATUS_LABEL
from pubreview.publishing import catalog as catalog_mod
from pubreview.publishing.entries import Published
from pubreview.review.submission import current_revision, get
from pubreview.site.content import BodyRenderer, safe_url

ELLIPSIS = "…"


@dataclass(frozen=True)
class ChannelState:
    """One channel of one item: out (with URL and time) or still pending."""

    channel: str
    kind: str  # "site" or "manual"
    published: bool
    url: str | None
    published_at: str | None
    actor: str | None

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return asdict(self)


@dataclass(frozen=True)
class ConfirmResult:
    """What `confirm` did: recorded the channel as out, or found it already recorded."""

    publication_id: int
    channel: str
    recorded: bool
    entry_id: int
    url: str | None
    message: str

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return asdict(self)


def require_center(session: Session, username: str, doing: str) -> Person:
    """The person, if they hold the center (中心) or admin role anywhere; else DecisionRefused."""
    person = org.person(session, username)
    if not any(org.holds(session, person.id, role) for role in (Role.CENTER, Role.ADMIN)):
        raise DecisionRefused(
            f"{person.name}（{person.username}）不是中心发布人员或管理员，不能{doing}"
        )
    return person


def channel_states(
    session: Session, publication_id: int, catalog: catalog_mod.Catalog | None = None
) -> list[ChannelState]:
    """Each of the item's channels, in the item's order, with what the ledger says of it."""
    catalog = catalog or catalog_mod.load()
    publication = get(session, publication_id)
    out = {
        (p := Published.from_payload(e.payload)).channel: (e, p)
        for e in ledger.history(session, publication.id)
        if e.kind == LedgerKind.PUBLISHED
    }
    states = []
    for name in publication.channels:
        spec = catalog.channels.get(name)
        entry, published = out.get(name, (None, None))
        states.append(
            ChannelState(
                name,
                spec.kind if spec else "manual",
                entry is not None,
                published.url if published else None,
                published.published_at if published else None,
                entry.actor if entry else None,
            )
        )
    return states


def fit(head: str, body: str, tail: str, limit: int | None) -> str:
    """head + body + tail within `limit` characters, shortening the body (then the head) first."""
    text = head + body + tail
    if limit is None or len(text) <= limit:
        return text
    if len(tail) >= limit:
        tail = ""  # a link longer than the post cannot be kept; the words matter more
    room = limit - len(tail) - len(ELLIPSIS)
    return (head + body)[: max(room, 0)] + ELLIPSIS + tail


def post_text(
    session: Session, publication_id: int, channel: str, catalog: catalog_mod.Catalog | None = None
) -> str:
    """The text the center posts on a hand-published channel, within its length limit."""
    catalog = catalog or catalog_mod.load()
    spec = _manual_channel(catalog, channel)
    publication = get(session, publication_id)
    if channel not in publication.channels:
        raise ValidationError(f"第 {publication.id} 号信息不在{channel}发布")
    revision = current_revision(session, publication)
    site = [c for c in publication.channels if catalog.is_site(c)]
    out = publishing.published_channels(session, publication.id) if site else {}
    link = out[site[0]].url if site and site[0] in out else None
    return fit(
        f"【{revision.title}】",
        BodyRenderer().plain(revision.body),
        f" 详见: {link}" if link else "",
        spec.max_length,
    )


def _manual_channel(catalog: catalog_mod.Catalog, channel: str) -> catalog_mod.Channel:
    spec = catalog.channels.get(channel)
    if spec is None:
        raise ValidationError(f"没有「{channel}」这一渠道（可选：{'、'.join(catalog.channels)}）")
    if spec.is_site:
        raise ValidationError(f"{channel}在中心同意发布时由系统自动发布，无需手工登记")
    return spec


def confirm(
    session: Session,
    publication_id: int,
    channel: str,
    url: str,
    actor_username: str,
    catalog: catalog_mod.Catalog | None = None,
    published_at: datetime | None = None,
) -> ConfirmResult:
    """Record that the center posted the item on a hand channel, at this URL (and time)."""
    catalog = catalog or catalog_mod.load()
    _manual_channel(catalog, channel)
    if safe_url(url) is None:
        raise ValidationError(f"{channel}地址「{url}」不是以 http:// 或 https:// 开头的网址")
    if published_at is not None and published_at > utcnow():
        raise ValidationError(f"{channel}的发布时间不能晚于现在")
    publication = get(session, publication_id, for_update=True)
    person = require_center(session, actor_username, "登记发布渠道")
    if channel not in publication.channels:
        raise ValidationError(
            f"第 {publication.id} 号信息不在{channel}发布"
            f"（其渠道：{'、'.join(publication.channels)}）"
        )
    if publication.status is not Status.PUBLISHED:
        raise DecisionRefused(
            f"第 {publication.id} 号信息{STATUS_LABEL[publication.status]}："
            "中心同意发布后才能登记渠道"
        )
    entry, recorded = publishing.record_published(
        session,
        publication,
        channel=channel,
        url=url.strip(),
        actor=person.username,
        published_at=published_at,
    )
    return _confirmed(entry, recorded)


def _confirmed(entry: LedgerEntry, recorded: bool) -> ConfirmResult:
    published = Published.from_payload(entry.payload)
    channel, url = published.channel, published.url
    message = (
        f"recorded: publication {entry.publication_id} is out on {channel} at {url} "
        f"(ledger entry {entry.id})"
        if recorded
        else f"{channel} was already recorded by {entry.actor} at {url} "
        f"(ledger entry {entry.id}); nothing changed"
    )
    return ConfirmResult(entry.publication_id, channel, recorded, entry.id, url, message)
