"""Where an item stands on its own chain: each step done, waited on, or still ahead."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Publication, Status, Unit
from models.base import utcnow
from pubreview import clock, ledger
from pubreview.chains import countersign, deadlines
from pubreview.chains.binding import chain_of
from pubreview.chains.definitions import Step
from pubreview.labels import OUTCOME_LABEL, ROLE_LABEL, STATUS_LABEL, days_text
from pubreview.requests.calendar import CalendarGap, WorkCalendar
from pubreview.requests.deadlines import days_left
from pubreview.review import deciders


@dataclass
class StepStanding:
    """One step of the item's chain, for its current revision."""

    id: str
    label: str
    decided_by: str  # who decides it, in words
    deadline_days: int | None
    return_to: str
    state: str  # done, waiting, ahead
    decisions: list[dict] = field(default_factory=list)
    waiting_on: list[str] = field(default_factory=list)
    countersign: str | None = None  # the 会签 rule, and the round's tally while it waits
    due_on: str | None = None  # the waiting step's deadline (a calendar was given)
    due_text: str | None = None  # how far off it is, in working days, or why it has no date


@dataclass
class ChainStanding:
    """An item's chain (name and version as recorded at submission) and its place on it."""

    publication_id: int
    chain: str
    version: str
    revision: int
    status: str
    status_label: str
    steps: list[StepStanding]

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return asdict(self)


def _due(cal: WorkCalendar, step: Step, pub: Publication) -> tuple[str | None, str]:
    """The waiting step's deadline and how far off it is (or why it cannot be counted)."""
    try:
        due = deadlines.due_on(cal, step, clock.local(pub.waiting_since).date())
        left = days_left(cal, due, clock.local(utcnow()).date())
    except CalendarGap as exc:
        return None, f"期限无法计算：{exc}"
    return due.isoformat(), days_text(left)


def standing(
    session: Session, pub: Publication, *, cal: WorkCalendar | None = None
) -> ChainStanding:
    """The item's chain and where the current revision stands on it.

    With the office calendar, the waiting step's deadline (if it has one) is counted too.
    """
    chain = chain_of(session, pub)
    decided = ledger.decisions_on(session, pub.id, pub.current_revision)
    waiting = pub.stage.value if pub.status is Status.IN_REVIEW and pub.stage else None
    at = chain.index(waiting) if waiting and chain.has(waiting) else None
    units = dict(session.execute(select(Unit.code, Unit.name)).all())
    steps = []
    for i, step in enumerate(chain.steps):
        entries = [e for e in decided if e.stage == step.id]
        if waiting == step.id:
            state = "waiting"
        elif entries and (at is None or i < at):
            state = "done"
        else:
            state = "ahead"
        who = ROLE_LABEL[step.role.value]
        if step.unit_scoped:
            who = f"报送单位的{who}"
        elif step.named_unit:
            who = f"{units.get(step.named_unit, step.named_unit)}的{who}"
        else:
            who = f"全办{who}"
        group = None
        if step.group is not None:
            members = deciders.group_members(session, pub, step)
            group = countersign.describe_rule(step.group, len(members))
            if step.group.members:
                who = "、".join(step.group.members)
            if state == "waiting":
                votes = deciders.round_votes(session, pub, step)
                entries = votes
                group += (
                    "；"
                    + countersign.tally(
                        step.group,
                        [p.username for p in members],
                        [(countersign.counted(e), e.outcome) for e in votes],
                    ).describe()
                )
        due_on = due_text = None
        if state == "waiting" and step.deadline_days and cal is not None:
            due_on, due_text = _due(cal, step, pub)
        steps.append(
            StepStanding(
                id=step.id,
                label=step.label,
                decided_by=who,
                deadline_days=step.deadline_days,
                return_to=step.return_to,
                state=state,
                decisions=[
                    {"actor": e.actor, "outcome": e.outcome, "entry": e.id, "comment": e.comment}
                    for e in entries
                ],
                waiting_on=[p.username for p in deciders.eligible(session, pub)]
                if state == "waiting"
                else [],
                countersign=group,
                due_on=due_on,
                due_text=due_text,
            )
        )
    return ChainStanding(
        publication_id=pub.id,
        chain=chain.name,
        version=chain.version,
        revision=pub.current_revision,
        status=pub.status.value,
        status_label=STATUS_LABEL[pub.status],
        steps=steps,
    )


def describe(item: ChainStanding) -> str:
    """The standing as text lines, in Chinese."""
    mark = {"done": "✓", "waiting": "→", "ahead": "·"}
    lines = [
        f"第 {item.publication_id} 号信息 · 审核链 {item.chain}（版本 {item.version}）"
        f" · 第 {item.revision} 稿 · {item.status_label}"
    ]
    for n, s in enumerate(item.steps, 1):
        line = f"  {mark[s.state]} {n}. {s.label}（{s.id}）：{s.decided_by}"
        if s.deadline_days:
            line += f"，{s.deadline_days} 个工作日内"
        if s.return_to == "previous":
            line += "，退回上一环节"
        if s.countersign:
            line += f"（{s.countersign}）"
        for d in s.decisions:
            line += f"\n      {d['actor']}：{OUTCOME_LABEL.get(d['outcome'], d['outcome'])}"
            line += f"（台帐第 {d['entry']} 条）"
        if s.due_text:
            due = f"期限：{s.due_on}（{s.due_text}）" if s.due_on else s.due_text
            line += f"\n      {due}"
        if s.state == "waiting":
            line += f"\n      待决定：{'、'.join(s.waiting_on) or '（无人可决定）'}"
        lines.append(line)
    return "\n".join(lines)
