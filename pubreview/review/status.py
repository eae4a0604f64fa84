"""Where items stand: status, whom they wait on and since when, and their ledger history."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Person, Publication, Status, Unit
from models.base import as_utc, utcnow
from pubreview import ledger, publishing
from pubreview.chains.binding import chain_of
from pubreview.clock import local_time
from pubreview.labels import STATUS_LABEL
from pubreview.notify.records import failed_deliveries
from pubreview.review import deciders
from pubreview.review.submission import screening_record
from pubreview.review.workflow import OPEN


@dataclass
class ItemStatus:
    """One publication's position in the procedure."""

    id: int
    title: str
    unit: str
    submitter: str
    category: str
    channels: list[str]
    revision: int
    status: str
    status_label: str
    stage: str | None
    stage_label: str | None
    waiting_on: list[str]
    since: str
    waited_hours: float
    channel_status: dict[str, str | None] = field(default_factory=dict)
    failed_notifications: int = 0
    notification_failures: list[str] = field(default_factory=list)
    screening: list[str] = field(default_factory=list)
    publish_at: str | None = None

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return asdict(self)


def item_status(session: Session, pub: Publication) -> ItemStatus:
    """Build the status view of one publication."""
    unit = session.get(Unit, pub.unit_id)
    submitter = session.get(Person, pub.submitter_id)
    since = as_utc(pub.waiting_since)
    out = publishing.published_channels(session, pub.id)
    undelivered = [f.describe() for f in failed_deliveries(session, pub.id)]
    return ItemStatus(
        id=pub.id,
        title=pub.title,
        unit=unit.name,
        submitter=submitter.username,
        category=pub.category,
        channels=list(pub.channels),
        revision=pub.current_revision,
        status=pub.status.value,
        status_label=STATUS_LABEL[pub.status],
        stage=pub.stage.value if pub.stage else None,
        stage_label=chain_of(session, pub).label_of(pub.stage) if pub.stage else None,
        waiting_on=[p.username for p in deciders.eligible(session, pub)],
        since=since.isoformat(timespec="seconds"),
        waited_hours=round((utcnow() - since).total_seconds() / 3600, 2),
        channel_status={c: (out[c].url if c in out else None) for c in pub.channels}
        if pub.status in (Status.PUBLISHED, Status.RETRACTED)
        else {},
        failed_notifications=len(undelivered),
        notification_failures=undelivered,
        screening=[
            f"{f['severity'].upper()} {f['location']}:{f['line']} {f['reason']} 「{f['excerpt']}」"
            for f in screening_record(session, pub.id, pub.current_revision).findings
        ],
        publish_at=when.isoformat(timespec="minutes")
        if (when := publishing.publish_at(session, pub)) and pub.status is Status.SCHEDULED
        else None,
    )


def list_status(session: Session, only_open: bool = False) -> list[ItemStatus]:
    """Status of every publication (or only those still moving), oldest first."""
    query = select(Publication).order_by(Publication.id)
    if only_open:
        query = query.where(Publication.status.in_(list(OPEN)))
    return [item_status(session, pub) for pub in session.scalars(query)]


def describe(item: ItemStatus) -> str:
    """One human-readable line (or two) for an item."""
    where = f"{item.status_label}"
    if item.stage_label:
        where += f" · 待{item.stage_label}"
    line = (
        f"#{item.id} {item.title} [{item.unit} · {item.category} · "
        f"{'/'.join(item.channels)}] r{item.revision}: {where}"
    )
    if item.publish_at:
        line += f"\n    goes out at {item.publish_at}"
    if item.waiting_on:
        line += (
            f"\n    waits on {', '.join(item.waiting_on)} since {local_time(item.since)} "
            f"({item.waited_hours} h)"
        )
    if item.channel_status:
        line += "\n    " + "; ".join(
            f"{c}: {u or 'pending'}" for c, u in item.channel_status.items()
        )
    for finding in item.screening:
        line += f"\n    screening: {finding}"
    for failure in item.notification_failures:
        line += f"\n    ! notification not delivered: {failure}"
    return line


def history_rows(session: Session, publication_id: int) -> list[dict]:
    """The publication's ledger entries as plain rows."""
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "at": as_utc(e.created_at).isoformat(timespec="seconds"),
            "revision": e.revision,
            "stage": e.stage,
            "actor": e.actor,
            "outcome": e.outcome,
            "comment": e.comment,
            "flow_run_id": e.flow_run_id,
            "payload": e.payload,
            "hash": e.hash,
        }
        for e in ledger.history(session, publication_id)
    ]


def format_history(rows: list[dict]) -> str:
    """History as text lines."""
    lines = []
    for r in rows:
        parts = [f"{r['id']:>6} {local_time(r['at'], seconds=True)} {r['kind']}"]
        parts += [str(r[k]) for k in ("stage", "outcome") if r[k]]
        if r["revision"]:
            parts.append(f"r{r['revision']}")
        if r["actor"]:
            parts.append(f"by {r['actor']}")
        if r["comment"]:
            parts.append(f"— {r['comment']}")
        lines.append(" ".join(parts))
    return "\n".join(lines) or "(no entries)"
