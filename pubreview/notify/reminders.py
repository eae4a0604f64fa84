"""Reminders before a disclosure request's deadline, and escalation to the head once it passes.

The `request-deadlines` flow runs this every morning. Each open request whose reply deadline
is within `reminder_days` working days reminds its handler once (期限将至), once more on the
last day (今日到期), and once it has passed reaches those who approve for the head (已逾期).
Each notice goes through the ordinary delivery path (Apprise, every attempt in the ledger) under
a key of request, kind, deadline and recipient: a second run the same day, or any later day,
sends nothing again; an extension moves the deadline and so earns a new reminder. Nothing goes
out on a day off or in the quiet hours. The applicant's name and contact are never in a notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import DisclosureRequest, Person
from models.base import utcnow
from models.requests import RequestStatus
from pubreview import clock, db, settings
from pubreview.errors import ValidationError
from pubreview.labels import DELIVERY_LABEL, REMINDER_LABEL, REQUEST_STATUS_LABEL, days_text
from pubreview.notify.config import Routing, load_routing
from pubreview.notify.delivery import (
    Delivery,
    DeliveryResult,
    RetryPolicy,
    deliver,
    record_unroutable,
)
from pubreview.notify.entries import reminder_key
from pubreview.notify.messages import Message, render
from pubreview.requests import access, calendar, deadlines, store
from pubreview.requests.calendar import CalendarGap, WorkCalendar

UPCOMING, DUE_TODAY, OVERDUE = "upcoming", "due_today", "overdue"
STAGE = "request_deadline"  # the stage column of a reminder's NOTIFIED entries


@dataclass(frozen=True)
class RequestDelivery(Delivery):
    """A reminder to one person about one request's deadline."""

    request_id: int
    due_on: date

    def key(self, service: str) -> str:
        """Once per request, kind, deadline, recipient and service: a new deadline, a new key."""
        return reminder_key(self.request_id, self.event, self.due_on, self.recipient, service)

    def details(self) -> dict[str, object]:
        """The request and deadline the entry is about."""
        return {"request_id": self.request_id, "due_on": self.due_on.isoformat()}


@dataclass(frozen=True)
class DueRequest:
    """An open request whose deadline calls for a notice today, and whom it reaches."""

    request_id: int
    kind: str  # UPCOMING, DUE_TODAY or OVERDUE
    due_on: date
    days_left: int  # working days; negative once passed
    recipients: tuple[Person, ...]

    @property
    def event(self) -> str:
        """The notice's event name (its template folder under templates/notify/)."""
        return f"request_{self.kind}"


def kind_of(days_left: int, within: int) -> str | None:
    """Which notice a deadline `days_left` working days away calls for (None: not yet)."""
    if days_left < 0:
        return OVERDUE
    if days_left == 0:
        return DUE_TODAY
    return UPCOMING if days_left <= within else None


def _handlers_of(session: Session, req: DisclosureRequest) -> tuple[Person, ...]:
    """The person who registered it, while they still handle requests; else every handler."""
    person = session.scalars(select(Person).where(Person.username == req.registered_by)).first()
    if person is not None and access.may_handle(session, person):
        return (person,)
    return tuple(access.handlers(session))


def due_requests(
    session: Session, *, today: date, within: int, cal: WorkCalendar
) -> tuple[list[DueRequest], list[str]]:
    """Open requests due within `within` working days or overdue; and any that cannot be counted."""
    found: list[DueRequest] = []
    problems: list[str] = []
    rows = session.scalars(
        select(DisclosureRequest)
        .where(DisclosureRequest.status != RequestStatus.CLOSED)
        .where(DisclosureRequest.due_on.is_not(None))
        .order_by(DisclosureRequest.due_on, DisclosureRequest.id)
    )
    for req in rows:
        try:
            left = deadlines.days_left(cal, req.due_on, today)
        except CalendarGap as exc:
            problems.append(f"第 {req.id} 号申请（期限 {req.due_on.isoformat()}）：{exc}")
            continue
        kind = kind_of(left, within)
        if kind is None:
            continue
        people = tuple(access.approvers(session)) if kind == OVERDUE else _handlers_of(session, req)
        if not people:
            who = "负责人（分管领导）" if kind == OVERDUE else "办理申请的人员（中心）"
            problems.append(f"第 {req.id} 号申请{days_text(left)}，但组织中没有{who}可通知")
            continue
        found.append(DueRequest(req.id, kind, req.due_on, left, people))
    return found, problems


def message_for(session: Session, due: DueRequest, to: Person, cal: WorkCalendar) -> Message:
    """The notice telling one person about one request's deadline (no personal data in it)."""
    req = store.get(session, due.request_id)
    handlers = _handlers_of(session, req)
    explained = store.deadline(session, req, cal)
    return render(
        due.event,
        {
            "recipient": to.name,
            "request_id": req.id,
            "content": req.content[:60] + ("…" if len(req.content) > 60 else ""),
            "received_on": req.received_on.isoformat(),
            "due_on": due.due_on.isoformat(),
            "days_text": days_text(due.days_left),
            "handler": "、".join(f"{p.name}（{p.username}）" for p in handlers) or "（无人承办）",
            "status_label": REQUEST_STATUS_LABEL[req.status.value],
            "deadline_text": explained.text(),
            "link": f"{settings.load().web_url}requests/{req.id}",
        },
    )


