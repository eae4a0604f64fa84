"""The outcome of a request: exactly one row of Table 三, its date, legal basis and fee.

The rows are those of `pubreview.report.tables` (〔2021〕30号, where （六）其他处理 has three
sub-rows), so a request is counted in the report under the very key the supplement used.
A reply outcome is recorded by sending an approved reply (`reply.send`); `close` is for the
（六） rows, where no reply document goes out (the applicant did not correct or pay).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from models import DisclosureRequest
from models.requests import RequestStatus
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.report.tables import TABLE3_ROWS_2021, Table3Row
from pubreview.requests import access, entries, store, years
from pubreview.requests.correction import status_word

OUTCOME_ROWS: dict[str, Table3Row] = {
    r.key: r for r in TABLE3_ROWS_2021 if r.key.startswith("三（") and r.key != "三（七）"
}
NO_CORRECTION = "三（六）1"  # 申请人无正当理由逾期不补正
UNCLEAR_AFTER_CORRECTION = "三（四）3"  # 补正后申请内容仍不明确
CLOSE_WITHOUT_REPLY = tuple(k for k in OUTCOME_ROWS if k.startswith("三（六）"))


def outcome_row(value: str) -> Table3Row:
    """The Table 三 row an outcome names (its key, e.g. 三（三）4); the error lists them."""
    key = (value or "").strip().replace("(", "（").replace(")", "）")
    if key in OUTCOME_ROWS:
        return OUTCOME_ROWS[key]
    by_label = [r for r in OUTCOME_ROWS.values() if key and key in r.full_label]
    if len(by_label) == 1:
        return by_label[0]
    raise ValidationError(
        f"没有「{value}」这一办理结果；应为 {'、'.join(OUTCOME_ROWS)} 之一（表三的行）",
        field="outcome",
    )


def outcome_label(key: str) -> str:
    """An outcome row as people read it: 三（三）4 保护第三方合法权益."""
    row = OUTCOME_ROWS[key]
    group = row.group.split(" ", 1)[1] if " " in row.group else ""
    return f"{group}{row.label}" if group else row.label


def fee_of(value: str | Decimal | None) -> str | None:
    """信息处理费 in 元 with two decimals, or None for no fee."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"信息处理费「{value}」不是金额（元）", field="fee") from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError("信息处理费应为不小于 0、至多两位小数的金额（元）", field="fee")
    return f"{amount:.2f}" if amount else None


def refusal(req: DisclosureRequest, key: str, closed_on: date, corrected: bool) -> str | None:
    """Why this outcome cannot be recorded on this date now; None when it can."""
    if req.status is RequestStatus.CLOSED:
        return f"第 {req.id} 号申请已办结（{outcome_label(req.outcome)}），不能再记录第二个办理结果"
    if req.status is RequestStatus.CONSULTING:
        return f"第 {req.id} 号申请正在征求第三方意见，请先记录第三方的答复"
    if key == NO_CORRECTION:
        if req.status is not RequestStatus.CORRECTION:
            return "只有告知补正后申请人逾期未补正的申请才能按（六）1 办结"
        if closed_on <= req.correction_due_on:
            return f"补正期限 {req.correction_due_on.isoformat()} 尚未届满，不能按逾期不补正办结"
    elif req.status is RequestStatus.CORRECTION:
        return f"第 {req.id} 号申请正在等待补正（{status_word(req)}），请先记录补正材料"
    if key == UNCLEAR_AFTER_CORRECTION and not corrected:
        return "只有补正过的申请才能按“补正后申请内容仍不明确”答复"
    return None


def record_outcome(
    session: Session,
    req: DisclosureRequest,
    *,
    actor: str,
    key: str,
    closed_on: date,
    legal_basis: str | None,
    fee_yuan: str | None,
    reply_round: int | None,
) -> DisclosureRequest:
    """Close the request under one outcome row (the callers checked who and what)."""
    corrected = entries.done(session, entries.Corrected, request_id=req.id) is not None
    why = refusal(req, key, closed_on, corrected)
    if why:
        raise DecisionRefused(why)
    store.check_day(closed_on, "办结日期", not_before=req.clock_from, after="起算日")
    years.refuse_if_closed(session, closed_on, "办结日期")
    overdue = req.due_on is not None and closed_on > req.due_on
    req.status = RequestStatus.CLOSED
    req.outcome = key
    req.closed_on = closed_on
    req.legal_basis = legal_basis
    req.fee_yuan = Decimal(fee_yuan) if fee_yuan else None
    entries.record(
        session,
        entries.Closed(
            req.id, key, closed_on, req.due_on, overdue, legal_basis, fee_yuan, reply_round
        ),
        actor=actor,
        outcome=key,
    )
    return req


def close(
    session: Session,
    request_id: int,
    *,
    actor: str,
    outcome: str,
    closed_on: date,
    reason: str | None = None,
) -> DisclosureRequest:
    """Close a request under a （六）其他处理 row, where no reply document is sent."""
    person = access.handler(session, actor)
    row = outcome_row(outcome)
    if row.key not in CLOSE_WITHOUT_REPLY:
        raise DecisionRefused(
            f"「{outcome_label(row.key)}」须经承办、审核、签发后答复申请人，不能直接办结"
        )
    req = store.get(session, request_id, for_update=True)
    if req.status is RequestStatus.CLOSED:
        raise DecisionRefused(refusal(req, row.key, closed_on, corrected=False))
    note = store.text_of(reason, "办结说明", required=row.key != NO_CORRECTION) or None
    return record_outcome(
        session,
        req,
        actor=person.username,
        key=row.key,
        closed_on=closed_on,
        legal_basis=note,
        fee_yuan=None,
        reply_round=None,
    )
