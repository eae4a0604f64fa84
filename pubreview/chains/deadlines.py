"""A waiting step's deadline (期限) in working days, and who hears when it is near or past.

A step with `deadline_days` is due that many working days after the day the item came to it
(the day of arrival is not counted, as for a disclosure request), on the office's working-day
calendar (holidays and 调休, `pubreview.requests.calendar`). Until it passes, the people who may
decide the step now are reminded — `deciders.eligible()` says who, as for every other notice.
Once it has passed, those above the step hear of it: the holders of the role its `escalate_to`
names (scoped as a step's deciders are), else the 分管领导 of the submitting unit (and of the
unit the step names), in either case only those not themselves waited on; with none, the
office's administrators, who may reassign the step (改派). The review page and the queue show
the same deadline (`due_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Person, Publication, Role, Status, Unit
from pubreview import clock
from pubreview.accounts import org
from pubreview.chains.binding import chain_of
from pubreview.chains.definitions import OFFICE, UNIT, Chain, Step
from pubreview.requests.calendar import CalendarGap, WorkCalendar
from pubreview.requests.deadlines import days_left
from pubreview.review import deciders


@dataclass(frozen=True)
class StepDeadline:
    """The deadline of the step one item waits on, and who may decide that step now."""

    publication_id: int
    revision: int
    step: str
    label: str
    arrived_on: date  # office date the item came to the step
    due_on: date
    days_left: int  # working days; negative once passed
    deciders: tuple[Person, ...]


def due_on(cal: WorkCalendar, step: Step, arrived_on: date) -> date | None:
    """The step's deadline for an item that came to it on `arrived_on` (None: no deadline)."""
    if step.deadline_days is None:
        return None
    return cal.add(arrived_on, step.deadline_days)


@dataclass(frozen=True)
class Due:
    """When the step an item waits on is due, counted on the office calendar."""

    step: Step
    arrived_on: date  # office date the item came to the step
    due_on: date
    days_left: int  # working days; negative once passed

    @property
    def overdue(self) -> bool:
        """The deadline has passed."""
        return self.days_left < 0


def due_of(pub: Publication, chain: Chain, *, today: date, cal: WorkCalendar) -> Due | None:
    """The deadline of the step the item waits on (None: none, or not waiting on a step).

    Raises CalendarGap when the office calendar does not cover the days to count.
    """
    if pub.status is not Status.IN_REVIEW or not chain.has(pub.stage):
        return None
    step = chain.step(pub.stage)
    if step.deadline_days is None:
        return None
    arrived = clock.local(pub.waiting_since).date()
    due = due_on(cal, step, arrived)
    return Due(step, arrived, due, days_left(cal, due, today))


def open_deadlines(
    session: Session, *, today: date, cal: WorkCalendar
) -> tuple[list[StepDeadline], list[str]]:
    """Every waiting step that has a deadline, earliest first; and any that cannot be counted."""
    found: list[StepDeadline] = []
    problems: list[str] = []
    pubs = session.scalars(
        select(Publication)
        .where(Publication.status == Status.IN_REVIEW)
        .order_by(Publication.waiting_since, Publication.id)
    )
    for pub in pubs:
        chain = chain_of(session, pub)
        try:
            due = due_of(pub, chain, today=today, cal=cal)
        except CalendarGap as exc:
            step = chain.step(pub.stage)
            arrived = clock.local(pub.waiting_since).date()
            problems.append(f"第 {pub.id} 号信息的{step.label}（{arrived.isoformat()} 起）：{exc}")
            continue
        if due is None:
            continue
        found.append(
            StepDeadline(
                publication_id=pub.id,
                revision=pub.current_revision,
                step=due.step.id,
                label=due.step.label,
                arrived_on=due.arrived_on,
                due_on=due.due_on,
                days_left=due.days_left,
                deciders=tuple(deciders.eligible(session, pub)),
            )
        )
    found.sort(key=lambda d: (d.due_on, d.publication_id))
    return found, problems


def _escalation_scopes(session: Session, pub: Publication, step: Step) -> tuple[Role, list]:
    """The role and the units (None: the whole office) whose holders hear of an overdue step."""
    target = step.escalate_to
    if target is None:
        # As before escalate_to: the 分管领导 of the submitting unit and of the step's unit.
        units: list[int | None] = [pub.unit_id]
        scope = deciders.step_scope(session, pub, step)
        if scope is not None and scope > 0 and scope != pub.unit_id:
            units.append(scope)
        return Role.LEADER, units
    if target.scope == UNIT:
        return target.role, [pub.unit_id]
    if target.scope == OFFICE:
        return target.role, [None]
    unit = session.scalars(select(Unit.id).where(Unit.code == target.scope)).first()
    return target.role, [unit] if unit is not None else []


def escalation_to(session: Session, deadline: StepDeadline) -> tuple[Person, ...]:
    """Who hears that the step's deadline passed: its escalate_to (else the unit's leaders)
    not waited on, or the administrators."""
    pub = session.get(Publication, deadline.publication_id)
    step = chain_of(session, pub).step(deadline.step)
    role, units = _escalation_scopes(session, pub, step)
    waited = {p.username for p in deadline.deciders}
    above = {
        p.username: p
        for unit_id in units
        for p in org.holders(session, role, unit_id)
        if p.username not in waited and p.id != pub.submitter_id
    }
    if above:
        return tuple(above[u] for u in sorted(above))
    return tuple(p for p in org.holders(session, Role.ADMIN) if p.username not in waited)
