"""`pubreview request …` and `pubreview case …` on a real database, as a script uses them."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from models import LedgerEntry
from pubreview import db, ledger
from pubreview.cli.parser import main
from pubreview.notify.outbox import read_outbox
from pubreview.notify.reply_steps import tell_reply_step
from pubreview.requests import reply
from pubreview.review.entries import Reassigned
from tests.support.requests import HANDLER, REVIEWER, SIGNER, receive


@pytest.fixture
def cli(engine: Engine, database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))

    def run(*args: str) -> tuple[int, dict | list | None, str]:
        code = main(list(args))
        out = capsys.readouterr()
        data = json.loads(out.out) if "--json" in args and out.out.strip() else None
        return code, data, out.out + out.err

    return run


def test_a_request_from_receipt_to_reply(cli, engine: Engine) -> None:
    code, made, _ = cli(
        "request", "receive", "--as", "zhou.min", "--channel", "邮寄",
        "--applicant-type", "自然人", "--arrived-on", "2025-09-26", "--signed-on", "2025-09-28",
        "--content", "请公开某小区规划许可", "--applicant", "李四", "--contact", "13900000000",
        "--json",
    )  # fmt: skip
    assert code == 0
    rid = made["id"]
    assert (made["received_on"], made["due_on"]) == ("2025-09-28", "2025-10-31")
    assert made["applicant"] == "李四"
    code, shown, _ = cli("request", "show", str(rid), "--json")
    assert code == 0
    assert shown["applicant"] == "李＊＊＊" and shown["contact"] == "1＊＊＊"
    assert (shown["received_on"], shown["due_on"]) == ("2025-09-28", "2025-10-31")
    code, _, text = cli("request", "show", str(rid), "--as", "zhou.min")
    assert "李四" in text and "国庆节、中秋节 10-01…10-08 不计" in text
    code, _, _ = cli(
        "request", "extend", str(rid), "--as", "zhou.min", "--days", "10",
        "--approved-by", "zeng.xiang", "--notified-on", "2025-10-20", "--reason", "需调取档案",
    )  # fmt: skip
    assert code == 0
    steps = [
        ("--outcome", "三（一）", "--basis", "《政府信息公开条例》第三十六条第（二）项"),
        ("--approve",),
    ]
    assert cli("request", "reply", str(rid), "--as", "zhou.min", *steps[0])[0] == 0
    assert cli("request", "reply", str(rid), "--as", "wu.gang", *steps[1])[0] == 0
    assert cli("request", "reply", str(rid), "--as", "zeng.xiang", *steps[1],
               "--signed-on", "2025-11-04")[0] == 0  # fmt: skip
    before = _entry_count(engine)
    code, err, _ = cli(
        "request", "reply", str(rid), "--as", "zhou.min", "--sent-on", "2025-11-03", "--json"
    )
    assert code == 1 and "发出日期 2025-11-03 早于签发日期 2025-11-04" in err["message"]
    assert _entry_count(engine) == before  # nothing written
    code, done, _ = cli(
        "request", "reply", str(rid), "--as", "zhou.min", "--sent-on", "2025-11-05", "--json"
    )
    assert code == 0
    assert (done["outcome"], done["closed_on"], done["status"]) == (
        "三（一）",
        "2025-11-05",
        "closed",
    )
    assert [s["step"] for s in done["reply"]["steps"]] == ["承办", "审核", "签发"]
    code, listed, _ = cli("request", "list", "--json")
    assert [r["id"] for r in listed] == [rid]


def test_refusals_say_what_to_fix_and_write_nothing(cli, engine: Engine) -> None:
    def entries() -> int:
        with db.transaction(engine) as s:
            return s.scalar(select(func.count()).select_from(LedgerEntry))

    before = entries()
    code, err, text = cli(
        "request", "receive", "--as", "zhou.min", "--channel", "当面", "--applicant-type", "个人",
        "--arrived-on", "2025-03-03", "--content", "某文件", "--json",
    )  # fmt: skip
    assert code == 1 and err["error"] == "ValidationError"
    assert "没有「个人」这种申请人类型" in err["message"]
    assert entries() == before
    code, made, _ = cli(
        "request", "receive", "--as", "zhou.min", "--channel", "当面", "--applicant-type", "其他",
        "--arrived-on", "2025-03-03", "--content", "某文件", "--json",
    )  # fmt: skip
    rid = str(made["id"])
    code, err, _ = cli(
        "request", "close", rid, "--as", "zhou.min", "--outcome", "三（一）",
        "--closed-on", "2025-03-10", "--json",
    )  # fmt: skip
    assert code == 1 and "须经承办、审核、签发" in err["message"]
    code, err, _ = cli(
        "request", "extend", rid, "--as", "zhou.min", "--days", "25", "--approved-by",
        "zeng.xiang", "--notified-on", "2025-03-10", "--reason", "x", "--json",
    )  # fmt: skip
    assert code == 1 and "延期最长 20 个工作日" in err["message"]
    assert cli("request", "show", "999", "--json")[1]["error"] == "NotFound"


def test_cases_feed_table_4(cli, engine: Engine) -> None:
    code, case, _ = cli(
        "case", "add", "--as", "zhou.min", "--kind", "行政复议", "--filed-on", "2025-05-06",
        "--json",
    )  # fmt: skip
    assert code == 0 and case["result"] == "尚未审结"
    code, decided, _ = cli(
        "case", "decide", str(case["id"]), "--as", "zhou.min", "--result", "纠正",
        "--decided-on", "2025-07-01", "--json",
    )  # fmt: skip
    assert code == 0 and decided["result"] == "结果纠正"
    code, err, _ = cli(
        "case", "decide", str(case["id"]), "--as", "zhou.min", "--result", "维持",
        "--decided-on", "2025-07-02", "--json",
    )  # fmt: skip
    assert code == 1 and "已有结果" in err["message"]


def test_a_letter_is_written_for_a_handler(cli, tmp_path) -> None:
    code, made, _ = cli(
        "request", "receive", "--as", "zhou.min", "--channel", "当面", "--applicant-type",
        "自然人", "--arrived-on", "2025-03-03", "--content", "某文件", "--applicant", "周某",
        "--json",
    )  # fmt: skip
    out = tmp_path / "回执.docx"
    code, done, _ = cli(
        "request", "document", str(made["id"]), "--as", "zhou.min", "--kind", "receipt",
        "--out", str(out), "--json",
    )  # fmt: skip
    assert code == 0 and done["file"] == str(out) and out.read_bytes()[:2] == b"PK"
    code, err, _ = cli(
        "request", "document", str(made["id"]), "--as", "zeng.xiang", "--kind", "receipt",
        "--out", str(tmp_path / "x.docx"), "--json",
    )  # fmt: skip
    assert code == 1 and err["error"] == "Forbidden"
    assert not (tmp_path / "x.docx").exists()


def test_receive_keeps_each_attach_file_and_the_signer_fixes_the_letter(
    cli, engine: Engine, tmp_path
) -> None:
    scan, form = tmp_path / "申请书扫描件.pdf", tmp_path / "网上申请表.txt"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n")
    form.write_text("申请人：王五\n", encoding="utf-8")
    code, made, _ = cli(
        "request", "receive", "--as", "zhou.min", "--channel", "网上", "--applicant-type", "自然人",
        "--arrived-on", "2025-03-03", "--content", "某文件", "--applicant", "王五",
        "--attach", str(scan), "--attach", str(form), "--json",
    )  # fmt: skip
    assert code == 0
    assert [a["filename"] for a in made["attachments"]] == ["申请书扫描件.pdf", "网上申请表.txt"]
    assert made["attachments"][0]["sha256"] == hashlib.sha256(scan.read_bytes()).hexdigest()
    code, masked, _ = cli("request", "show", str(made["id"]), "--json")
    assert masked["attachments"] == [] and masked["attachment_count"] == 2
    code, _, text = cli("request", "show", str(made["id"]))
    assert "附件 2 个（申请人的个人信息" in text and "申请书扫描件" not in text
    rid = str(made["id"])
    assert cli("request", "reply", rid, "--as", "zhou.min", "--outcome", "三（一）",
               "--basis", "条例第三十六条")[0] == 0  # fmt: skip
    assert cli("request", "reply", rid, "--as", "wu.gang", "--approve")[0] == 0
    code, read, _ = cli(
        "request", "document", rid, "--as", "zeng.xiang", "--kind", "reply",
        "--out", str(tmp_path / "答复.docx"), "--json",
    )  # fmt: skip
    assert code == 0  # the signer reads the letter they sign
    code, err, _ = cli(
        "request", "reply", rid, "--as", "zeng.xiang", "--approve", "--letter", "0" * 64, "--json"
    )
    assert code == 1 and "在您查看之后有了变化" in err["message"]
    code, _, text = cli(
        "request", "reply", rid, "--as", "zeng.xiang", "--approve", "--letter", read["sha256"]
    )
    assert code == 0 and f"答复告知书已固定（SHA-256 {read['sha256']}）" in text
    before = _entry_count(engine)
    bad = tmp_path / "照片.png"
    bad.write_bytes(b"not a picture")
    code, err, _ = cli(
        "request", "receive", "--as", "zhou.min", "--channel", "当面", "--applicant-type", "其他",
        "--arrived-on", "2025-03-03", "--content", "某文件", "--attach", str(bad), "--json",
    )  # fmt: skip
    assert code == 1 and "附件“照片.png”的内容与扩展名 .png 不符" in err["message"]
    code, err, _ = cli(
        "request", "receive", "--as", "zhou.min", "--channel", "当面", "--applicant-type", "其他",
        "--arrived-on", "2025-03-03", "--content", "某文件",
        "--attach", str(tmp_path / "没有.pdf"), "--json",
    )  # fmt: skip
    assert code == 1 and "无法读取" in err["message"]
    assert _entry_count(engine) == before


def _entry_count(engine: Engine) -> int:
    with db.transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(LedgerEntry))


def test_chain_show_a_requests_reply_chain(cli, engine: Engine) -> None:
    rid = receive(engine, date(2025, 7, 1))
    code, _, out = cli("chain", "show", "--request", str(rid))
    assert code == 1 and f"第 {rid} 号申请还没有承办答复稿" in out
    with db.transaction(engine) as s:
        reply.draft(s, rid, actor=HANDLER, outcome_key="三（一）", legal_basis="条例第三十六条")
        reply.decide(s, rid, actor=REVIEWER, approve=True)
    code, data, _ = cli("chain", "show", "--request", str(rid), "--json")
    assert code == 0 and data["chain"] == "reply" and data["next_step"] == "sign"
    assert [(x["id"], x["state"]) for x in data["steps"]] == [
        ("review", "done"),
        ("sign", "waiting"),
    ]
    assert data["waiting_on"]  # the leaders who may sign: review.deciders' rule
    code, _, out = cli("chain", "show", "--request", str(rid))
    assert code == 0 and "承办 → 审核 → 签发" in out and "→ 2. 签发（sign）" in out


def test_whoever_may_decide_the_reply_step_is_told_once_when_it_opens(cli, engine: Engine) -> None:
    rid = receive(engine, date(2025, 7, 1))
    code, _, _ = cli(
        "request", "reply", str(rid), "--as", HANDLER, "--outcome", "三（一）",
        "--basis", "条例第三十六条",
    )  # fmt: skip
    assert code == 0
    (told,) = read_outbox(REVIEWER)  # the 审核 step opened: the center's reviewer
    assert f"依申请公开第 {rid} 号" in told.title and "待审核" in told.title
    assert f"/requests/{rid}" in told.body and "--as" not in told.body  # a link, no commands
    assert read_outbox(SIGNER) == []  # not yet theirs
    assert cli("request", "reply", str(rid), "--as", REVIEWER, "--approve")[0] == 0
    (signing,) = read_outbox(SIGNER)
    assert "待签发" in signing.title and "申请人" not in signing.body.split("您好")[0]
    tell_reply_step(rid)  # again: the ledger's key says it was sent
    assert len(read_outbox(SIGNER)) == 1 and len(read_outbox(REVIEWER)) == 1
    with db.transaction(engine) as s:
        keys = s.scalars(
            select(LedgerEntry.dedupe_key).where(LedgerEntry.dedupe_key.like("notified:reply:%"))
        ).all()
        assert ledger.verify(s).ok
    assert any(f"notified:reply:{rid}:r1:sign:{SIGNER}:" in k for k in keys)


def test_an_administrator_reassigns_the_reply_step_with_a_reason(
    cli, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    chains = tmp_path / "chains.yaml"
    chains.write_text(
        "chains:\n  reply:\n    applies_to: reply\n    steps:\n"
        "      - {id: review, label: 审核, role: center}\n"
        "      - {id: legal, label: 法制审核, role: section_head, unit: zonghe}\n"
        "      - {id: sign, label: 签发, role: leader}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PUBREVIEW_CHAINS", str(chains))
    rid = receive(engine, date(2025, 7, 1))
    with db.transaction(engine) as s:
        reply.draft(s, rid, actor=HANDLER, outcome_key="三（一）", legal_basis="条例第三十六条")
        reply.decide(s, rid, actor=REVIEWER, approve=True)
    shown = cli("chain", "show", "--request", str(rid), "--json")[1]
    assert shown["waiting_on"] == ["li.na", "wang.fang"]
    before = _entries(engine)
    code, _, out = cli("request", "reassign", str(rid), "--as", HANDLER, "--to", "wang.fang",
                       "--reason", "出差")  # fmt: skip
    assert code == 1 and _entries(engine) == before  # not an administrator
    code, _, out = cli("request", "reassign", str(rid), "--as", REVIEWER, "--to", SIGNER,
                       "--reason", "出差")  # fmt: skip
    assert code == 1 and "不能改派给" in out and _entries(engine) == before
    code, _, out = cli("request", "reassign", str(rid), "--as", REVIEWER, "--to", "wang.fang",
                       "--reason", "李娜出差")  # fmt: skip
    assert code == 0 and "法制审核改由" in out and "（wang.fang）" in out
    assert cli("chain", "show", "--request", str(rid), "--json")[1]["waiting_on"] == ["wang.fang"]
    assert cli("request", "reply", str(rid), "--as", "li.na", "--approve")[0] == 1
    with db.transaction(engine) as s:
        (moved,) = [e for e in ledger_entries(s) if e.kind == "reassigned"]
    assert moved.comment == "李娜出差" and moved.actor == REVIEWER
    # Stored as it always was, and read back by the typed payload.
    stored = {k: v for k, v in moved.payload.items() if k != "os_user"}
    expected = {"request_id": rid, "round": 1, "to": "wang.fang", "previous": None, "via": "cli"}
    assert stored == expected and Reassigned.from_payload(moved.payload).to_payload() == stored
    assert cli("request", "reply", str(rid), "--as", "wang.fang", "--approve")[0] == 0
    with db.transaction(engine) as s:
        assert reply.current(s, rid).next_step == "sign" and ledger.verify(s).ok


def ledger_entries(s) -> list[LedgerEntry]:
    return list(s.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))


def _entries(engine: Engine) -> int:
    with db.transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(LedgerEntry))
