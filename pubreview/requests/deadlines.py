"""A request's deadline, and how it was counted (条例 第三十条、第三十二条、第三十三条).

20 working days from the day the request counts as received, or from the day a correction
arrived (补正 restarts the clock); plus the working days a third party took to answer (at
most its 15); plus one extension of at most 20 working days approved by the head. While the
office waits for a correction or a third party, the clock does not run and there is no date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.requests import DisclosureRequest, RequestConsultation, RequestStatus
from pubreview.requests.calendar import WorkCalendar

REPLY_DAYS = 20  # 第三十三条: 自收到申请之日起20个工作日内予以答复
MAX_EXTENSION_DAYS = 20  # 延长答复的期限最长不得超过20个工作日
CORRECTION_ASK_DAYS = 7  # 第三十条: 收到申请之日起7个工作日内一次性告知补正
CORRECTION_PERIOD_DAYS = 15  # the period the office gives for a correction unless it sets one
THIRD_PARTY_DAYS = 15  # 第三十二条: 第三方应当自收到征求意见书之日起15个工作日内提出意见


@dataclass(frozen=True)
class Deadline:
    """The current deadline (None while the clock waits) and its explanation."""

    due_on: date | None
    waiting: str | None  # why the clock does not run now
    lines: list[str]

    def text(self) -> str:
        """The explanation on one line, as the request's page and `request show` print it."""
        return " → ".join(self.lines)


def excluded_days(cal: WorkCalendar, consultation: RequestConsultation, clock_from: date) -> int:
    """Working days a consultation kept the clock stopped (at most the third party's 15)."""
    if consultation.answered_on is None or consultation.sent_on < clock_from:
        return 0
    return min(cal.count(consultation.sent_on, consultation.answered_on), THIRD_PARTY_DAYS)


def compute(
    cal: WorkCalendar,
    req: DisclosureRequest,
    consultations: list[RequestConsultation],
    *,
    basis: str,
) -> Deadline:
    """The deadline of a request as it now stands; `basis` says why it counts from receipt."""
    restarted = req.clock_from != req.received_on
    if restarted:
        lines = [f"补正材料 {req.clock_from.isoformat()} 收到，重新起算"]
    else:
        lines = [f"收到 {req.received_on.isoformat()}（{basis}）"]
    if req.status is RequestStatus.CORRECTION:
        due = req.correction_due_on.isoformat() if req.correction_due_on else "未定"
        return Deadline(None, f"等待申请人补正（补正期限 {due}），答复期限暂停", lines)
    open_ones = [c for c in consultations if c.answered_on is None]
    if open_ones:
        c = open_ones[0]
        return Deadline(
            None,
            f"征求第三方意见中（{c.sent_on.isoformat()} 发出，第三方答复期限 "
            f"{c.reply_due_on.isoformat()}），期间不计入答复期限",
            lines,
        )
    excluded = sum(excluded_days(cal, c, req.clock_from) for c in consultations)
    total = REPLY_DAYS + excluded + req.extension_days
    terms = [f"{REPLY_DAYS}个工作日"]
    if excluded:
        terms.append(f"征求第三方意见 {excluded}个工作日不计")
    if req.extension_days:
        terms.append(f"延期 {req.extension_days}个工作日")
    if len(terms) > 1:
        lines.append(" + ".join(terms) + f" = {total}个工作日")
    lines += cal.explain(req.clock_from, total)
    return Deadline(cal.add(req.clock_from, total), None, lines)


def days_left(cal: WorkCalendar, due_on: date, today: date) -> int:
    """Working days from today to the deadline; negative when it has passed."""
    if due_on >= today:
        return cal.count(today, due_on)
    return -cal.count(due_on, today)
