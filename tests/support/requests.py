"""Building disclosure requests through the domain functions, as the office would."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine

from pubreview import db
from pubreview.requests import correction, outcome, receipt, reply, store

HANDLER = "zhou.min"  # 中心: registers and drafts
REVIEWER = "wu.gang"  # 中心 and admin: 审核
SIGNER = "zeng.xiang"  # 分管领导: 签发 and approves extensions


def receive(engine: Engine, on: date, applicant_type: str = "自然人", **extra) -> int:
    """Register a request handed in on `on`; its id."""
    extra.setdefault("channel", "当面")
    extra.setdefault("content", "请公开2024年度本机关行政许可办理情况")
    with db.transaction(engine) as s:
        return receipt.receive(
            s, actor=HANDLER, applicant_type=applicant_type, arrived_on=on, **extra
        ).id


def answer(engine: Engine, request_id: int, key: str, on: date, basis: str = "条例第三十六条"):
    """Close a request under outcome row `key` on `on`, the way that row is reached."""
    with db.transaction(engine) as s:
        if key == outcome.NO_CORRECTION:
            req = correction.ask(
                s,
                request_id,
                actor=HANDLER,
                asked_on=_received(s, request_id),
                what="请明确所需信息的名称",
                correction_due_on=_day_before(on),
            )
            outcome.close(s, req.id, actor=HANDLER, outcome=key, closed_on=on)
            return
        if key in outcome.CLOSE_WITHOUT_REPLY:
            outcome.close(s, request_id, actor=HANDLER, outcome=key, closed_on=on, reason="其他")
            return
        if key == outcome.UNCLEAR_AFTER_CORRECTION:
            asked = _received(s, request_id)
            correction.ask(s, request_id, actor=HANDLER, asked_on=asked, what="请明确内容")
            correction.corrected(s, request_id, actor=HANDLER, corrected_on=asked)
        reply.draft(s, request_id, actor=HANDLER, outcome_key=key, legal_basis=basis)
        reply.decide(s, request_id, actor=REVIEWER, approve=True)
        reply.decide(s, request_id, actor=SIGNER, approve=True, signed_on=on)
        reply.send(s, request_id, actor=HANDLER, sent_on=on)


def _received(session, request_id: int) -> date:
    return store.get(session, request_id).received_on


def _day_before(on: date) -> date:
    return on - timedelta(days=1)
