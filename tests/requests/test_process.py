"""A request from receipt to reply: receipt dates, 补正, consultation, extension, the chain."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from models import DisclosureRequest, LedgerEntry
from pubreview import db, ledger
from pubreview.errors import DecisionRefused, Forbidden, ValidationError
from pubreview.requests import (
    cache,
    calendar,
    cases,
    consultation,
    correction,
    extension,
    outcome,
    receipt,
    reply,
    store,
    views,
)
from pubreview.requests.calendar import CalendarGap
from tests.support.requests import HANDLER, REVIEWER, SIGNER, answer, receive

CAL = calendar.WorkCalendar()


def _entries(engine) -> int:
    with db.transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(LedgerEntry))


def _get(engine, request_id: int) -> DisclosureRequest:
    with db.transaction(engine) as s:
        req = store.get(s, request_id)
        s.expunge(req)
        return req


def test_receipt_date_follows_article_31_for_each_channel(engine) -> None:
    arrived = date(2025, 9, 26)
    handed = receive(engine, arrived, channel="当面")
    signed = receive(engine, arrived, channel="邮寄", signed_on=date(2025, 9, 28))
    online = receive(engine, arrived, channel="网上", confirmed_on=date(2025, 9, 29))
    plain = receive(engine, arrived, channel="平邮")
    assert _get(engine, handed).received_on == arrived
    assert _get(engine, handed).due_on == date(2025, 10, 30)
    assert _get(engine, signed).received_on == date(2025, 9, 28)
    assert _get(engine, online).received_on == date(2025, 9, 29)
    assert _get(engine, online).arrived_on == arrived
    assert _get(engine, plain).received_on == arrived
    with db.transaction(engine) as s:
        view = views.detail(s, signed, personal=True)
    assert view["received_on"] == "2025-09-28"
    assert view["deadline_text"].startswith("收到 2025-09-28（邮寄，签收之日） → 第1个工作日 09-29")
    assert "国庆节、中秋节 10-01…10-08 不计" in view["deadline_text"]
    assert "10-11（周六调休上班）计入" in view["deadline_text"]


def test_personal_data_stays_out_of_the_ledger_and_is_masked(engine) -> None:
    rid = receive(
        engine,
        date(2025, 3, 3),
        applicant_name="王小明",
        applicant_contact="13800138000",
        content="请公开某路段改造的批复文件",
    )
    with db.transaction(engine) as s:
        payloads = [e.payload for e in s.scalars(select(LedgerEntry))]
        text = repr(payloads)
        assert "王小明" not in text and "13800138000" not in text
        assert "请公开某路段" not in text
        handler_view = views.detail(s, rid, personal=True)
        other_view = views.detail(s, rid, personal=False)
        rows = views.listing(s, personal=False)
    assert handler_view["applicant"] == "王小明"
    assert handler_view["contact"] == "13800138000"
    assert other_view["applicant"] == "王＊＊＊" and other_view["contact"] == "1＊＊＊"
    assert all("王小明" not in repr(r) for r in rows)


@pytest.mark.parametrize(
    ("name", "channel"),
    [
        ("信函", "邮寄"),
        ("平常信函", "平邮"),
        ("网上平台", "网上"),
        ("电子邮件", "电邮"),
        ("传真", "传真"),
    ],
)
def test_a_channel_is_known_by_its_longer_name_too(name: str, channel: str) -> None:
    assert receipt.channel_of(f" {name} ").value == channel


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"channel": "微信"}, "没有「微信」这种申请方式"),
        ({"applicant_type": "个体户"}, "没有「个体户」这种申请人类型"),
        ({"content": "  "}, "请填写申请内容"),
        ({"channel": "当面", "signed_on": date(2025, 3, 4)}, "只有邮寄"),
        ({"channel": "邮寄", "signed_on": date(2025, 3, 1)}, "不能早于收到日期"),
        ({"arrived_on": date(2099, 1, 4)}, "不能晚于今天"),
    ],
)
def test_bad_receipt_writes_nothing(engine, fields: dict, message: str) -> None:
    before = _entries(engine)
    args = {"arrived_on": date(2025, 3, 3), "applicant_type": "自然人", "content": "某文件"}
    args.update(channel="当面")
    args.update(fields)
    with pytest.raises(ValidationError, match=message), db.transaction(engine) as s:
        receipt.receive(s, actor=HANDLER, **args)
    assert _entries(engine) == before


def test_only_request_handlers_register(engine) -> None:
    with pytest.raises(Forbidden, match="不负责办理"), db.transaction(engine) as s:
        receipt.receive(
            s,
            actor="zhang.wei",
            channel="当面",
            applicant_type="自然人",
            arrived_on=date(2025, 3, 3),
            content="某文件",
        )


def test_a_deadline_in_an_undescribed_year_is_refused_and_nothing_written(engine) -> None:
    # Received 2026-11-30, due 2026-12-28; 20 more working days need 2027's arrangement,
    # which chinesecalendar 1.11 does not have and config/workdays.yaml does not describe.
    rid = receive(engine, date(2026, 11, 30))
    assert _get(engine, rid).due_on == date(2026, 12, 28)
    before = _entries(engine)
    with pytest.raises(CalendarGap, match="2027年"), db.transaction(engine) as s:
        extension.extend(
            s,
            rid,
            actor=HANDLER,
            days=20,
            approved_by=SIGNER,
            notified_on=date(2026, 12, 1),
            reason="需调取档案",
        )
    assert _entries(engine) == before
    assert _get(engine, rid).extension_days == 0


def test_correction_restarts_the_clock(engine) -> None:
    rid = receive(engine, date(2026, 2, 10))  # before 春节 2026
    with db.transaction(engine) as s:
        correction.ask(
            s, rid, actor=HANDLER, asked_on=date(2026, 2, 12), what="请说明所需文件的文号"
        )
        req = store.get(s, rid)
        assert req.due_on is None
        assert req.correction_due_on == CAL.add(date(2026, 2, 12), 15)
        assert "等待申请人补正" in views.detail(s, rid, personal=True)["waiting"]
    with pytest.raises(DecisionRefused, match="一次性告知"), db.transaction(engine) as s:
        correction.ask(s, rid, actor=HANDLER, asked_on=date(2026, 2, 13), what="再补")
    with db.transaction(engine) as s:
        correction.corrected(s, rid, actor=HANDLER, corrected_on=date(2026, 3, 2))
        req = store.get(s, rid)
        assert req.clock_from == date(2026, 3, 2)
        assert req.due_on == CAL.add(date(2026, 3, 2), 20) == date(2026, 3, 30)
        text = views.detail(s, rid, personal=True)["deadline_text"]
    assert text.startswith("补正材料 2026-03-02 收到，重新起算")


def test_correction_after_seven_working_days_needs_a_reason(engine) -> None:
    rid = receive(engine, date(2025, 9, 26))
    # Day 7 after 09-26 is 10-13: 09-28 (a 调休 Sunday) … 10-01…10-08 off … 10-11 (Saturday).
    assert CAL.add(date(2025, 9, 26), 7) == date(2025, 10, 13)
    with pytest.raises(ValidationError, match="2025-10-13 前"), db.transaction(engine) as s:
        correction.ask(s, rid, actor=HANDLER, asked_on=date(2025, 10, 14), what="文号")
    with db.transaction(engine) as s:
        correction.ask(
            s,
            rid,
            actor=HANDLER,
            asked_on=date(2025, 10, 14),
            what="文号",
            late_reason="申请材料转办延误",
        )
        entry = ledger.find_by_key(s, f"request:{rid}:correction")
        assert entry.payload["late_reason"] == "申请材料转办延误"


def test_no_correction_closes_as_other_handling_only_after_the_period(engine) -> None:
    rid = receive(engine, date(2025, 5, 6))
    with db.transaction(engine) as s:
        correction.ask(
            s,
            rid,
            actor=HANDLER,
            asked_on=date(2025, 5, 7),
            what="文号",
            correction_due_on=date(2025, 5, 21),
        )
    with pytest.raises(DecisionRefused, match="尚未届满"), db.transaction(engine) as s:
        outcome.close(s, rid, actor=HANDLER, outcome="三（六）1", closed_on=date(2025, 5, 21))
    with pytest.raises(DecisionRefused, match="等待补正"), db.transaction(engine) as s:
        reply.draft(s, rid, actor=HANDLER, outcome_key="三（一）", legal_basis="第三十六条")
    with db.transaction(engine) as s:
        outcome.close(s, rid, actor=HANDLER, outcome="三（六）1", closed_on=date(2025, 5, 22))
        assert store.get(s, rid).outcome == "三（六）1"


def test_third_party_days_do_not_count(engine) -> None:
    rid = receive(engine, date(2025, 4, 1))
    with db.transaction(engine) as s:
        consultation.consult(
            s, rid, actor=HANDLER, third_party="某建设公司", sent_on=date(2025, 4, 3)
        )
        assert store.get(s, rid).due_on is None
        assert "征求第三方意见中" in views.detail(s, rid, personal=True)["waiting"]
    with pytest.raises(DecisionRefused, match="征求第三方意见"), db.transaction(engine) as s:
        extension.extend(
            s,
            rid,
            actor=HANDLER,
            days=5,
            approved_by=SIGNER,
            notified_on=date(2025, 4, 8),
            reason="量大",
        )
    with db.transaction(engine) as s:
        consultation.answered(
            s, rid, actor=HANDLER, answered_on=date(2025, 4, 11), agreed=False, opinion="不同意"
        )
        req = store.get(s, rid)
        spent = CAL.count(date(2025, 4, 3), date(2025, 4, 11))
        assert spent == 5  # 04-04 清明 is off; 04-07…04-11
        assert req.excluded_days == spent
        assert req.due_on == CAL.add(date(2025, 4, 1), 20 + spent)
        text = views.detail(s, rid, personal=True)["deadline_text"]
    assert f"征求第三方意见 {spent}个工作日不计" in text


def test_extension_once_at_most_twenty_days_approved_by_a_leader(engine) -> None:
    rid = receive(engine, date(2025, 6, 3))
    base = {"actor": HANDLER, "notified_on": date(2025, 6, 20), "reason": "需调取档案"}
    with pytest.raises(ValidationError, match="最长 20"), db.transaction(engine) as s:
        extension.extend(s, rid, days=21, approved_by=SIGNER, **base)
    with pytest.raises(Forbidden, match="不是分管领导"), db.transaction(engine) as s:
        extension.extend(s, rid, days=10, approved_by=REVIEWER, **base)
    with db.transaction(engine) as s:
        extension.extend(s, rid, days=20, approved_by=SIGNER, **base)
        assert store.get(s, rid).due_on == CAL.add(date(2025, 6, 3), 40)
    with pytest.raises(DecisionRefused, match="已经延期过一次"), db.transaction(engine) as s:
        extension.extend(s, rid, days=1, approved_by=SIGNER, **base)


def test_extension_after_the_deadline_is_refused(engine) -> None:
    rid = receive(engine, date(2025, 6, 3))
    due = _get(engine, rid).due_on
    with pytest.raises(ValidationError, match="届满前"), db.transaction(engine) as s:
        extension.extend(
            s,
            rid,
            actor=HANDLER,
            days=5,
            approved_by=SIGNER,
            notified_on=CAL.add(due, 1),
            reason="x",
        )


def test_reply_goes_through_draft_review_and_sign_by_different_people(engine) -> None:
    rid = receive(engine, date(2025, 7, 1))
    with db.transaction(engine) as s:
        reply.draft(
            s,
            rid,
            actor=HANDLER,
            outcome_key="三（三）4",
            legal_basis="《政府信息公开条例》第十五条",
            fee_yuan="0",
        )
    with pytest.raises(DecisionRefused, match="已经承办或审核过"), db.transaction(engine) as s:
        reply.decide(s, rid, actor=HANDLER, approve=True)
    with pytest.raises(DecisionRefused, match="尚未签发"), db.transaction(engine) as s:
        reply.send(s, rid, actor=HANDLER, sent_on=date(2025, 7, 10))
    with db.transaction(engine) as s:
        reply.decide(s, rid, actor=REVIEWER, approve=False, note="依据条款写错")
    with pytest.raises(DecisionRefused, match="没有等待审批"), db.transaction(engine) as s:
        reply.decide(s, rid, actor=REVIEWER, approve=True)
    with db.transaction(engine) as s:
        second = reply.draft(
            s, rid, actor=HANDLER, outcome_key="三（二）", legal_basis="第三十七条"
        )
        assert second.number == 2
        reply.decide(s, rid, actor=REVIEWER, approve=True)
    with pytest.raises(Forbidden, match="不是分管领导"), db.transaction(engine) as s:
        reply.decide(s, rid, actor="wu.gang", approve=True)
    with db.transaction(engine) as s:
        reply.decide(s, rid, actor=SIGNER, approve=True, signed_on=date(2025, 7, 9))
        reply.send(s, rid, actor=HANDLER, sent_on=date(2025, 7, 10))
        req = store.get(s, rid)
        assert (req.outcome, req.closed_on, req.legal_basis) == (
            "三（二）",
            date(2025, 7, 10),
            "第三十七条",
        )
        view = views.detail(s, rid, personal=False)
        steps = [h["what"] for h in view["history"]]
    assert steps[0].startswith("登记：当面")
    assert steps[-1] == "办结：（二）部分公开（区分处理的，只计这一情形，不计其他情形），2025-07-10"
    assert [s_["step"] for s_ in view["reply"]["steps"]] == ["承办", "审核", "签发"]
    with pytest.raises(DecisionRefused, match="已办结"), db.transaction(engine) as s:
        outcome.close(s, rid, actor=HANDLER, outcome="三（六）3", closed_on=date(2025, 7, 11))
    with db.transaction(engine) as s:
        assert ledger.verify(s).ok


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("三（九）", "没有「三（九）」这一办理结果"),
        ("三（一）", "须经承办、审核、签发"),
        ("三（六）1", "逾期未补正"),
    ],
)
def test_bad_outcomes_are_refused(engine, key: str, message: str) -> None:
    rid = receive(engine, date(2025, 8, 4))
    with (
        pytest.raises((ValidationError, DecisionRefused), match=message),
        db.transaction(engine) as s,
    ):
        outcome.close(s, rid, actor=HANDLER, outcome=key, closed_on=date(2025, 8, 5), reason="x")


def test_a_reply_before_receipt_is_refused(engine) -> None:
    rid = receive(engine, date(2025, 8, 4))
    with pytest.raises(ValidationError, match="不能早于起算日"):
        answer(engine, rid, "三（一）", date(2025, 8, 1))


def test_overdue_requests_are_listed(engine) -> None:
    late = receive(engine, date(2025, 1, 6))
    answered_late = receive(engine, date(2025, 1, 6))
    fresh = receive(engine, date(2025, 11, 3))
    answer(engine, answered_late, "三（一）", date(2025, 3, 3))
    with db.transaction(engine) as s:
        rows = views.overdue(s, today=date(2025, 11, 10))
        assert [r["id"] for r in rows] == [late]
        assert rows[0]["urgency"] == "overdue" and rows[0]["days_left"] < 0
        everything = views.listing(s, personal=True, today=date(2025, 11, 10))
        closed = ledger.find_by_key(s, f"request:{answered_late}:closed")
    assert [r["id"] for r in everything][:2] == [late, fresh]
    assert closed.payload["overdue"] is True


def test_the_request_tables_agree_with_the_ledger_until_edited_behind_its_back(engine) -> None:
    a = receive(engine, date(2025, 4, 1), applicant_name="赵六")
    b = receive(engine, date(2025, 4, 2))
    with db.transaction(engine) as s:
        consultation.consult(s, a, actor=HANDLER, third_party="某公司", sent_on=date(2025, 4, 3))
        consultation.answered(s, a, actor=HANDLER, answered_on=date(2025, 4, 9))
        extension.extend(
            s,
            a,
            actor=HANDLER,
            days=5,
            approved_by=SIGNER,
            notified_on=date(2025, 4, 20),
            reason="x",
        )
        correction.ask(s, b, actor=HANDLER, asked_on=date(2025, 4, 3), what="文号")
        correction.corrected(s, b, actor=HANDLER, corrected_on=date(2025, 4, 10))
        cases.file(s, actor=HANDLER, kind="行政复议", filed_on=date(2025, 6, 1), request_id=a)
    answer(engine, a, "三（四）1", date(2025, 5, 6))
    with db.transaction(engine) as s:
        assert cache.check(s) == []
        s.execute(
            update(DisclosureRequest).where(DisclosureRequest.id == a).values(outcome="三（一）")
        )
        s.execute(
            update(DisclosureRequest).where(DisclosureRequest.id == b).values(applicant_name="某人")
        )
        found = [str(m) for m in cache.check(s)]
    assert found == [
        f"第 {a} 号申请：outcome 为「三（一）」，按台帐应为「三（四）1」",
        f"第 {b} 号申请：申请人信息或申请内容 为「已改动」，按台帐应为「与登记时一致」",
    ]
