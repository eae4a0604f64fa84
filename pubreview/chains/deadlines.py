"""A waiting step's deadline (期限) in working days, and who hears when it is near or past.

A step with `deadline_days` is due that many working days after the day the item came to it
(the day of arrival is not counted, as for a disclosure request), on the office's working-day
calendar (holidays and 调休, `pubreview.requests.calendar`). Until it passes, the people who may
decide the step now are reminded — `deciders.eligible()` says who, as for every other notice.
Once it has passed, those above the step hear of it: the 分管领导 of the submitting unit (and of
the unit the step names) who are not themselves waited on; with none, the office's
administrators, who may reassign the step (改派).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Person, Publication, Role, Status
from pubreview import clock
from pubreview.accounts import org
from pubreview.chains.binding import chain_of
from pubreview.chains.definitions import Step
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
        if not chain.has(pub.stage):
            continue
        step = chain.step(pub.stage)
        if step.deadline_days is None:
            continue
        arrived = clock.local(pub.waiting_since).date()
        try:
            due = due_on(cal, step, arrived)
            left = days_left(cal, due, today)
        except CalendarGap as exc:
            problems.append(f"第 {pub.id} 号信息的{step.label}（{arrived.isoformat()} 起）：{exc}")
            continue
        found.append(
            StepDeadline(
                publication_id=pub.id,
                revision=pub.current_revision,
                step=step.id,
                label=step.label,
                arrived_on=arrived,
                due_on=due,
                days_left=left,
                deciders=tuple(deciders.eligible(session, pub)),
            )
        )
    found.sort(key=lambda d: (d.due_on, d.publication_id))
    return found, problems


def escalation_to(session: Session, deadline: StepDeadline) -> tuple[Person, ...]:
    """Who hears that the step's deadline passed: the unit's leaders not waited on, or admins."""
    pub = session.get(Publication, deadline.publication_id)
    step = chain_of(session, pub).step(deadline.step)
    units = {pub.unit_id}
    scope = deciders.step_scope(session, pub, step)
    if scope is not None and scope > 0:
        units.add(scope)
    waited = {p.username for p in deadline.deciders}
    above = {
        p.username: p
        for unit_id in sorted(units)
        for p in org.holders(session, Role.LEADER, unit_id)
        if p.username not in waited and p.id != pub.submitter_id
    }
    if above:
        return tuple(above[u] for u in sorted(above))
    return tuple(p for p in org.holders(session, Role.ADMIN) if p.username not in waited)
