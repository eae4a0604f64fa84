"""What the review page and the queue page show, read from the ledger database.

Nothing here writes: deciding goes through `pubreview.review.decisions.decide`, the one place its
rules live. These functions only gather what a reviewer needs to see before deciding.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Person, Publication, Revision, Status, Unit
from models.base import as_utc, utcnow
from models.publication import step_id
from pubreview import clock, settings
from pubreview.chains import deadlines
from pubreview.chains.binding import chain_of, step_label
from pubreview.chains.definitions import Chain
from pubreview.clock import local_time
from pubreview.errors import NotFound
from pubreview.labels import (
    ADOPTION_LEVEL_LABEL,
    DISCLOSURE_LABEL,
    FIELD_LABEL,
    GRADE_LABEL,
    KIND_LABEL,
    OUTCOME_LABEL,
    SCREEN_LABEL,
    SEVERITY_LABEL,
    STATUS_LABEL,
    STEP_OUTCOME_LABEL,
    VIA_LABEL,
    days_text,
)
from pubreview.links import ReviewGrant, review_link
from pubreview.notify.entries import Notified
from pubreview.publishing import catalog as catalog_mod
from pubreview.requests import calendar
from pubreview.requests.calendar import CalendarGap, WorkCalendar
from pubreview.review import deciders
from pubreview.review.status import history_rows
from pubreview.review.submission import Attributes, attributes_of, get, screening_of
from pubreview.review.workflow import OPEN
from pubreview.site.content import BodyRenderer


def _catalog() -> catalog_mod.Catalog:
    """The catalog, re-read only when its file changes (parsing YAML per page is a third of it)."""
    path = settings.load().catalog_file
    return _catalog_at(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _catalog_at(path: Path, _mtime_ns: int) -> catalog_mod.Catalog:
    return catalog_mod.load(path)


@lru_cache(maxsize=256)
def body_html(text: str) -> Markup:
    """A body as sanitised HTML (the site's renderer), kept for the pages opened repeatedly."""
    return Markup(BodyRenderer().html(text))


def waited(since: datetime | str) -> str:
    """How long something has waited, in 天/小时/分钟."""
    moment = datetime.fromisoformat(since) if isinstance(since, str) else since
    minutes = max(0, int((utcnow() - as_utc(moment)).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时"
    if hours:
        return f"{hours} 小时 {mins} 分钟"
    return f"{mins} 分钟" if mins else "不到 1 分钟"


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff, with how to show it."""

    kind: str  # "add", "del", "ctx" or "hunk"
    text: str


@dataclass
class RevisionDiff:
    """What changed from the returned revision to the one under review."""

    previous: int
    title: tuple[str, str] | None  # (before, after) when the title changed
    body: list[DiffLine]
    attachments_added: list[str] = field(default_factory=list)
    attachments_removed: list[str] = field(default_factory=list)
    fields: list[FieldChange] = field(default_factory=list)  # 内容类别, 发布渠道, 公开属性


@dataclass(frozen=True)
class FieldChange:
    """One attribute a resubmission changed, as the page shows it."""

    label: str
    before: str
    after: str


def _shown(name: str, value) -> str:
    if name == "channels":
        value = "、".join(value)
    elif name == "disclosure":
        value = DISCLOSURE_LABEL.get(value, value)
    elif name == "grade":
        value = GRADE_LABEL.get(value, value)
    return value or "（空）"


def attribute_changes(before: Attributes | None, after: Attributes | None) -> list[FieldChange]:
    """The attributes that differ between two revisions (none when either is unknown)."""
    if before is None or after is None:
        return []
    return [
        FieldChange(FIELD_LABEL[name], _shown(name, c["before"]), _shown(name, c["after"]))
        for name, c in before.changes(after).items()
    ]


def _diff_lines(before: str, after: str) -> list[DiffLine]:
    out = []
    for line in difflib.unified_diff(
        before.splitlines(), after.splitlines(), "退回稿", "本稿", n=2, lineterm=""
    ):
        if line.startswith(("---", "+++")):
            continue
        kind = {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "ctx")
        out.append(DiffLine(kind, line))
    return out


def revision_diff(before: Revision, after: Revision) -> RevisionDiff:
    """The difference between two revisions: title, body lines, attachments by name and hash."""
    old = {(a.filename, a.sha256) for a in before.attachments}
    new = {(a.filename, a.sha256) for a in after.attachments}
    return RevisionDiff(
        previous=before.number,
        title=(before.title, after.title) if before.title != after.title else None,
        body=_diff_lines(before.body, after.body),
        attachments_added=sorted(f"{n}（{h[:12]}…）" for n, h in new - old),
        attachments_removed=sorted(f"{n}（{h[:12]}…）" for n, h in old - new),
    )


def _revisions(session: Session, pub_id: int, numbers: list[int]) -> dict[int, Revision]:
    rows = session.scalars(
        select(Revision)
        .options(selectinload(Revision.attachments))
        .where(Revision.publication_id == pub_id, Revision.number.in_(numbers))
    )
    return {r.number: r for r in rows}


def _history(session: Session, pub_id: int, names: dict[str, str]) -> list[dict]:
    """Every ledger step of the item in Chinese, with who was notified of what."""
    rows = []
    entries = history_rows(session, pub_id)
    settled = {
        _delivery_of(r) for r in entries if r["kind"] == "notified" and r["outcome"] != "claimed"
    }
    for r in entries:
        # A claim is the sender's bookkeeping: shown only while no send or failure followed it.
        if r["kind"] == "notified" and r["outcome"] == "claimed" and _delivery_of(r) in settled:
            continue
        payload = r["payload"] or {}
        recipient = payload.get("recipient") or "" if r["kind"] == "notified" else ""
        outcome = r["outcome"]
        if r["kind"] == "decided":
            outcome = OUTCOME_LABEL.get(outcome, outcome)
        elif r["kind"] == "screened":
            outcome = SCREEN_LABEL.get(outcome, outcome)
        elif r["kind"] == "adopted":
            outcome = ADOPTION_LEVEL_LABEL.get(outcome or "", outcome)
        else:
            outcome = STEP_OUTCOME_LABEL.get(outcome or "", outcome)
        rows.append(
            {
                "id": r["id"],
                "at": local_time(r["at"]),
                "kind": KIND_LABEL.get(r["kind"], r["kind"]),
                "stage": step_label(session, pub_id, r["stage"]),
                "revision": r["revision"],
                "actor": names.get(r["actor"], r["actor"] or ""),
                "outcome": outcome or "",
                "comment": r["comment"] or "",
                "via_web": payload.get("via") in ("web", "web-session"),
                "via": VIA_LABEL.get(payload.get("via") or "", ""),
                "notified": names.get(recipient, recipient),
            }
        )
    return rows


def _delivery_of(row: dict) -> str:
    """Which message a notified entry is about (its delivery's key)."""
    return Notified.from_payload(row["payload"] or {}).delivery


def _closed_reason(
    pub: Publication, grant: ReviewGrant, history: list[dict], label: str
) -> str | None:
    """Why this link can no longer decide anything, or None while its stage is open."""
    stage = step_id(grant.stage)
    if pub.current_revision != grant.revision:
        return (
            f"此链接针对第 {grant.revision} 稿，该稿已被第 {pub.current_revision} 稿取代，"
            "请使用新通知中的链接。"
        )
    if pub.status is Status.IN_REVIEW and pub.stage == stage:
        return None
    for row in reversed(history):
        if (
            row["kind"] == KIND_LABEL["decided"]
            and row["revision"] == grant.revision
            and row["stage"] == label
        ):
            return f"{label}环节已结束：{row['actor']}于 {row['at']} 决定「{row['outcome']}」。"
    return f"{label}环节目前未开放（当前状态：{STATUS_LABEL[pub.status]}）。"


def step_deadline(pub: Publication, chain: Chain, today: date, cal: WorkCalendar) -> dict | None:
    """The waiting step's deadline as the pages show it (None: the step has none)."""
    try:
        due = deadlines.due_of(pub, chain, today=today, cal=cal)
    except CalendarGap as exc:
        return {"due_on": None, "text": f"期限无法计算：{exc}", "overdue": False}
    if due is None:
        return None
    return {
        "due_on": due.due_on.isoformat(),
        "text": days_text(due.days_left),
        "overdue": due.overdue,
    }


def _today() -> date:
    """Today in the office's time zone (deadlines are office dates)."""
    return clock.local(utcnow()).date()


def review_page(session: Session, grant: ReviewGrant) -> dict:
    """Everything the review page shows for one signed link."""
    pub = get(session, grant.publication_id)
    numbers = [grant.revision] + ([grant.revision - 1] if grant.revision > 1 else [])
    revisions = _revisions(session, pub.id, numbers)
    revision = revisions.get(grant.revision)
    if revision is None:
        raise NotFound(f"publication {pub.id} has no revision {grant.revision}")
    names = {"system": "系统", **{p.username: p.name for p in session.scalars(select(Person))}}
    reviewer = session.scalars(select(Person).where(Person.username == grant.username)).first()
    history = _history(session, pub.id, names)
    stage = step_id(grant.stage)
    label = chain_of(session, pub).label_of(stage)
    closed = _closed_reason(pub, grant, history, label)
    if closed is None and grant.username not in {
        p.username for p in deciders.eligible(session, pub)
    }:
        closed = f"{label}环节不由您（{grant.username}）决定。"
        if reviewer is not None and any(
            grant.username == e.actor
            for e in deciders.round_votes(session, pub, chain_of(session, pub).step(stage))
        ):
            # A 会签 member who has had their say: the page says so, not that it is not theirs.
            closed = deciders.refusal(session, pub, reviewer) or closed
    screening = screening_of(session, pub.id, grant.revision) or {}
    catalog = _catalog()
    submitter = session.get(Person, pub.submitter_id)
    diff = revision_diff(revisions[grant.revision - 1], revision) if grant.revision > 1 else None
    if diff is not None:
        diff.fields = attribute_changes(
            attributes_of(session, pub.id, grant.revision - 1),
            attributes_of(session, pub.id, grant.revision),
        )
    return {
        "pub": {
            "id": pub.id,
            "title": revision.title,
            "unit": session.get(Unit, pub.unit_id).name,
            "submitter": f"{submitter.name}（{submitter.username}）",
            "category": pub.category,
            "channels": list(pub.channels),
            "grade": GRADE_LABEL[pub.grade.value],
            "status": STATUS_LABEL[pub.status],
            "since": local_time(pub.waiting_since),
            "waited": waited(pub.waiting_since),
            "fingerprint": revision.fingerprint,
        },
        "reviewer": reviewer.name if reviewer else grant.username,
        "stage": stage.value,
        "stage_label": label,
        # The deadline of the step awaited now (the link's step, while it is open).
        "deadline": step_deadline(pub, chain_of(session, pub), _today(), calendar.load())
        if closed is None
        else None,
        "revision": grant.revision,
        "body_html": body_html(revision.body),
        "attachments": [
            {"id": a.id, "filename": a.filename, "size": a.size, "sha256": a.sha256}
            for a in revision.attachments
        ],
        "screening": {
            "recorded": bool(screening),
            "blocked": bool(screening.get("blocked")),
            "findings": [
                {**f, "severity_label": SEVERITY_LABEL.get(f["severity"], f["severity"])}
                for f in screening.get("findings", [])
            ],
            "not_screened": screening.get("not_screened", []),
        },
        "diff": diff,
        "history": history,
        "closed": closed,
        "manual_channels": [
            c for c in pub.channels if c in catalog.channels and not catalog.is_site(c)
        ],
        "site_channels": [c for c in pub.channels if catalog.is_site(c)],
    }


def attachment_of(session: Session, grant: ReviewGrant, attachment_id: int):
    """The attachment if it belongs to the revision the link is for, else None."""
    revision = _revisions(session, grant.publication_id, [grant.revision]).get(grant.revision)
    if revision is None:
        return None
    return next((a for a in revision.attachments if a.id == attachment_id), None)


def queue_page(session: Session, username: str) -> dict:
    """What waits on this person, oldest first, each with its personal review link."""
    person = session.scalars(select(Person).where(Person.username == username)).first()
    open_items = session.scalars(
        select(Publication).where(Publication.status.in_(list(OPEN))).order_by(Publication.id)
    )
    # This person's own items (deciders.waiting_on: who may decide), with only what the page
    # shows of each: the queries of a full status.item_status per item made the page slow.
    mine = deciders.waiting_on(session, person, open_items) if person else []
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    # Oldest first (to the second, then by number, as the status view's times read).
    mine.sort(key=lambda p: (as_utc(p.waiting_since).replace(microsecond=0), p.id))
    today, cal = _today(), calendar.load()
    return {
        "person": f"{person.name}（{username}）" if person else username,
        "items": [_queued(session, pub, units, username, today, cal) for pub in mine],
    }


def _queued(
    session: Session,
    pub: Publication,
    units: dict[int, str],
    username: str,
    today: date,
    cal: WorkCalendar,
) -> dict:
    """One line of a person's queue."""
    chain = chain_of(session, pub)
    label = chain.label_of(pub.stage) if pub.stage else None
    return {
        "id": pub.id,
        "title": pub.title,
        "unit": units[pub.unit_id],
        "category": pub.category,
        "revision": pub.current_revision,
        "what": f"待{label}" if label else "退回修改：待您修改后重新提交",
        "since": local_time(pub.waiting_since),
        "waited": waited(pub.waiting_since),
        "deadline": step_deadline(pub, chain, today, cal),
        "link": review_link(username, pub.id, pub.stage.value, pub.current_revision)
        if pub.stage
        else None,
    }
