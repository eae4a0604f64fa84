"""补正: the office asks the applicant, once, to correct an unclear request (第三十条).

The notice is due within 7 working days of receipt; a later one is allowed only with a reason
(and says so in the ledger). While the office waits the deadline does not run; when the
correction arrives the 20 working days count again from that day. No correction within the
period the office set: the request is closed as （六）1 (see `outcome.close`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from models import DisclosureRequest
from models.requests import RequestStatus
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.labels import REQUEST_STATUS_LABEL
from pubreview.requests import access, calendar, deadlines, entries, store
from pubreview.requests.calendar import WorkCalendar


def ask(
    session: Session,
    request_id: int,
    *,
    actor: str,
    asked_on: date,
    what: str,
    correction_due_on: date | None = None,
    late_reason: str | None = None,
    cal: WorkCalendar | None = None,
) -> DisclosureRequest:
    """Record the 补正告知; the applicant has until `correction_due_on` (default: 15 days)."""
    person = access.handler(session, actor)
    req = store.get(session, request_id, for_update=True)
    if entries.done(session, entries.CorrectionAsked, request_id=req.id):
        raise DecisionRefused(f"第 {req.id} 号申请已经告知过补正：补正只能一次性告知")
    if req.status is not RequestStatus.OPEN:
        raise DecisionRefused(f"第 {req.id} 号申请当前不能要求补正（{status_word(req)}）")
    what = store.text_of(what, "需要补正的内容")
    store.check_day(asked_on, "补正告知日期", not_before=req.received_on, after="收到申请之日")
    cal = cal or calendar.load()
    window_ends = cal.add(req.received_on, deadlines.CORRECTION_ASK_DAYS)
    late = store.text_of(late_reason, "逾期告知补正的理由", required=False) or None
    if asked_on > window_ends and late is None:
        raise ValidationError(
            f"补正应在收到申请后7个工作日内（{window_ends.isoformat()} 前）告知；"
            "逾期告知请写明理由",
            field="late_reason",
        )
    due = correction_due_on or cal.add(asked_on, deadlines.CORRECTION_PERIOD_DAYS)
    if due <= asked_on:
        raise ValidationError("补正期限应晚于告知日期", field="correction_due_on")
    req.status = RequestStatus.CORRECTION
    req.correction_due_on = due
    store.refresh(session, req, cal)
    entries.record(
        session,
        entries.CorrectionAsked(
            req.id, asked_on, due, what, late if asked_on > window_ends else None
        ),
        actor=person.username,
    )
    return req


def corrected(
    session: Session,
    request_id: int,
    *,
    actor: str,
    corrected_on: date,
    cal: WorkCalendar | None = None,
) -> DisclosureRequest:
    """The correction arrived: the deadline counts again from `corrected_on`."""
    person = access.handler(session, actor)
    req = store.get(session, request_id, for_update=True)
    if req.status is not RequestStatus.CORRECTION:
        raise DecisionRefused(f"第 {req.id} 号申请没有在等待补正（{status_word(req)}）")
    asked_on = entries.done(session, entries.CorrectionAsked, request_id=req.id).asked_on
    store.check_day(corrected_on, "补正材料收到日期", not_before=asked_on, after="补正告知日期")
    cal = cal or calendar.load()
    req.status = RequestStatus.OPEN
    req.clock_from = corrected_on
    req.excluded_days = 0  # consultations before the restart no longer count
    found = store.refresh(session, req, cal)
    late = req.correction_due_on is not None and corrected_on > req.correction_due_on
    entries.record(
        session,
        entries.Corrected(req.id, corrected_on, found.due_on, late),
        actor=person.username,
    )
    return req


def status_word(req: DisclosureRequest) -> str:
    """The request's status in Chinese."""
    return REQUEST_STATUS_LABEL[req.status.value]
