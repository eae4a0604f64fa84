"""Loading a request, the office's today, and re-deriving the request's cached deadline."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DisclosureRequest, RequestConsultation
from models.base import utcnow
from pubreview import clock, inputs
from pubreview.errors import NotFound, ValidationError
from pubreview.requests import calendar, deadlines
from pubreview.requests.calendar import WorkCalendar
from pubreview.requests.deadlines import Deadline

# 第三十一条: which day counts as received, by channel.
BASIS = {
    "当面": "当面提交，收到之日",
    "邮寄": "邮寄，签收之日",
    "平邮": "平常信函，与申请人确认之日",
    "网上": "网上提交，与申请人确认之日",
    "传真": "传真，与申请人确认之日",
    "电邮": "电子邮件，与申请人确认之日",
}


def office_today() -> date:
    """Today's date in the office's time zone."""
    return clock.local(utcnow()).date()


def get(session: Session, request_id: int, *, for_update: bool = False) -> DisclosureRequest:
    """The request, or NotFound; `for_update` locks its row on PostgreSQL."""
    query = select(DisclosureRequest).where(DisclosureRequest.id == request_id)
    if for_update:
        query = query.with_for_update()
    found = session.scalars(query).first()
    if found is None:
        raise NotFound(f"没有第 {request_id} 号政府信息公开申请")
    return found


def consultations(session: Session, request_id: int) -> list[RequestConsultation]:
    """The request's third-party consultations, oldest first."""
    return list(
        session.scalars(
            select(RequestConsultation)
            .where(RequestConsultation.request_id == request_id)
            .order_by(RequestConsultation.id)
        )
    )


def deadline(session: Session, req: DisclosureRequest, cal: WorkCalendar | None = None) -> Deadline:
    """The request's deadline as it now stands, with its explanation."""
    return deadlines.compute(
        cal or calendar.load(),
        req,
        consultations(session, req.id),
        basis=BASIS[req.channel.value],
    )


def refresh(session: Session, req: DisclosureRequest, cal: WorkCalendar | None = None) -> Deadline:
    """Recompute the cached deadline after a step (the caller appends the step's entry)."""
    session.flush()
    found = deadline(session, req, cal)
    req.due_on = found.due_on
    return found


def check_day(on: date, label: str, *, not_before: date | None = None, after: str = "") -> date:
    """A date a person gave: not in the future, not before `not_before`."""
    if on > office_today():
        raise ValidationError(f"{label}（{on.isoformat()}）不能晚于今天", field=label)
    if not_before is not None and on < not_before:
        raise ValidationError(
            f"{label}（{on.isoformat()}）不能早于{after}（{not_before.isoformat()}）", field=label
        )
    return on


# Limits in characters. A field with a column of bounded length takes the column's, so the
# rule is the same on SQLite (which would store anything) and PostgreSQL (which would raise
# StringDataRightTruncation); a `Text` column is held to a length any letter or note fits.
NAME_LIMIT = DisclosureRequest.__table__.c.applicant_name.type.length
CONTACT_LIMIT = DisclosureRequest.__table__.c.applicant_contact.type.length
THIRD_PARTY_LIMIT = RequestConsultation.__table__.c.third_party.type.length
CONTENT_LIMIT = 20000
NOTE_LIMIT = 4000


def text_of(
    value: str | None,
    label: str,
    *,
    required: bool = True,
    limit: int = NOTE_LIMIT,
    one_line: bool = False,
) -> str:
    """Trimmed text a person gave, checked the same way whichever way it came in.

    Required unless said otherwise; at most `limit` characters; no NUL, control or bidi
    characters (the input boundary's rule, here too for the imported lists); `one_line` (a
    name) refuses line breaks.
    """
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"请填写{label}", field=label)
    if len(value) > limit:
        raise ValidationError(
            f"{label}有 {len(value)} 个字，最多 {limit} 个字，请删减后再提交", field=label
        )
    if problem := inputs.text_problem(value, one_line=one_line):
        raise ValidationError(f"{label}{problem}", field=label)
    return value
