"""Helpers for the site tests: items taken through the real chain, or seeded in bulk."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from models import Status
from pubreview import db, publishing
from pubreview.review.decisions import DecisionRequest, decide
from pubreview.review.submission import AttachmentFile, Draft, submit
from pubreview.review.workflow import Outcome

# Sample organisation: submitter, section head, leader, center of unit zonghe.
SUBMITTER, HEAD, LEADER, CENTER, ADMIN = "zhang.wei", "li.na", "zeng.xiang", "zhou.min", "wu.gang"


def _draft(
    title: str,
    body: str,
    category: str,
    channels: tuple[str, ...],
    attachments: dict[str, bytes] | None,
) -> Draft:
    return Draft(
        title,
        body,
        category,
        list(channels),
        "zonghe",
        SUBMITTER,
        [AttachmentFile(name, data) for name, data in (attachments or {}).items()],
    )


def publish_through_chain(
    engine: Engine,
    title: str,
    body: str,
    *,
    category: str = "工作动态",
    channels: tuple[str, ...] = ("网站",),
    attachments: dict[str, bytes] | None = None,
    urls: dict[str, str] | None = None,
) -> int:
    """Submit, pre-review, sign off and approve at the center; return the publication id."""
    with db.transaction(engine) as session:
        pub_id = submit(session, _draft(title, body, category, channels, attachments)).id
    with db.transaction(engine) as session:
        decide(session, DecisionRequest(pub_id, HEAD, Outcome.APPROVE, attest=True))
    with db.transaction(engine) as session:
        decide(session, DecisionRequest(pub_id, LEADER, Outcome.APPROVE))
    with db.transaction(engine) as session:
        decide(session, DecisionRequest(pub_id, CENTER, Outcome.APPROVE, urls=urls))
    return pub_id


def seed_published(
    engine: Engine,
    title: str,
    body: str,
    published_at: datetime,
    *,
    category: str = "工作动态",
    channels: tuple[str, ...] = ("网站",),
) -> int:
    """A published item with a chosen publication time (the chain always uses now)."""
    with db.transaction(engine) as session:
        pub = submit(session, _draft(title, body, category, channels, None))
        pub.status, pub.stage = Status.PUBLISHED, None
        for channel in channels:
            url = publishing.article_url(pub.id) if channel == "网站" else None
            if url:
                publishing.record_published(
                    session, pub, channel=channel, url=url, actor=CENTER, published_at=published_at
                )
        return pub.id


def tree(root: Path) -> dict[str, bytes]:
    """Every file under a directory (following the site symlink), by relative path."""
    base = root.resolve()
    return {
        p.relative_to(base).as_posix(): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file()
    }
