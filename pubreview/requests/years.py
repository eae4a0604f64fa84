"""Closing a year of disclosure requests (年度结转): refused while a request is left hanging.

A year may be closed once it has ended. Every request received in it, or carried into it, must
by then have an outcome, or be carried over to the next year: still open on 31 December and
within its time limit then (its deadline, or the 补正 period it waits on, falls after the year;
征求意见 days do not count). A request whose deadline passed within the year with no outcome
blocks the close: record its outcome first. The close is one ledger entry naming the requests
carried over, so the next year's 二、上年结转 can be checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DisclosureRequest, LedgerKind
from models.requests import RequestStatus
from pubreview.errors import DecisionRefused
from pubreview.requests import access, entries, store


@dataclass(frozen=True)
class YearClosed(entries.Payload):
    """年度结转: the year's requests all have an outcome or were carried over."""

    kind: ClassVar[LedgerKind] = LedgerKind.REQUESTS_YEAR_CLOSED
    key_format: ClassVar[str] = "requests:year:{year}:closed"
    year: int
    closed_on: date
    answered: int  # requests of the year with an outcome dated in it (（七）总计)
    carried_over: list[int]  # request ids open at the year's end (四)


def _of_year(session: Session, year: int) -> list[DisclosureRequest]:
    """Requests received in the year, or before it and not closed before it began."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    return list(
        session.scalars(
            select(DisclosureRequest)
            .where(DisclosureRequest.received_on <= end)
            .where(
                (DisclosureRequest.received_on >= start)
                | (DisclosureRequest.closed_on.is_(None))
                | (DisclosureRequest.closed_on >= start)
            )
            .order_by(DisclosureRequest.id)
        )
    )


def _open_at(req: DisclosureRequest, end: date) -> bool:
    return req.closed_on is None or req.closed_on > end


def _blocks(req: DisclosureRequest, end: date) -> str | None:
    """Why this request, open at the year's end and still without an outcome, blocks it."""
    if req.status is RequestStatus.CLOSED:
        return None  # answered after the year's end: carried over, then closed
    if req.status is RequestStatus.CONSULTING:
        return None  # the third party's days do not count: carried over
    if req.status is RequestStatus.CORRECTION:
        if req.correction_due_on is not None and req.correction_due_on <= end:
            return f"第 {req.id} 号（补正期限 {req.correction_due_on.isoformat()} 已过，未办结）"
        return None
    if req.due_on is not None and req.due_on <= end:
        return f"第 {req.id} 号（答复期限 {req.due_on.isoformat()} 已过，未办结）"
    return None


def closed(session: Session, year: int) -> YearClosed | None:
    """The year's close, if it was recorded."""
    return entries.done(session, YearClosed, year=year)


def refuse_if_closed(session: Session, on: date, label: str) -> None:
    """DecisionRefused when `on` falls in a closed year: its Tables 三 and 四 are settled."""
    if closed(session, on.year) is not None:
        raise DecisionRefused(
            f"{label}（{on.isoformat()}）在已办理年度结转的 {on.year} 年内，不能再记入该年度"
        )


def close_year(session: Session, year: int, *, actor: str) -> YearClosed:
    """Record the year's close; DecisionRefused (nothing written) naming what blocks it."""
    person = access.year_closer(session, actor)
    end = date(year, 12, 31)
    if store.office_today() <= end:
        raise DecisionRefused(f"{year} 年尚未结束，不能办理年度结转")
    if closed(session, year) is not None:
        raise DecisionRefused(f"{year} 年已办理年度结转，不能重复办理")
    requests = _of_year(session, year)
    blocking = [why for r in requests if _open_at(r, end) and (why := _blocks(r, end))]
    if blocking:
        raise DecisionRefused(
            f"{year} 年不能结转：以下申请既没有办理结果，也不能结转下年度（答复期限已在年内届满），"
            f"请先记录办理结果：{'；'.join(blocking)}"
        )
    carried = [r.id for r in requests if _open_at(r, end)]
    payload = YearClosed(year, store.office_today(), len(requests) - len(carried), carried)
    entries.record(session, payload, actor=person.username)
    return payload
