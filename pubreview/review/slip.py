"""The 审批表 (approval slip): every step an item went through, as offices keep it 以备核查.

One row per step a person (or the system) took: submission, screening, each stage's decision,
each channel going out, retraction and media adoption — who (name and username), in which
role, what they decided, their opinion, when (office time) and the fingerprint of the revision
they acted on. Read from the ledger only; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Person, Revision, Role, Unit
from models.base import as_utc
from pubreview import ledger
from pubreview.chains.binding import chain_of
from pubreview.chains.definitions import Chain
from pubreview.labels import (
    ADOPTION_LEVEL_LABEL,
    KIND_LABEL,
    SCREEN_LABEL,
    STATUS_LABEL,
    VIA_LABEL,
    outcome_label,
    stage_label,
)
from pubreview.publishing import OFFICE_TIMEZONE
from pubreview.publishing.entries import Adopted, Imported, Published, Retracted
from pubreview.review import entries
from pubreview.review.deciders import ROLE_LABEL
from pubreview.review.entries import Decided, Submitted
from pubreview.review.submission import get

# Process bookkeeping, not steps anyone took: a stage opening, a message being delivered.
_NOT_STEPS = frozenset({LedgerKind.STAGE_OPENED, LedgerKind.NOTIFIED})
SYSTEM = "system"


@dataclass(frozen=True)
class SlipStep:
    """One row of the slip."""

    entry_id: int
    at: datetime  # in the office time zone
    step: str  # 提交, 保密预检, 初审, 审签, 中心发布, 发布（微博）, 撤回, 媒体采用 …
    revision: int | None
    name: str
    username: str
    role: str
    decision: str
    opinion: str
    fingerprint: str | None
    notes: list[str] = field(default_factory=list)
    acting_for: str | None = None  # 代签: the person signed for, "name（username）"


@dataclass(frozen=True)
class Slip:
    """The 审批表 of one item."""

    id: int
    title: str
    unit: str
    submitter: str  # "name（username）"
    category: str
    channels: list[str]
    status: str
    revision: int
    fingerprint: str
    submitted_at: datetime
    steps: list[SlipStep]
    ledger_head: str  # hash of the item's last ledger entry: what the printed slip vouches for


def _who(people: dict[str, Person], username: str | None) -> tuple[str, str]:
    if not username or username == SYSTEM:
        return "系统", SYSTEM
    person = people.get(username)
    return (person.name if person else username), username


def _role(entry: LedgerEntry, unit: Unit, chain: Chain, units: dict[str, str]) -> str:
    """The role the step was taken in, with the unit where the role is held per unit."""
    if entry.actor in (None, SYSTEM):
        return "系统"
    if entry.kind in (LedgerKind.SUBMITTED, LedgerKind.RESUBMITTED):
        return f"{unit.name}·{ROLE_LABEL[Role.SUBMITTER.value]}"
    if entry.kind == LedgerKind.DECIDED and chain.has(entry.stage):
        step = chain.step(entry.stage)
        label = ROLE_LABEL[step.role.value]
        if step.named_unit is not None:
            return f"{units.get(step.named_unit, step.named_unit)}·{label}"
        return f"{unit.name}·{label}" if step.unit_scoped else label
    if entry.kind == LedgerKind.IMPORTED:
        return "台帐导入"
    if entry.kind == LedgerKind.REASSIGNED:
        return ROLE_LABEL[Role.ADMIN.value]
    return ROLE_LABEL[Role.CENTER.value]


def _decision(entry: LedgerEntry, chain: Chain) -> tuple[str, str, list[str]]:
    """(step, decision, notes) of one entry."""
    p = entry.payload or {}
    kind = entry.kind
    if kind == LedgerKind.DECIDED:
        decided = Decided.from_payload(p)
        notes = []
        if decided.attest_no_secrets:
            notes.append("已确认无涉密及个人隐私内容")
        if decided.screening_override:
            notes.append(f"预检提示经审核放行：{decided.screening_override}")
        if decided.publish_time is not None:
            notes.append(
                f"定时发布：{decided.publish_time.astimezone(OFFICE_TIMEZONE):%Y-%m-%d %H:%M}"
            )
        notes += [f"{c}：{u}" for c, u in decided.urls.items() if u]
        if decided.via in VIA_LABEL:
            notes.append(f"经{VIA_LABEL[decided.via]}办理")
        return _step_label(entry, chain), outcome_label(entry.outcome), notes
    if kind == LedgerKind.REASSIGNED:
        moved = entries.Reassigned.from_payload(p)
        # A 会签 seat names the member whose place moved.
        whose = f" {moved.seat} 的会签席位" if moved.seat else ""
        notes = [f"经{VIA_LABEL[moved.via]}办理"] if moved.via in VIA_LABEL else []
        return _step_label(entry, chain), f"{KIND_LABEL[kind]}{whose}给 {moved.to}", notes
    if kind == LedgerKind.SCREENED:
        blocking = entries.ScreeningRecord.from_payload(p).blocking
        notes = [f"阻断问题 {blocking} 处"] if blocking else []
        return KIND_LABEL[kind], SCREEN_LABEL.get(entry.outcome, entry.outcome or ""), notes
    if kind == LedgerKind.PUBLISHED:
        published = Published.from_payload(p)
        notes = [published.url] if published.url else []
        return f"发布（{published.channel}）", "已发布", notes
    if kind == LedgerKind.RETRACTED:
        notes = ["因保密原因撤回"] if Retracted.from_payload(p).confidentiality else []
        return KIND_LABEL[kind], "撤回", notes
    if kind == LedgerKind.ADOPTED:
        adopted = Adopted.from_payload(p)
        level = ADOPTION_LEVEL_LABEL.get(adopted.level, adopted.level)
        notes = [adopted.url] if adopted.url else []
        return KIND_LABEL[kind], f"{level}采用：{adopted.outlet}", notes
    return KIND_LABEL.get(kind, kind), KIND_LABEL.get(kind, kind), []


def _step_label(entry: LedgerEntry, chain: Chain) -> str:
    """The step's name on the item's chain (a stage outside it by its plain label)."""
    return chain.label_of(entry.stage) if chain.has(entry.stage) else stage_label(entry.stage)


def _opinion(entry: LedgerEntry) -> str:
    if entry.kind == LedgerKind.RETRACTED:
        return Retracted.from_payload(entry.payload).reason or entry.comment or ""
    return entry.comment or ""


def _when(entry: LedgerEntry) -> datetime:
    """When the step happened: a channel's own publish time, else when it was recorded."""
    stated = None
    if entry.kind == LedgerKind.PUBLISHED:
        stated = Published.from_payload(entry.payload).published_at
    moment = datetime.fromisoformat(stated) if stated else as_utc(entry.created_at)
    return moment.astimezone(OFFICE_TIMEZONE)


