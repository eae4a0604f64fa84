"""Re-screen what is already live when a list changes (a leader's title, a departed name, a
lexicon entry): which published items now carry a finding they did not have when approved.

Domain only: the caller (a Prefect flow, `pubreview rescan`) owns the session, the schedule
and the message to the center; each item carries the address of its page and of the center's
page where it can be retracted or a correction published.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from models import Attachment, LedgerEntry, LedgerKind, Publication, Revision, Status
from pubreview import settings
from pubreview.publishing import OFFICE_TIMEZONE
from pubreview.publishing.entries import Published
from pubreview.review.submission import screening_of
from pubreview.screening.findings import BLOCK, WARN, Finding
from pubreview.screening.links import Site, default_site
from pubreview.screening.screen import ScreeningLists, load_lists, screen_with

# What makes two findings the same one: a re-scan reports only what approval did not see.
_SAME = ("detector", "location", "line", "excerpt")


@dataclass(frozen=True)
class LiveItem:
    """A published item with findings it did not have when it was approved."""

    publication_id: int
    title: str
    published_on: datetime.date
    url: str | None  # its public page (the site's, else the first channel's)
    manage_url: str  # the center's page for it: retract, or publish a correction
    findings: tuple[Finding, ...]
    not_screened: dict[str, str]

    @property
    def blocked(self) -> bool:
        """True when a new finding is a block finding."""
        return any(f.severity == BLOCK for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for --json, an artifact or a message."""
        return {
            "publication_id": self.publication_id,
            "title": self.title,
            "published_on": self.published_on.isoformat(),
            "url": self.url,
            "manage_url": self.manage_url,
            "blocked": self.blocked,
            "findings": [f.to_dict() for f in self.findings],
            "not_screened": self.not_screened,
        }


@dataclass
class RescanReport:
    """What a re-scan of the archive found."""

    screened: int = 0  # live items screened
    items: list[LiveItem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for --json or an artifact."""
        return {
            "screened": self.screened,
            "with_new_findings": len(self.items),
            "blocked": sum(1 for i in self.items if i.blocked),
            "items": [i.to_dict() for i in self.items],
        }

    def to_markdown(self) -> str:
        """The report as Markdown for the center (a Prefect artifact, a message)."""
        lines = [
            "# 已发布信息复查",
            "",
            f"复查在线信息 {self.screened} 条，{len(self.items)} 条有新发现的问题"
            f"（其中 {sum(1 for i in self.items if i.blocked)} 条须更正或撤回）。",
        ]
        for item in self.items:
            where = f"[页面]({item.url})" if item.url else "无页面地址"
            lines += [
                "",
                f"## 第 {item.publication_id} 号：{item.title}",
                f"发布于 {item.published_on.isoformat()} · {where} · "
                f"[更正或撤回]({item.manage_url})",
                "",
            ]
            lines += [f"- {f.to_text()}" for f in item.findings]
            lines += [f"- 未能复查：{name}（{why}）" for name, why in item.not_screened.items()]
        return "\n".join(lines)


def _published(session: Session) -> dict[int, list[Published]]:
    """Each publication's `published` entry payloads, oldest first."""
    out: dict[int, list[Published]] = defaultdict(list)
    for pub_id, payload in session.execute(
        select(LedgerEntry.publication_id, LedgerEntry.payload)
        .where(LedgerEntry.kind == LedgerKind.PUBLISHED)
        .order_by(LedgerEntry.id)
    ):
        out[pub_id].append(Published.from_payload(payload))
    return out


def _live(session: Session) -> Iterator[tuple[Publication, Revision]]:
    yield from session.execute(
        select(Publication, Revision)
        .join(
            Revision,
            and_(
                Revision.publication_id == Publication.id,
                Revision.number == Publication.current_revision,
            ),
        )
        .where(Publication.status == Status.PUBLISHED)
        .order_by(Publication.id)
    )


def _key(finding: dict[str, Any]) -> tuple:
    return tuple(finding.get(k) for k in _SAME)


def rescan_published(
    session: Session,
    lists: ScreeningLists | None = None,
    *,
    site: Site | None = None,
    min_severity: str = WARN,
) -> RescanReport:
    """Screen every live item against the lists as they are now; report what is new.

    A finding is new when the screening recorded at the item's approval did not have it.
    Each item is judged as of its publication day, so news that named a leader by the title
    they held then is a warning, and an item published after the change an error.
    """
    lists = lists or load_lists()
    site = site or default_site()
    published = _published(session)
    center = settings.load().web_url + "center/items/"
    report = RescanReport()
    for publication, revision in _live(session):
        entries = published.get(publication.id)
        if not entries:
            continue
        report.screened += 1
        times = [
            datetime.datetime.fromisoformat(e.published_at).astimezone(OFFICE_TIMEZONE)
            for e in entries
            if e.published_at
        ]
        published_on = min(times).date() if times else publication.created_at.date()
        attachments = [
            (name, content)
            for name, content in session.execute(
                select(Attachment.filename, Attachment.content)
                .where(Attachment.revision_id == revision.id)
                .order_by(Attachment.filename)
            )
        ]
        result = screen_with(
            lists, revision.title, revision.body, attachments, site=site, written_on=published_on
        )
        recorded = screening_of(session, publication.id, revision.number) or {}
        seen = {_key(f) for f in recorded.get("findings", [])}
        wanted = (BLOCK,) if min_severity == BLOCK else (BLOCK, WARN)
        new = tuple(
            f for f in result.findings if f.severity in wanted and _key(f.to_dict()) not in seen
        )
        unread = {
            name: why
            for name, why in result.not_screened.items()
            if name not in {n["location"] for n in recorded.get("not_screened", [])}
        }
        if new or unread:
            url = next((e.url for e in entries if e.url), None)
            report.items.append(
                LiveItem(
                    publication.id,
                    revision.title,
                    published_on,
                    url,
                    f"{center}{publication.id}",
                    new,
                    unread,
                )
            )
    return report
