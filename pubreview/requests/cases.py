"""行政复议 and 行政诉讼 over a request (Table 四): filed, then decided once.

Neither may be dated in a year already closed (年度结转): its Table 四 is settled.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DisclosureCase
from models.requests import CaseKind, CaseResult
from pubreview.errors import DecisionRefused, NotFound, ValidationError
from pubreview.requests import access, entries, store, years


def kind_of(value: str) -> CaseKind:
    """A case kind by its Chinese name (a group of Table 四)."""
    try:
        return CaseKind(value.strip())
    except ValueError:
        names = "、".join(k.value for k in CaseKind)
        raise ValidationError(f"没有「{value}」这种案件，应为 {names} 之一", field="kind") from None


def result_of(value: str) -> CaseResult:
    """A result by its Chinese name; 维持 / 纠正 alone are accepted too."""
    text = value.strip()
    for r in CaseResult:
        if text in (r.value, r.value.removeprefix("结果")):
            return r
    names = "、".join(r.value for r in CaseResult)
    raise ValidationError(f"没有「{value}」这种结果，应为 {names} 之一", field="result")


def get(session: Session, case_id: int) -> DisclosureCase:
    """The case, or NotFound."""
    found = session.scalars(
        select(DisclosureCase).where(DisclosureCase.id == case_id).with_for_update()
    ).first()
    if found is None:
        raise NotFound(f"没有第 {case_id} 号复议或诉讼案件")
    return found


def file(
    session: Session,
    *,
    actor: str,
    kind: str,
    filed_on: date,
    request_id: int | None = None,
    note: str | None = None,
) -> DisclosureCase:
    """Record a case brought over a request (request_id None: a request kept elsewhere)."""
    person = access.handler(session, actor)
    case_kind = kind_of(kind)
    earliest = None
    if request_id is not None:
        earliest = store.get(session, request_id).received_on
    store.check_day(filed_on, "立案日期", not_before=earliest, after="收到申请之日")
    years.refuse_if_closed(session, filed_on, "立案日期")  # that year's Table 四 is settled
    case = DisclosureCase(
        request_id=request_id,
        kind=case_kind,
        filed_on=filed_on,
        note=store.text_of(note, "案件说明", required=False) or None,
    )
    session.add(case)
    session.flush()
    entries.record(
        session,
        entries.CaseFiled(case.id, request_id, case_kind.value, filed_on),
        actor=person.username,
    )
    return case


def decide(
    session: Session, case_id: int, *, actor: str, result: str, decided_on: date
) -> DisclosureCase:
    """Record a case's result (once)."""
    person = access.handler(session, actor)
    case = get(session, case_id)
    if case.result is not None:
        raise DecisionRefused(f"第 {case.id} 号案件已有结果（{case.result.value}）")
    outcome = result_of(result)
    store.check_day(decided_on, "审结日期", not_before=case.filed_on, after="立案日期")
    years.refuse_if_closed(session, decided_on, "审结日期")
    case.result = outcome
    case.decided_on = decided_on
    entries.record(
        session,
        entries.CaseDecided(case.id, outcome.value, decided_on),
        actor=person.username,
        outcome=outcome.value,
    )
    return case
