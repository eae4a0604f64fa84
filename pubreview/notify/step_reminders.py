"""Reminders before a review step's deadline, and escalation once it has passed.

The `step-deadlines` flow runs this every morning. Each item waiting on a step with a deadline
(`deadline_days` in the chains file) reminds those who may decide the step now, once when the
deadline is `within` working days away (期限将至) and once on the day (今日到期); once it has
passed, those above the step hear of it once (已逾期, `chains.deadlines.escalation_to`). Each
notice goes through the ordinary delivery path under a key of item, revision, step, kind,
deadline and recipient, so it is sent once; the item coming to the step again (a new
deadline) earns new ones. The gate is the disclosure reminders' one: nothing on a day off or
in the quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models import Person, Publication, Role, Unit
from models.base import utcnow
from pubreview import clock, db, settings
from pubreview.accounts import org
from pubreview.chains import deadlines
from pubreview.chains.deadlines import StepDeadline
from pubreview.labels import REMINDER_LABEL, days_text
from pubreview.links import review_link
from pubreview.notify.delivery import (
    Delivery,
    RetryPolicy,
)
from pubreview.notify.entries import delivery_key
from pubreview.notify.messages import Message, render
from pubreview.notify.reminders import (
    OVERDUE,
    UPCOMING,
    ReminderRun,
    kind_of,
    routing_or_problem,
    send_planned,
)
from pubreview.requests import calendar
from pubreview.requests.calendar import WorkCalendar


@dataclass(frozen=True)
class StepReminderDelivery(Delivery):
    """A reminder (or an escalation) to one person about one step's deadline."""

    due_on: date

    def key(self, service: str) -> str:
        """Once per item, revision, step, kind, deadline, recipient and service."""
        what = f"{self.event}:{self.stage}:{self.due_on.isoformat()}"
        return delivery_key(self.publication_id, self.revision, what, self.recipient, service)

    def details(self) -> dict[str, object]:
        """The deadline the entry is about."""
        return {"due_on": self.due_on.isoformat()}


@dataclass(frozen=True)
class DueStep:
    """A waiting step whose deadline calls for a notice today, and whom it reaches."""

    deadline: StepDeadline
    kind: str  # UPCOMING, DUE_TODAY or OVERDUE
    recipients: tuple[Person, ...]

    @property
    def event(self) -> str:
        """The notice's event name (its template folder under templates/notify/)."""
        return f"step_{self.kind}"


def due_steps(
    session: Session, *, today: date, within: int, cal: WorkCalendar
) -> tuple[list[DueStep], list[str]]:
    """Waiting steps due within `within` working days or overdue; and any not counted or told."""
    found: list[DueStep] = []
    open_ones, problems = deadlines.open_deadlines(session, today=today, cal=cal)
    for d in open_ones:
        kind = kind_of(d.days_left, within)
        # On the day the item came to the step its deciders were just told of it.
        if kind is None or (kind == UPCOMING and d.arrived_on >= today):
            continue
        people = deadlines.escalation_to(session, d) if kind == OVERDUE else d.deciders
        if not people:
            who = "分管领导或管理员" if kind == OVERDUE else "可决定该环节的人员"
            problems.append(
                f"第 {d.publication_id} 号信息的{d.label}{days_text(d.days_left)}，"
                f"但组织中没有{who}可通知"
            )
            continue
        found.append(DueStep(d, kind, tuple(people)))
    return found, problems


def message_for(session: Session, due: DueStep, to: Person) -> Message:
    """The notice telling one person about one step's deadline."""
    d = due.deadline
    pub = session.get(Publication, d.publication_id)
    web = settings.load().web_url
    if due.kind == OVERDUE:
        # An administrator may reassign the step (改派); a leader opens the item.
        admin = org.holds(session, to.id, Role.ADMIN)
        link = f"{web}admin/reassign/{pub.id}" if admin else f"{web}items/{pub.id}"
    else:
        link = review_link(to.username, pub.id, d.step, d.revision) or f"{web}queue"
    return render(
        due.event,
        {
            "recipient": to.name,
            "publication_id": pub.id,
            "title": pub.title,
            "unit": session.get(Unit, pub.unit_id).name,
            "revision": d.revision,
            "stage_label": d.label,
            "arrived_on": d.arrived_on.isoformat(),
            "due_on": d.due_on.isoformat(),
            "days_text": days_text(d.days_left),
            "deciders": "、".join(f"{p.name}（{p.username}）" for p in d.deciders)
            or "（无人可决定）",
            "link": link,
        },
    )


@dataclass
class StepReminderRun(ReminderRun[DueStep]):
    """What one pass did: each notice and how its sends ended, or why nothing was sent."""

    def columns(self, due: DueStep) -> dict[str, object]:
        """A notice's own columns: the item, its step and the step's deadline."""
        return {
            "信息": f"第 {due.deadline.publication_id} 号",
            "环节": due.deadline.label,
            "提醒": STEP_REMINDER_LABEL[due.kind],
            "期限": due.deadline.due_on.isoformat(),
            "剩余": days_text(due.deadline.days_left),
        }


# The request reminders' labels, but an overdue step is reported to those above it.
STEP_REMINDER_LABEL = {**REMINDER_LABEL, OVERDUE: "已逾期，报上级"}


def send_step_reminders(
    engine: Engine | None = None,
    *,
    now: datetime | None = None,
    within: int | None = None,
    policy: RetryPolicy | None = None,
    flow_run_id: str | None = None,
    cal: WorkCalendar | None = None,
) -> StepReminderRun:
    """Send today's step reminders and escalations, each once; never raises on a send."""
    local = clock.local(now or utcnow())
    within = settings.load().step_reminder_days if within is None else within
    run = StepReminderRun(local.date(), within)
    cal = cal or calendar.load()
    if run.stays_silent(local, cal):
        return run
    with db.transaction(engine) as session:
        due, run.problems = due_steps(session, today=run.today, within=run.within, cal=cal)
        routing, problem = routing_or_problem(session)
        planned = [
            (
                d,
                StepReminderDelivery(
                    d.deadline.publication_id,
                    d.deadline.revision,
                    d.deadline.step,
                    d.event,
                    p.username,
                    due_on=d.deadline.due_on,
                ),
                message_for(session, d, p),
                routing.targets(p.username) if routing else [],
            )
            for d in due
            for p in d.recipients
        ]
    send_planned(run, planned, problem, engine=engine, policy=policy, flow_run_id=flow_run_id)
    return run
