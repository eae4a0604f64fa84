"""征求第三方意见 (第三十二条): the third party has 15 working days; those days do not count.

While a consultation is open the request has no deadline; when the answer is recorded (or
the third party's period ended without one) the working days spent, at most 15, are added.
The third party may be a private person: its name stays in the consultation's row.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DisclosureRequest, RequestConsultation
from models.requests import RequestStatus
from pubreview.errors import DecisionRefused, NotFound, ValidationError
from pubreview.requests import access, calendar, deadlines, entries, store
from pubreview.requests.calendar import WorkCalendar
from pubreview.requests.correction import status_word


def consult(
    session: Session,
    request_id: int,
    *,
    actor: str,
    third_party: str,
    sent_on: date,
    cal: WorkCalendar | None = None,
) -> RequestConsultation:
    """Record a 征求意见函 sent to a third party; the deadline waits until it answers."""
    person = access.handler(session, actor)
    req = store.get(session, request_id, for_update=True)
    if req.status is not RequestStatus.OPEN:
        raise DecisionRefused(f"第 {req.id} 号申请当前不能征求第三方意见（{status_word(req)}）")
    third_party = store.text_of(third_party, "第三方", limit=store.THIRD_PARTY_LIMIT, one_line=True)
    store.check_day(sent_on, "征求意见发出日期", not_before=req.clock_from, after="起算日")
    if req.due_on is not None and sent_on > req.due_on:
        raise ValidationError(
            f"答复期限（{req.due_on.isoformat()}）已过，不能再征求第三方意见", field="sent_on"
        )
    cal = cal or calendar.load()
    c = RequestConsultation(
        request_id=req.id,
        third_party=third_party,
        sent_on=sent_on,
        reply_due_on=cal.add(sent_on, deadlines.THIRD_PARTY_DAYS),
    )
    session.add(c)
    req.status = RequestStatus.CONSULTING
    store.refresh(session, req, cal)
    entries.record(
        session,
        entries.Consulted(req.id, c.id, sent_on, c.reply_due_on, entries.digest(third_party)),
        actor=person.username,
    )
    return c


def answered(
    session: Session,
    request_id: int,
    *,
    actor: str,
    answered_on: date,
    agreed: bool | None = None,
    opinion: str | None = None,
    cal: WorkCalendar | None = None,
) -> DisclosureRequest:
    """Record the third party's answer (agreed None: no answer in its period)."""
    person = access.handler(session, actor)
    req = store.get(session, request_id, for_update=True)
    c = session.scalars(
        select(RequestConsultation).where(
            RequestConsultation.request_id == req.id, RequestConsultation.answered_on.is_(None)
        )
    ).first()
    if c is None:
        raise NotFound(f"第 {req.id} 号申请没有正在等待答复的第三方意见")
    store.check_day(answered_on, "第三方答复日期", not_before=c.sent_on, after="发出日期")
    cal = cal or calendar.load()
    c.answered_on = answered_on
    c.opinion = store.text_of(opinion, "第三方意见", required=False) or None
    req.status = RequestStatus.OPEN
    excluded = deadlines.excluded_days(cal, c, req.clock_from)
    req.excluded_days += excluded
    found = store.refresh(session, req, cal)
    entries.record(
        session,
        entries.ConsultAnswered(req.id, c.id, answered_on, excluded, found.due_on, agreed),
        actor=person.username,
    )
    return req
