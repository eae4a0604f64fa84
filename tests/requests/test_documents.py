"""The letters of a request rendered from the DOCX templates and read back."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import update

from models import RequestFile, Unit, UnitKind
from pubreview import db
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.requests import (
    consultation,
    correction,
    documents,
    entries,
    extension,
    files,
    reply,
    store,
)
from tests.support.requests import HANDLER, REVIEWER, SIGNER, receive


def _text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_every_letter_of_a_request_fills_its_template(engine) -> None:
    rid = receive(
        engine,
        date(2025, 9, 26),
        channel="邮寄",
        signed_on=date(2025, 9, 28),
        applicant_name="某某律师事务所",
        content="请公开某地块征收补偿方案",
    )
    with db.transaction(engine) as s:
        receipt_doc, name = documents.render(s, rid, "receipt")
        with pytest.raises(DecisionRefused, match="没有延期"):
            documents.render(s, rid, "extension")
        with pytest.raises(DecisionRefused, match="还没有承办答复稿"):
            documents.render(s, rid, "reply")
        with pytest.raises(ValidationError, match="没有「notice」这种文书"):
            documents.render(s, rid, "notice")
    text = _text(receipt_doc)
    assert name == f"第{rid}号申请-受理回执.docx"
    assert "政府信息公开申请受理回执" in text and "某某律师事务所：" in text
    assert "2025年9月28日收到" in text and "邮寄，签收之日" in text
    assert "2025年10月31日前" in text and "{{" not in text
    with db.transaction(engine) as s:
        consultation.consult(
            s, rid, actor=HANDLER, third_party="某置业公司", sent_on=date(2025, 9, 29)
        )
        letter = _text(documents.render(s, rid, "consultation")[0])
        assert letter.startswith("政府信息公开征求第三方意见函") and "某置业公司：" in letter
        assert "2025年10月27日前" in letter  # 15 working days after 09-29
        consultation.answered(s, rid, actor=HANDLER, answered_on=date(2025, 10, 13))
        extension.extend(
            s,
            rid,
            actor=HANDLER,
            days=15,
            approved_by=SIGNER,
            notified_on=date(2025, 10, 20),
            reason="需向多个部门调取材料",
        )
        letter = _text(documents.render(s, rid, "extension")[0])
        assert "因需向多个部门调取材料" in letter and "延长15个工作日" in letter
        reply.draft(
            s,
            rid,
            actor=HANDLER,
            outcome_key="三（三）4",
            legal_basis="《中华人民共和国政府信息公开条例》第十五条",
            fee_yuan="12.5",
        )
        reply.decide(s, rid, actor=REVIEWER, approve=True)
        reply.decide(s, rid, actor=SIGNER, approve=True, signed_on=date(2025, 11, 20))
        reply.send(s, rid, actor=HANDLER, sent_on=date(2025, 11, 20))
        letter = _text(documents.render(s, rid, "reply")[0])
    assert "不予公开的情形（保护第三方合法权益）" in letter
    assert "根据《中华人民共和国政府信息公开条例》第十五条" in letter
    assert "信息处理费12.50元" in letter
    # Dated the day it was signed (签发), as a 公文's 成文日期 is: the signed bytes are sent.
    assert "2025年11月20日" in letter


def test_a_correction_notice_and_an_unknown_placeholder(engine, tmp_path: Path) -> None:
    rid = receive(engine, date(2025, 5, 6))
    with db.transaction(engine) as s:
        correction.ask(
            s, rid, actor=HANDLER, asked_on=date(2025, 5, 7), what="所需文件的名称和文号"
        )
        letter = _text(documents.render(s, rid, "correction")[0])
    assert "请您对以下内容作出补正：所需文件的名称和文号" in letter
    assert "2025年5月7日" in letter  # issued on the day it was asked
    broken = Document()
    broken.add_paragraph("{{ applicant }}：{{ seal_number }}")
    broken.save(tmp_path / "receipt.docx")
    with (
        pytest.raises(ValidationError, match="无法填写的占位符"),
        db.transaction(engine) as s,
    ):
        documents.render(s, rid, "receipt", template_dir=tmp_path)


def _drafted(engine, **draft) -> int:
    rid = receive(engine, date(2025, 9, 26), applicant_name="某某律师事务所")
    with db.transaction(engine) as s:
        reply.draft(s, rid, actor=HANDLER, outcome_key="三（一）", legal_basis="条例第三十六条")
        reply.decide(s, rid, actor=REVIEWER, approve=True)
    return rid


def _signed_entry(s, rid: int):
    return next(
        entries.ReplyStep.from_payload(e.payload)
        for e in entries.history(s, rid)
        if e.kind == entries.ReplyStep.kind and e.payload["step"] == "sign"
    )


def test_the_signed_letter_is_the_one_shown_and_the_one_sent(engine, tmp_path: Path) -> None:
    rid = _drafted(engine)
    with db.transaction(engine) as s:
        shown, _ = documents.render(s, rid, "reply")
        assert documents.render(s, rid, "reply")[0] == shown  # a rendering is stable bytes
        reply.decide(s, rid, actor=SIGNER, approve=True, letter_seen=documents.fingerprint(shown))
        assert _signed_entry(s, rid).letter_sha256 == documents.fingerprint(shown)
    # The template changes after the signature: the letter that goes out does not.
    edited = Document()
    edited.add_paragraph("{{ applicant }}：另一份答复")
    edited.save(tmp_path / "reply-disclose.docx")
    with db.transaction(engine) as s:
        assert "另一份答复" in _text(documents.render_now(s, rid, "reply", tmp_path)[0])
        assert documents.render(s, rid, "reply", tmp_path)[0] == shown
        reply.send(s, rid, actor=HANDLER, sent_on=store.office_today())
        assert documents.render(s, rid, "reply")[0] == shown


def test_a_letter_changed_after_it_was_shown_is_not_signed(engine) -> None:
    rid = _drafted(engine)
    with db.transaction(engine) as s:
        shown, _ = documents.render(s, rid, "reply")
        # The office's name (from the organisation file) changes while the signer reads it.
        s.execute(update(Unit).where(Unit.kind == UnitKind.CENTER).values(name="新名称中心"))
    with (
        pytest.raises(DecisionRefused, match="在您查看之后有了变化，请重新查看后再签发"),
        db.transaction(engine) as s,
    ):
        reply.decide(s, rid, actor=SIGNER, approve=True, letter_seen=documents.fingerprint(shown))
    with db.transaction(engine) as s:
        assert reply.current(s, rid).next_step == "sign"  # nothing was written
        assert files.letter(s, rid, 1) is None


def test_a_kept_letter_whose_bytes_changed_is_neither_served_nor_sent(engine) -> None:
    rid = _drafted(engine)
    with db.transaction(engine) as s:
        reply.decide(s, rid, actor=SIGNER, approve=True)
    with db.transaction(engine) as s:
        s.execute(update(RequestFile).values(content=b"PK\x03\x04 another letter"))
    with db.transaction(engine) as s:
        with pytest.raises(DecisionRefused, match="答复告知书与签发时的不一致"):
            documents.render(s, rid, "reply")
        with pytest.raises(DecisionRefused, match="答复告知书与签发时的不一致"):
            reply.send(s, rid, actor=HANDLER, sent_on=store.office_today())
        assert files.problems(s) == [
            f"第 {rid} 号申请第 1 稿签发的答复告知书：内容与台帐记录的 SHA-256 不符（已改动）"
        ]
