"""The reply goes through the review-chain machinery: an office's own reply chain, 代签, the chain
checked against the org, the sending date against the signing, and replies decided before."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import LedgerEntry
from models.base import utcnow
from pubreview import db, ledger
from pubreview.chains import validation
from pubreview.errors import DecisionRefused, Forbidden, ValidationError
from pubreview.requests import documents, entries, reply, store, views
from pubreview.review import deciders, delegation
from tests.support.requests import HANDLER, REVIEWER, SIGNER, receive

# The pages and rules are the same on either database; the process tests cover both.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

LEGAL_CHAIN = """\
chains:
  reply_legal:
    applies_to: reply
    label: 承办 → 审核 → 法制审核 → 签发
    steps:
      - {id: review, label: 审核, role: center}
      - {id: legal, label: 法制审核, role: section_head, unit: zonghe}
      - {id: sign, label: 签发, role: leader}
"""


def _count(engine) -> int:
    with db.transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(LedgerEntry))


def _draft(engine, rid: int) -> None:
    with db.transaction(engine) as s:
        reply.draft(s, rid, actor=HANDLER, outcome_key="三（一）", legal_basis="条例第三十六条")


def test_an_office_reply_chain_with_an_extra_step(engine, monkeypatch, tmp_path: Path) -> None:
    chains = tmp_path / "chains.yaml"
    chains.write_text(LEGAL_CHAIN, encoding="utf-8")
    monkeypatch.setenv("PUBREVIEW_CHAINS", str(chains))
    with db.transaction(engine) as s:
        assert validation.check_file(s, chains).reply.name == "reply_legal"
    rid = receive(engine, date(2025, 7, 1))
    _draft(engine, rid)
    chains.write_text("chains: {}\n", encoding="utf-8")  # a draft keeps the chain it started on
    with db.transaction(engine) as s:
        reply.decide(s, rid, actor=REVIEWER, approve=True)
    # The leader cannot sign before the step the office added.
    with pytest.raises(Forbidden, match="不是综合科的科室负责人"), db.transaction(engine) as s:
        reply.decide(s, rid, actor=SIGNER, approve=True, signed_on=date(2025, 7, 8))
    with db.transaction(engine) as s:
        found = reply.subject(s, rid)
        assert found.stage == "legal"
        assert [p.username for p in deciders.eligible(s, found)] == ["li.na", "wang.fang"]
        assert reply.decide(s, rid, actor="li.na", approve=True).next_step == "sign"
        reply.decide(s, rid, actor=SIGNER, approve=True, signed_on=date(2025, 7, 8))
        reply.send(s, rid, actor=HANDLER, sent_on=date(2025, 7, 9))
        assert store.get(s, rid).outcome == "三（一）"
        view = views.detail(s, rid, personal=False)
        draft = entries.ReplyStep.from_payload(entries.history(s, rid)[1].payload)
        assert ledger.verify(s).ok
    assert draft.chain["name"] == "reply_legal"
    assert [x["step"] for x in view["reply"]["steps"]] == ["承办", "审核", "法制审核", "签发"]
    assert "答复法制审核：同意" in [h["what"] for h in view["history"]]


def test_a_delegate_signs_the_reply_for_the_leader(engine) -> None:
    rid = receive(engine, date(2025, 7, 1))
    _draft(engine, rid)
    with db.transaction(engine) as s:
        reply.decide(s, rid, actor=REVIEWER, approve=True)
    # Before the grant, a section head may not sign.
    with pytest.raises(Forbidden, match="不是分管领导"), db.transaction(engine) as s:
        reply.decide(s, rid, actor="li.na", approve=True, signed_on=date(2025, 7, 2))
    with db.transaction(engine) as s:
        delegation.grant(
            s,
            delegator=SIGNER,
            delegate="li.na",
            ends=utcnow() + timedelta(days=1),
            actor=SIGNER,
            reason="出差",
        )
    with db.transaction(engine) as s:
        assert "li.na" in [p.username for p in deciders.eligible(s, reply.subject(s, rid))]
        signed = reply.decide(s, rid, actor="li.na", approve=True, signed_on=date(2025, 7, 2))
        view = views.detail(s, rid, personal=False)
    assert signed.signed and signed.sign_step.acting_for == SIGNER
    assert view["reply"]["steps"][-1] == {
        "step": "签发",
        "actor": "li.na",
        "approved": True,
        "acting_for": SIGNER,
    }


def test_a_reply_step_nobody_can_decide_is_refused_at_chain_check(engine, tmp_path) -> None:
    chains = tmp_path / "chains.yaml"
    chains.write_text(
        "chains:\n  reply:\n    applies_to: reply\n    steps:\n"
        "      - {id: review, label: 审核, role: center}\n"
        "      - {id: sign, label: 签发, role: leader, unit: center}\n",
        encoding="utf-8",
    )
    with (
        pytest.raises(
            ValidationError, match="第 6 行：chains.reply.sign：.*没有分管领导，答复的签发"
        ),
        db.transaction(engine) as s,
    ):
        validation.check_file(s, chains)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ("- {id: publication, label: 中心发布, role: center}", "不能有中心发布环节"),
        ("- {id: review, label: 审核, role: center, unit: unit}", "答复不属于某个报送单位"),
        (
            "- {id: a, label: 审核, role: center}\n      "
            "- {id: b, label: 签发, role: leader, return_to: previous}",
            "退回一律回到承办",
        ),
        ("- {id: a, label: 审核, role: center, deadline_days: 3}", "暂不支持环节期限"),
    ],
)
def test_reply_chain_definitions_are_checked(steps: str, message: str, database_url) -> None:
    text = f"chains:\n  r:\n    applies_to: reply\n    steps:\n      {steps}\n"
    with pytest.raises(ValidationError, match=message):
        validation.parse(text)


def test_sending_before_the_signing_is_refused_and_writes_nothing(engine) -> None:
    rid = receive(engine, date(2025, 7, 1))
    _draft(engine, rid)
    with db.transaction(engine) as s:
        reply.decide(s, rid, actor=REVIEWER, approve=True)
    with pytest.raises(ValidationError, match="晚于今天"), db.transaction(engine) as s:
        reply.decide(s, rid, actor=SIGNER, approve=True, signed_on=date(2999, 1, 4))
    with db.transaction(engine) as s:
        reply.decide(s, rid, actor=SIGNER, approve=True, signed_on=date(2025, 7, 9))
    before = _count(engine)
    early = "发出日期 2025-07-08 早于签发日期 2025-07-09"
    with pytest.raises(ValidationError, match=early), db.transaction(engine) as s:
        reply.send(s, rid, actor=HANDLER, sent_on=date(2025, 7, 8))
    assert _count(engine) == before
    with db.transaction(engine) as s:
        assert store.get(s, rid).closed_on is None
        reply.send(s, rid, actor=HANDLER, sent_on=date(2025, 7, 9))  # the same day is fine


def test_a_reply_decided_the_old_way_still_reads_and_verifies(engine) -> None:
    """Entries written before replies used the chain machinery: no chain, no signing day."""
    rid = receive(engine, date(2025, 7, 1))
    old = [
        (HANDLER, entries.ReplyStep(rid, 1, "draft", True, "三（一）", "条例第三十六条", None)),
        (REVIEWER, entries.ReplyStep(rid, 1, "review", True)),
        (SIGNER, entries.ReplyStep(rid, 1, "sign", True)),  # before letters were kept
    ]
    with db.transaction(engine) as s:
        for actor, step in old:
            entry = entries.record(
                s, step, actor=actor, stage=step.step, outcome="approve", comment=None
            )
            assert set(entry.payload) == {
                "request_id", "round", "step", "approved",
                "outcome", "legal_basis", "fee_yuan", "letter_sha256",
            }  # fmt: skip
    with db.transaction(engine) as s:
        last = reply.current(s, rid)
        assert last.chain.name == "reply" and last.signed and last.next_step is None
        assert last.signed_on == store.office_today()  # the day of the 签发 entry
        with pytest.raises(DecisionRefused, match="没有等待审批"):
            reply.decide(s, rid, actor=SIGNER, approve=True)
    with db.transaction(engine) as s:
        reply.send(s, rid, actor=HANDLER, sent_on=store.office_today())
        assert [x["step"] for x in views.detail(s, rid, personal=False)["reply"]["steps"]] == [
            "承办",
            "审核",
            "签发",
        ]
        assert ledger.verify(s).ok


def test_a_countersigned_reply_step(engine, monkeypatch, tmp_path: Path) -> None:
    chains = tmp_path / "chains.yaml"
    chains.write_text(
        "chains:\n  reply:\n    applies_to: reply\n    steps:\n"
        "      - {id: review, label: 审核, role: center}\n"
        "      - id: heads\n        label: 科室会签\n        role: section_head\n"
        "        unit: zonghe\n        group: {members: [li.na, wang.fang], rule: all}\n"
        "      - {id: sign, label: 签发, role: leader}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PUBREVIEW_CHAINS", str(chains))
    rid = receive(engine, date(2025, 7, 1))
    _draft(engine, rid)
    with db.transaction(engine) as s:
        reply.decide(s, rid, actor=REVIEWER, approve=True)
        assert reply.decide(s, rid, actor="li.na", approve=True).next_step == "heads"
        reply.decide(s, rid, actor="li.na", approve=True)  # the same vote again: a no-op
        assert [p.username for p in deciders.eligible(s, reply.subject(s, rid))] == ["wang.fang"]
    with pytest.raises(DecisionRefused, match="会签"), db.transaction(engine) as s:
        reply.decide(s, rid, actor="li.na", approve=False, note="改主意")
    with db.transaction(engine) as s:
        assert reply.decide(s, rid, actor="wang.fang", approve=True).next_step == "sign"
        votes = [e for e in entries.history(s, rid) if e.stage == "heads"]
        assert ledger.verify(s).ok
    assert [(e.actor, e.payload["countersign"]["settles"]) for e in votes] == [
        ("li.na", None),
        ("wang.fang", "approve"),
    ]


def _letter_text(data: bytes) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_the_letter_is_dated_its_signing_day_not_the_day_it_was_rendered(engine) -> None:
    rid = receive(engine, date(2025, 7, 1))
    _draft(engine, rid)
    with db.transaction(engine) as s:
        reply.decide(s, rid, actor=REVIEWER, approve=True)
        shown = documents.render_now(s, rid, "reply")[0]  # what the page shows: dated today
        dated = documents.render_now(s, rid, "reply", signed_on=date(2025, 7, 9))[0]
        # Same inputs, same bytes: what lets "as shown" be checked.
        assert documents.render_now(s, rid, "reply", signed_on=date(2025, 7, 9))[0] == dated
    assert "2025年7月9日" in _letter_text(dated) and "2025年7月9日" not in _letter_text(shown)
    with db.transaction(engine) as s:
        signed = reply.decide(
            s,
            rid,
            actor=SIGNER,
            approve=True,
            signed_on=date(2025, 7, 9),
            letter_seen=documents.fingerprint(shown),  # read dated today, signed for 07-09
        )
    assert signed.sign_step.letter_sha256 == documents.fingerprint(dated)
    with db.transaction(engine) as s:
        kept = documents.render(s, rid, "reply")[0]
        reply.send(s, rid, actor=HANDLER, sent_on=date(2025, 7, 10))
        after = documents.render(s, rid, "reply")[0]
    assert kept == dated == after  # the kept bytes, not a rendering dated the sending day