def why_silent(local: datetime, cal: WorkCalendar) -> tuple[str | None, str | None]:
    """Why no reminder goes out at this office-time moment (quiet hours, a day off); a problem.

    Returns (why skipped, calendar problem); both None when reminders may go out now.
    """
    current = settings.load()
    if current.quiet(local.hour):
        start, end = current.quiet_hours
        return f"{local:%H:%M} 在免打扰时段（{start}:00–{end}:00）内，未发送提醒", None
    try:
        working = cal.is_working(local.date())
    except CalendarGap as exc:
        return None, str(exc)
    if not working:
        return f"{local.date().isoformat()} 不是工作日，未发送提醒（下一个工作日补发）", None
    return None, None


Due = TypeVar("Due")  # what a notice is about: a DueRequest, or a DueStep


@dataclass
class ReminderRun(Generic[Due]):
    """What one pass did: each notice and how its sends ended, or why nothing was sent.

    The request reminders' report; the step reminders' is the same with a step's columns.
    """

    today: date
    within: int
    skipped: str | None = None  # why the pass sent nothing (a day off, the quiet hours)
    notices: list[tuple[Due, str, list[DeliveryResult]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Messages that went out in this pass."""
        return sum(r.outcome == "sent" for _, _, results in self.notices for r in results)

    def rows(self) -> list[dict[str, object]]:
        """One row per notice and recipient, as the run's artifact shows it."""
        return [
            self.columns(due)
            | {
                "收件人": recipient,
                "结果": "、".join(DELIVERY_LABEL.get(r.outcome, r.outcome) for r in results) or "—",
            }
            for due, recipient, results in self.notices
        ]

    def stays_silent(self, local: datetime, cal: WorkCalendar) -> bool:
        """Whether this pass sends nothing now (a day off, the quiet hours, a calendar gap),
        noting why; the gap is a problem to report."""
        self.skipped, problem = why_silent(local, cal)
        if problem is not None:
            self.problems.append(problem)
        return bool(self.skipped or problem)

    def columns(self, due: Due) -> dict[str, object]:
        """A notice's own columns, before its recipient and result."""
        return {
            "申请": f"第 {due.request_id} 号",
            "提醒": REMINDER_LABEL[due.kind],
            "答复期限": due.due_on.isoformat(),
            "剩余": days_text(due.days_left),
        }

    def to_dict(self) -> dict[str, object]:
        """Plain data (the flow's return value)."""
        return {
            "today": self.today.isoformat(),
            "within": self.within,
            "skipped": self.skipped,
            "sent": self.sent,
            "notices": self.rows(),
            "problems": self.problems,
        }


def send_reminders(
    engine: Engine | None = None,
    *,
    now: datetime | None = None,
    within: int | None = None,
    policy: RetryPolicy | None = None,
    flow_run_id: str | None = None,
    cal: WorkCalendar | None = None,
) -> ReminderRun:
    """Send today's reminders and escalations, each once; never raises on a send."""
    current = settings.load()
    local = clock.local(now or utcnow())
    run = ReminderRun(local.date(), current.reminder_days if within is None else within)
    cal = cal or calendar.load()
    if run.stays_silent(local, cal):
        return run
    with db.transaction(engine) as session:
        due, run.problems = due_requests(session, today=run.today, within=run.within, cal=cal)
        routing, problem = routing_or_problem(session)
        planned = [
            (
                d,
                RequestDelivery(
                    None, None, STAGE, d.event, p.username, request_id=d.request_id, due_on=d.due_on
                ),
                message_for(session, d, p, cal),
                routing.targets(p.username) if routing else [],
            )
            for d in due
            for p in d.recipients
        ]
    send_planned(run, planned, problem, engine=engine, policy=policy, flow_run_id=flow_run_id)
    return run


def routing_or_problem(session: Session) -> tuple[Routing | None, str | None]:
    """The notification routing, or why it cannot be loaded (the notices are then recorded)."""
    try:
        return load_routing(session), None
    except ValidationError as exc:
        return None, str(exc)


def send_planned(
    run: Any,
    planned: list[tuple[Any, Any, Message, list]],
    problem: str | None,
    *,
    engine: Engine | None,
    policy: RetryPolicy | None,
    flow_run_id: str | None,
) -> None:
    """Send each planned notice once (or record it unroutable), adding it to `run.notices`.

    `run` is a ReminderRun or a StepReminderRun: both keep `problems` and `notices`.
    """
    if problem is not None:
        run.problems.append(f"通知配置有误，提醒未能发出：{problem}")
    for due, delivery, message, services in planned:
        if problem is not None:
            results = [record_unroutable(delivery, problem, engine=engine, flow_run_id=flow_run_id)]
        else:
            results = deliver(
                delivery, message, services, engine=engine, policy=policy, flow_run_id=flow_run_id
            )
        run.notices.append((due, delivery.recipient, results))
