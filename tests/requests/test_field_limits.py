"""A request's typed fields are held to the same limits on SQLite and PostgreSQL, by the command
line, the web form and the imported list: a clear refusal naming the field, nothing written.

SQLite would store a name of any length and a NUL; PostgreSQL would raise (string truncation,
DataError). The limits come from the columns, so both backends refuse at the same length.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from models import DisclosureRequest
from pubreview import db
from pubreview.cli.parser import main
from pubreview.errors import ValidationError
from pubreview.requests import consultation, importer, store
from tests.support.accounts import form_token, login, set_password
from tests.support.requests import HANDLER, receive
from tests.support.web import AfterCommitRecorder, ledger_size, make_app, point_at

RECEIVE = (
    "request", "receive", "--as", HANDLER, "--channel", "当面", "--applicant-type", "自然人",
    "--arrived-on", "2025-03-03", "--json",
)  # fmt: skip
# A character outside the Basic Multilingual Plane: one character on both backends.
WIDE = "𠀀"


def test_the_limits_are_the_columns() -> None:
    assert (store.NAME_LIMIT, store.CONTACT_LIMIT, store.THIRD_PARTY_LIMIT) == (200, 200, 200)


def test_the_command_line_refuses_past_the_limit_and_keeps_up_to_it(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))

    def run(*args: str) -> tuple[int, dict]:
        code = main([*RECEIVE, *args])
        return code, json.loads(capsys.readouterr().out)

    before = ledger_size(engine)
    refused = [
        (
            ("--content", "某文件", "--applicant", "名" * 201),
            "申请人姓名或名称有 201 个字，最多 200",
        ),
        (("--content", "某文件", "--contact", "号" * 201), "联系方式有 201 个字，最多 200 个字"),
        (("--content", "字" * 20001), "申请内容有 20001 个字，最多 20000 个字"),
        (("--content", "某文件", "--applicant", "张三\n李四"), "申请人姓名或名称不能换行"),
    ]
    for args, message in refused:
        code, out = run(*args)
        assert code == 1 and out["error"] == "ValidationError", out
        assert message in out["message"]
    assert ledger_size(engine) == before
    name, contact = WIDE * 200, "长沙市" + "路" * 197
    code, made = run("--content", "某文件", "--applicant", name, "--contact", contact)
    assert code == 0, made
    with db.snapshot(engine) as s:
        kept = s.get(DisclosureRequest, made["id"])
        assert (kept.applicant_name, kept.applicant_contact) == (name, contact)


def test_the_web_form_refuses_the_same_way(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch
) -> None:
    point_at(monkeypatch, database_url, tmp_path / "data", "http://testserver/")
    with db.transaction(engine) as s:
        set_password(s, HANDLER, "Rb7-secure-pw")
    fields = {
        "channel": "当面",
        "applicant_type": "自然人",
        "arrived_on": "2025-03-03",
        "content": "某文件",
        "applicant_name": "名" * 201,
    }
    with TestClient(make_app(AfterCommitRecorder()), base_url="http://testserver") as client:
        login(client, HANDLER, "Rb7-secure-pw")
        before = ledger_size(engine)
        token = form_token(client.get("/requests").text)
        done = client.post("/requests", data={"csrf": token, **fields}, follow_redirects=False)
        assert done.status_code == 422
        assert "申请人姓名或名称有 201 个字，最多 200 个字" in done.text
        assert "Traceback" not in done.text and ledger_size(engine) == before
        fields["applicant_name"] = WIDE * 200
        done = client.post("/requests", data={"csrf": token, **fields}, follow_redirects=False)
        assert done.status_code == 303, done.text
    rid = int(re.search(r"/requests/(\d+)", done.headers["location"]).group(1))
    with db.snapshot(engine) as s:
        assert s.get(DisclosureRequest, rid).applicant_name == WIDE * 200


def test_a_third_party_and_an_imported_row_meet_the_same_rules(engine: Engine) -> None:
    rid = receive(engine, store.office_today())
    with (
        pytest.raises(ValidationError, match="第三方有 201 个字，最多 200 个字"),
        db.transaction(engine) as s,
    ):
        consultation.consult(
            s, rid, actor=HANDLER, third_party="某" * 201, sent_on=store.office_today()
        )
    # A NUL in an imported cell: PostgreSQL would raise, SQLite would keep it.
    listed = importer.parse(
        "list.csv",
        "收到日期,渠道,申请人类型,办理结果,答复日期,申请内容\n"
        "2025-03-03,当面,自然人,三（一）,2025-03-20,某\x00文件\n".encode(),
    )
    nul = "第 2 行「申请内容」：申请内容含有不可见的控制字符"
    with pytest.raises(ValidationError, match=nul), db.transaction(engine) as s:
        importer.import_list(s, listed, actor=HANDLER)
    with db.snapshot(engine) as s:
        assert s.scalars(select(DisclosureRequest.id)).all() == [rid]
