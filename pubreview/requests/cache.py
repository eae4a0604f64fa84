"""The request tables are a cache of the ledger: replay the request entries and compare.

Every change to a request's row is written in the same transaction as the entry that justifies
it, so replaying the entries must give the row as stored. The applicant's name, contact and
content live only in the row; their fingerprint in the REQUEST_RECEIVED entry shows whether
they were edited since. A row or case that disagrees was changed outside pubreview.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DisclosureCase, DisclosureRequest, LedgerEntry
from pubreview.requests import entries


@dataclass(frozen=True)
class RequestMismatch:
    """One field of one request (or case) row that the ledger does not justify."""

    what: str  # 第 N 号申请 / 第 N 号案件
    column: str
    stored: str | None
    expected: str | None

    def __str__(self) -> str:
        stored, expected = self.stored or "（空）", self.expected or "（空）"
        return f"{self.what}：{self.column} 为「{stored}」，按台帐应为「{expected}」"


@dataclass
class _State:
    values: dict[str, Any] = field(default_factory=dict)
    digest: str | None = None


def _replay(session: Session) -> dict[int, _State]:
    states: dict[int, _State] = {}
    kinds = [k.kind for k in _PAYLOADS]
    for entry in session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind.in_(kinds)).order_by(LedgerEntry.id)
    ):
        payload = _PAYLOADS_BY_KIND[entry.kind].from_payload(entry.payload)
        state = states.setdefault(payload.request_id, _State())
        v = state.values
        if isinstance(payload, entries.Received):
            v.update(
                status="open",
                channel=payload.channel,
                applicant_type=payload.applicant_type,
                arrived_on=payload.arrived_on,
                received_on=payload.received_on,
                clock_from=payload.received_on,
                due_on=payload.due_on,
                extension_days=0,
                excluded_days=0,
                outcome=None,
                closed_on=None,
            )
            state.digest = payload.personal_digest
        elif isinstance(payload, entries.CorrectionAsked):
            v.update(status="correction", due_on=None, correction_due_on=payload.correction_due_on)
        elif isinstance(payload, entries.Corrected):
            v.update(status="open", clock_from=payload.corrected_on, due_on=payload.due_on)
            v["excluded_days"] = 0
        elif isinstance(payload, entries.Consulted):
            v.update(status="consulting", due_on=None)
        elif isinstance(payload, entries.ConsultAnswered):
            v.update(status="open", due_on=payload.due_on)
            v["excluded_days"] = v.get("excluded_days", 0) + payload.excluded_days
        elif isinstance(payload, entries.Extended):
            v.update(extension_days=payload.days, due_on=payload.due_on)
        elif isinstance(payload, entries.Closed):
            v.update(status="closed", outcome=payload.outcome, closed_on=payload.closed_on)
    return states


_PAYLOADS = (
    entries.Received,
    entries.CorrectionAsked,
    entries.Corrected,
    entries.Consulted,
    entries.ConsultAnswered,
    entries.Extended,
    entries.Closed,
)
_PAYLOADS_BY_KIND = {p.kind: p for p in _PAYLOADS}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def check(session: Session) -> list[RequestMismatch]:
    """Every request and case field that its ledger entries do not justify."""
    states = _replay(session)
    found: list[RequestMismatch] = []
    for req in session.scalars(select(DisclosureRequest).order_by(DisclosureRequest.id)):
        what = f"第 {req.id} 号申请"
        state = states.pop(req.id, None)
        if state is None:
            found.append(RequestMismatch(what, "登记", "有记录", None))
            continue
        for column, expected in state.values.items():
            stored = _text(getattr(req, column))
            if stored != _text(expected):
                found.append(RequestMismatch(what, column, stored, _text(expected)))
        digest = entries.digest(req.applicant_name, req.applicant_contact, req.content)
        if digest != state.digest:
            found.append(RequestMismatch(what, "申请人信息或申请内容", "已改动", "与登记时一致"))
    for request_id in sorted(states):
        found.append(RequestMismatch(f"第 {request_id} 号申请", "登记", None, "有记录"))
    decided = {p.case_id: p for _, p in entries.of_kind(session, entries.CaseDecided)}
    filed = {p.case_id: p for _, p in entries.of_kind(session, entries.CaseFiled)}
    for case in session.scalars(select(DisclosureCase).order_by(DisclosureCase.id)):
        what = f"第 {case.id} 号案件"
        f = filed.pop(case.id, None)
        if f is None:
            found.append(RequestMismatch(what, "立案", "有记录", None))
            continue
        d = decided.get(case.id)
        expected = {
            "kind": f.case_kind,
            "filed_on": f.filed_on,
            "request_id": f.request_id,
            "result": d.result if d else None,
            "decided_on": d.decided_on if d else None,
        }
        for column, value in expected.items():
            if _text(getattr(case, column)) != _text(value):
                found.append(
                    RequestMismatch(what, column, _text(getattr(case, column)), _text(value))
                )
    for case_id in sorted(filed):
        found.append(RequestMismatch(f"第 {case_id} 号案件", "立案", None, "有记录"))
    return found
