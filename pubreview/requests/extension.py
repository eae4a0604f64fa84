"""延期答复 (第三十三条): once, at most 20 working days, with the head's approval.

The extension is decided before the deadline passes and the applicant is told in writing
(延期答复告知书) on `notified_on`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from models import DisclosureRequest
from models.requests import RequestStatus
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.requests import access, calendar, deadlines, entries, store
from pubreview.requests.calendar import WorkCalendar
from pubreview.requests.correction import status_word


def extend(
    session: Session,
    request_id: int,
    *,
    actor: str,
    days: int,
    approved_by: str,
    notified_on: date,
    reason: str,
    cal: WorkCalendar | None = None,
) -> DisclosureRequest:
    """Extend the deadline by `days` working days (once, 1–20), approved by a leader."""
    person = access.handler(session, actor)
    approver = access.approver(session, approved_by)
    req = store.get(session, request_id, for_update=True)
    if entries.done(session, entries.Extended, request_id=req.id):
        raise DecisionRefused(f"第 {req.id} 号申请已经延期过一次，不能再次延期")
    if req.status is not RequestStatus.OPEN:
        raise DecisionRefused(f"第 {req.id} 号申请当前不能延期（{status_word(req)}）")
    if not 1 <= days <= deadlines.MAX_EXTENSION_DAYS:
        raise ValidationError(
            f"延期最长 {deadlines.MAX_EXTENSION_DAYS} 个工作日（填写了 {days}）", field="days"
        )
    reason = store.text_of(reason, "延期理由")
    store.check_day(notified_on, "延期告知日期", not_before=req.clock_from, after="起算日")
    if req.due_on is not None and notified_on > req.due_on:
        raise ValidationError(
            f"延期应在答复期限（{req.due_on.isoformat()}）届满前告知申请人", field="notified_on"
        )
    cal = cal or calendar.load()
    req.extension_days = days
    found = store.refresh(session, req, cal)
    entries.record(
        session,
        entries.Extended(req.id, days, approver.username, notified_on, reason, found.due_on),
        actor=person.username,
    )
    return req