def _acting_for(entry: LedgerEntry) -> str | None:
    """代签: whom a decision was signed for."""
    return (
        Decided.from_payload(entry.payload).acting_for if entry.kind == LedgerKind.DECIDED else None
    )


def _fingerprint(entry: LedgerEntry) -> str | None:
    """The fingerprint the entry itself records, for the kinds that record one."""
    payload = entry.payload or {}
    if entry.kind in (LedgerKind.SUBMITTED, LedgerKind.RESUBMITTED):
        return Submitted.from_payload(payload).fingerprint or None
    if entry.kind == LedgerKind.DECIDED:
        return Decided.from_payload(payload).fingerprint or None
    if entry.kind == LedgerKind.PUBLISHED:
        return Published.from_payload(payload).fingerprint
    # An imported item's entry (publishing.importer) records the fingerprint of its 台帐 row.
    if entry.kind == LedgerKind.IMPORTED:
        return Imported.from_payload(payload).fingerprint or None
    return None


def approval_slip(session: Session, publication_id: int) -> Slip:
    """The slip of one item, read from its ledger entries in order."""
    pub = get(session, publication_id)
    entries = ledger.history(session, pub.id)
    unit = session.get(Unit, pub.unit_id)
    submitter = session.get(Person, pub.submitter_id)
    usernames = {e.actor for e in entries} | {_acting_for(e) for e in entries}
    people = {
        p.username: p
        for p in session.scalars(select(Person).where(Person.username.in_(usernames - {None})))
    }
    fingerprints = dict(
        session.execute(
            select(Revision.number, Revision.fingerprint).where(Revision.publication_id == pub.id)
        ).all()
    )
    steps = []
    chain = chain_of(session, pub)
    units = dict(session.execute(select(Unit.code, Unit.name)).all())
    for entry in entries:
        if entry.kind in _NOT_STEPS:
            continue
        step, decision, notes = _decision(entry, chain)
        name, username = _who(people, entry.actor)
        acting_for = _acting_for(entry)
        steps.append(
            SlipStep(
                entry_id=entry.id,
                at=_when(entry),
                step=step,
                revision=entry.revision,
                name=name,
                username=username,
                role=_role(entry, unit, chain, units),
                decision=decision,
                opinion=_opinion(entry),
                fingerprint=_fingerprint(entry) or fingerprints.get(entry.revision),
                notes=notes,
                acting_for="{}（{}）".format(*_who(people, acting_for)) if acting_for else None,
            )
        )
    return Slip(
        id=pub.id,
        title=pub.title,
        unit=unit.name,
        submitter=f"{submitter.name}（{submitter.username}）",
        category=pub.category,
        channels=list(pub.channels),
        status=STATUS_LABEL[pub.status],
        revision=pub.current_revision,
        fingerprint=fingerprints.get(pub.current_revision, ""),
        submitted_at=as_utc(pub.created_at).astimezone(OFFICE_TIMEZONE),
        steps=steps,
        ledger_head=entries[-1].hash if entries else "",
    )
