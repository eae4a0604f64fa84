"""The 依申请公开 pages over HTTP, logged in: register, see the deadline, 补正, answer through
承办 → 审核 → 签发, and the privacy of the applicant's details."""

from __future__ import annotations

import hashlib
import html
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from models.base import utcnow
from pubreview import db
from pubreview.notify.outbox import read_outbox
from pubreview.requests import cases, outcome, reply, store, tables, views
from pubreview.review import delegation
from tests.support.accounts import form_token, login, set_password
from tests.support.requests import HANDLER, answer, receive
from tests.support.web import AfterCommitRecorder, ledger_size, make_app, point_at

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"
PEOPLE = ("zhang.wei", "zhou.min", "wu.gang", "zeng.xiang", "li.na")


@pytest.fixture
def client(engine: Engine, database_url: str, tmp_path: Path, monkeypatch) -> Iterator[TestClient]:
    point_at(monkeypatch, database_url, tmp_path / "data", BASE + "/")
    with db.transaction(engine) as session:
        for username in PEOPLE:
            set_password(session, username, PASSWORD)
    with TestClient(make_app(AfterCommitRecorder()), base_url=BASE) as c:
        yield c


def _as(client: TestClient, username: str) -> None:
    client.cookies.clear()
    login(client, username, PASSWORD)


def _post(client: TestClient, path: str, page: str = "/requests", **fields: str):
    token = form_token(client.get(page).text)
    return client.post(path, data={"csrf": token, **fields}, follow_redirects=False)


def _register(client: TestClient, **fields: str) -> int:
    data = {
        "channel": "邮寄",
        "applicant_type": "商业企业",
        "arrived_on": "2025-09-26",
        "signed_on": "2025-09-28",
        "content": "请公开某项目环评批复",
        "applicant_name": "某某科技有限公司",
        "applicant_contact": "0731-12345678",
    }
    data.update(fields)
    done = _post(client, "/requests", **data)
    assert done.status_code == 303, done.text
    return int(re.search(r"/requests/(\d+)", done.headers["location"]).group(1))


def test_register_and_answer_a_request_through_the_chain(client: TestClient, engine) -> None:
    _as(client, "zhou.min")
    rid = _register(client)
    shown = client.get(f"/requests/{rid}?done=registered")
    assert shown.status_code == 200
    text = shown.text
    assert "已登记" in text and "2025-09-28（邮寄，签收之日）" in text
    assert "截止 2025-10-31" in text and "国庆节、中秋节 10-01…10-08 不计" in text
    assert "某某科技有限公司" in text and "0731-12345678" in text
    listed = client.get("/requests").text
    assert f'id="request-{rid}"' in listed and "已逾期" in listed  # 2025: long past
    assert f'id="request-{rid}"' in client.get("/requests?overdue=1").text
    page = f"/requests/{rid}"
    step = _post(
        client,
        f"/requests/{rid}/draft",
        page,
        outcome="三（三）4",
        legal_basis="《政府信息公开条例》第十五条",
    )
    assert step.status_code == 303
    (told,) = read_outbox("wu.gang")  # 审核 opened: the center's reviewer hears of it at once
    assert f"依申请公开第 {rid} 号" in told.title and "待审核" in told.title
    # The drafter cannot review their own draft.
    refused = _post(client, f"/requests/{rid}/decide", page, verdict="approve")
    assert refused.status_code == 409 and "已经承办或审核过" in refused.text
    _as(client, "wu.gang")
    assert _post(client, f"/requests/{rid}/decide", page, verdict="approve").status_code == 303
    (signing,) = read_outbox("zeng.xiang")
    assert "待签发" in signing.title
    _as(client, "zeng.xiang")
    leader_view = client.get(page).text
    assert "签发答复稿" in leader_view
    assert "某某科技有限公司" not in leader_view and "某＊＊＊" in leader_view
    signing = _post(
        client, f"/requests/{rid}/decide", page, verdict="approve", signed_on="2025-10-17"
    )
    assert signing.status_code == 303
    _as(client, "zhou.min")
    before = ledger_size(engine)
    early = _post(client, f"/requests/{rid}/send", page, sent_on="2025-10-16")
    assert early.status_code == 409, early.text
    assert "发出日期 2025-10-16 早于签发日期 2025-10-17" in html.unescape(early.text)
    assert ledger_size(engine) == before  # nothing written
    sent = _post(client, f"/requests/{rid}/send", page, sent_on="2025-10-20")
    assert sent.status_code == 303
    final = client.get(page).text
    assert "已办结：（三）不予公开4.保护第三方合法权益（2025-10-20）" in final
    with db.transaction(engine) as s:
        assert store.get(s, rid).outcome == "三（三）4"


def test_a_delegate_signs_the_reply_on_the_page(client: TestClient, engine) -> None:
    rid = receive(engine, date(2025, 10, 9))
    with db.transaction(engine) as s:
        reply.draft(s, rid, actor=HANDLER, outcome_key="三（一）", legal_basis="条例第三十六条")
        reply.decide(s, rid, actor="wu.gang", approve=True)
    page = f"/requests/{rid}"
    _as(client, "li.na")
    assert client.get(page).status_code == 403  # a section head: not hers to sign
    with db.transaction(engine) as s:
        delegation.grant(
            s,
            delegator="zeng.xiang",
            delegate="li.na",
            ends=utcnow() + timedelta(days=1),
            actor="zeng.xiang",
            reason="出差",
        )
    view = client.get(page)
    assert view.status_code == 200 and 'id="decide-signed-on"' in view.text
    signed = _post(client, f"{page}/decide", page, verdict="approve", signed_on="2025-10-10")
    assert signed.status_code == 303
    with db.transaction(engine) as s:
        assert reply.current(s, rid).sign_step.acting_for == "zeng.xiang"
    _as(client, "zhou.min")
    assert "签发：li.na（代 zeng.xiang）（同意）" in client.get(page).text


def test_correction_and_bad_input_on_the_page(client: TestClient, engine) -> None:
    _as(client, "zhou.min")
    before = ledger_size(engine)
    bad = _post(
        client, "/requests", channel="当面", applicant_type="自然人", arrived_on="", content="x"
    )
    assert bad.status_code == 422 and "请填写收到日期" in bad.text
    assert "Traceback" not in bad.text
    assert ledger_size(engine) == before
    rid = _register(client, channel="当面", arrived_on="2026-02-10", signed_on="")
    page = f"/requests/{rid}"
    asked = _post(client, f"/requests/{rid}/correct", page, asked_on="2026-02-12", what="文号")
    assert asked.status_code == 303
    waiting = client.get(page).text
    assert "等待申请人补正" in waiting and "收到补正材料" in waiting
    done = _post(client, f"/requests/{rid}/corrected", page, corrected_on="2026-03-02")
    assert done.status_code == 303
    assert "截止 2026-03-30" in client.get(page).text
    too_long = _post(
        client,
        f"/requests/{rid}/extend",
        page,
        days="30",
        approved_by="zeng.xiang",
        notified_on="2026-03-10",
        reason="量大",
    )
    assert too_long.status_code == 409 and "延期最长 20 个工作日" in too_long.text


def test_people_who_do_not_handle_requests_are_refused(client: TestClient, engine) -> None:
    _as(client, "zhou.min")
    rid = _register(client)
    _as(client, "zhang.wei")
    assert client.get("/requests").status_code == 403
    page = client.get(f"/requests/{rid}")
    assert page.status_code == 403 and "某某科技" not in page.text
    before = ledger_size(engine)
    token = form_token(page.text)
    refused = client.post(
        f"/requests/{rid}/close",
        data={"csrf": token, "outcome": "三（六）3", "closed_on": "2025-10-01", "reason": "x"},
    )
    assert refused.status_code == 403
    assert ledger_size(engine) == before


def test_the_year_tables_page_drills_down_to_requests(client: TestClient, engine) -> None:
    carried = receive(engine, date(2024, 12, 20), "科研机构")
    new = receive(engine, date(2025, 3, 3), "科研机构")
    open_one = receive(engine, date(2025, 12, 1), "自然人")
    answer(engine, carried, "三（一）", date(2025, 1, 15))
    answer(engine, new, "三（五）2", date(2025, 3, 20))
    _as(client, "zeng.xiang")  # a leader sees the counts, not the names
    page = client.get("/requests/tables?year=2025")
    assert page.status_code == 200
    html = page.text
    assert "表三" in html and "（本列数据的勾稽关系为" in html
    cell = "/requests/tables/2025/cell?row=%E4%B8%89%EF%BC%88%E4%BA%94%EF%BC%892"
    assert cell in html
    listed = client.get(cell + "&column=%E7%A7%91%E7%A0%94%E6%9C%BA%E6%9E%84")
    assert listed.status_code == 200
    assert f'id="request-{new}"' in listed.text and f'id="request-{carried}"' not in listed.text
    carry = client.get("/requests/tables/2025/cell", params={"row": "四", "column": "总计"})
    assert f'id="request-{open_one}"' in carry.text and f'id="request-{new}"' not in carry.text
    assert client.get("/requests/tables?year=abc").status_code == 400
    assert client.get("/requests/tables/2025/cell?row=x&column=y").status_code == 404


def test_letters_download_for_handlers_only(client: TestClient, engine) -> None:
    _as(client, "zhou.min")
    rid = _register(client)
    page = client.get(f"/requests/{rid}").text
    assert 'id="letter-receipt"' in page and 'id="letter-reply"' not in page
    letter = client.get(f"/requests/{rid}/documents/receipt")
    assert letter.status_code == 200
    assert letter.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert letter.content[:2] == b"PK"
    assert client.get(f"/requests/{rid}/documents/reply").status_code == 409
    _as(client, "zeng.xiang")
    assert client.get(f"/requests/{rid}/documents/receipt").status_code == 403


def _varied_year(engine) -> dict[str, list[int]]:
    """2025 with every outcome row, several applicant columns, carry-overs and every case cell."""
    columns = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
    made: dict[str, list[int]] = {"2025": [], "carried_in": [], "open": []}
    for i, key in enumerate(outcome.OUTCOME_ROWS):
        named = {"applicant_name": "李晓明"} if i == 0 else {}
        rid = receive(engine, date(2025, 2, 3) + timedelta(days=7 * i), columns[i % 6], **named)
        answer(engine, rid, key, date(2025, 2, 3) + timedelta(days=7 * i + 5))
        made["2025"].append(rid)
    for on, column in ((date(2024, 12, 16), "自然人"), (date(2024, 12, 23), "其他")):
        rid = receive(engine, on, column)
        answer(engine, rid, "三（二）", date(2025, 1, 13))
        made["carried_in"].append(rid)
    made["carried_in"].append(receive(engine, date(2024, 12, 30), "商业企业"))  # still open
    for column in ("自然人", "自然人", "科研机构"):
        rid = receive(engine, date(2025, 12, 22), column)
        made["open"].append(rid)
        made["2025"].append(rid)
    linked = made["2025"][0]
    filed = [
        ("行政复议", date(2025, 3, 2), ("结果维持", date(2025, 5, 6))),
        ("行政复议", date(2025, 4, 2), ("结果纠正", date(2025, 6, 6))),
        ("行政复议", date(2025, 11, 3), ("结果维持", date(2026, 1, 8))),  # 尚未审结 in 2025
        ("未经复议直接起诉", date(2025, 5, 5), ("其他结果", date(2025, 9, 1))),
        ("未经复议直接起诉", date(2025, 6, 5), None),
        ("复议后起诉", date(2025, 7, 7), ("结果维持", date(2025, 10, 9))),
        ("复议后起诉", date(2024, 10, 8), ("结果纠正", date(2025, 2, 9))),  # 2024's
    ]
    with db.transaction(engine) as s:
        for kind, on, result in filed:
            about = linked if on.year == 2025 else None  # 2024's: a request kept elsewhere
            case = cases.file(s, actor=HANDLER, kind=kind, filed_on=on, request_id=about)
            if result:
                cases.decide(s, case.id, actor=HANDLER, result=result[0], decided_on=result[1])
    return made


CELL_LINK = re.compile(r'href="(/requests/tables/2025/(?:cell|cases)\?[^"]+)">(\d+)</a>')


def test_every_cell_of_the_year_tables_lists_what_it_counts(client: TestClient, engine) -> None:
    made = _varied_year(engine)
    with db.transaction(engine) as s:
        computed = tables.year_tables(s, 2025)
    nonzero = [n for row in computed.table3.values() for n in row if n]
    nonzero += [n for row in computed.table4.values() for n in row if n]
    for viewer in ("zhou.min", "zeng.xiang"):  # a handler, and a leader (names masked)
        _as(client, viewer)
        links = CELL_LINK.findall(client.get("/requests/tables?year=2025").text)
        assert sorted(int(n) for _, n in links) == sorted(nonzero)  # every non-zero cell links
        for href, figure in links:
            listed = client.get(html.unescape(href))
            assert listed.status_code == 200, href
            found = re.findall(r'<tr id="(?:request|case)-(\d+)"', listed.text)
            assert len(found) == int(figure), href
            assert f"（{figure}）</h1>" in listed.text
            assert "Traceback" not in listed.text
        first = client.get("/requests/tables/2025/cell", params={"row": "一", "column": "自然人"})
        assert ("李晓明" in first.text) is (viewer == "zhou.min")  # the leader sees 李＊＊＊
        assert ("李＊＊＊" in first.text) is (viewer == "zeng.xiang")
    # Independently of the counting: row 一's total lists exactly the requests received in 2025,
    # row 二's the three received in 2024 and still open on 1 January, row 四's the open ones.
    for row, want in (("一", made["2025"]), ("二", made["carried_in"]), ("四", made["open"])):
        page = client.get("/requests/tables/2025/cell", params={"row": row, "column": "总计"})
        listed = {int(i) for i in re.findall(r'<tr id="request-(\d+)"', page.text)}
        assert listed == set(want) | (set(made["carried_in"][2:]) if row == "四" else set())
    pending = client.get(
        "/requests/tables/2025/cases", params={"group": "行政复议", "result": "尚未审结"}
    )
    assert len(re.findall(r'<tr id="case-', pending.text)) == 1
    assert f'href="/requests/{made["2025"][0]}"' in pending.text
    wrong = client.get("/requests/tables/2025/cases", params={"group": "x", "result": "总计"})
    assert wrong.status_code == 404
    for far in ("/requests/tables/99999/cell?row=一&column=总计", "/requests/tables/1/cases"):
        assert client.get(far).status_code == 404


IMPORT_HEADER = "收到日期,渠道,申请人类型,办理结果,答复日期,申请内容\n"


def _upload(client: TestClient, name: str, data: bytes, mime: str = "text/csv"):
    token = form_token(client.get("/requests/import").text)
    return client.post(
        "/requests/import",
        data={"csrf": token},
        files={"file": (name, data, mime)},
        follow_redirects=False,
    )


def test_a_request_list_is_imported_on_its_page(client: TestClient, engine) -> None:
    import openpyxl

    _as(client, "zhou.min")
    assert 'href="/requests/import"' in client.get("/requests").text
    gbk = (
        IMPORT_HEADER + "2025-03-03,当面,自然人,三（一）,2025-03-20,某项目环评批复\n"
        "2025/4/7,邮寄,商业企业,三（三）4,2025/4/30,\n"
    ).encode("gbk")
    before = ledger_size(engine)
    loaded = _upload(client, "台帐.csv", gbk)
    assert loaded.status_code == 200, loaded.text
    assert "已从「台帐.csv」导入 2 件申请" in loaded.text
    assert ledger_size(engine) == before + 4  # received and closed, for each
    with db.transaction(engine) as s:
        assert tables.year_tables(s, 2025).table3["三（一）"][0] == 1
    again = _upload(client, "台帐.csv", gbk)
    assert again.status_code == 422 and "已经导入过（2 件）" in again.text

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["收到日期", "渠道", "申请人类型", "办理结果", "答复日期"])
    sheet.append([date(2025, 5, 6), "当面", "法律服务机构", "三（一）", date(2025, 5, 12)])
    sheet.append([date(2025, 5, 7), "当面", "个人", "三（九）", date(2025, 5, 20)])
    sheet.append([date(2025, 5, 8), "飞鸽", "其他", "三（一）", None])
    buffer = io.BytesIO()
    book.save(buffer)
    before = ledger_size(engine)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    refused = _upload(client, "list.xlsx", buffer.getvalue(), xlsx)
    assert refused.status_code == 422
    text = refused.text
    assert "「list.xlsx」有 4 处错误，未导入任何申请" in text and "本次访问未作任何更改" in text
    problems = re.findall(r'<li class="error">([^<]+)</li>', text)
    assert [p.split("：")[0] for p in problems] == [
        "第 3 行「申请人类型」",
        "第 3 行「办理结果」",
        "第 4 行「渠道」",
        "第 4 行「答复日期」",
    ]
    assert ledger_size(engine) == before  # the good row 2 was not loaded either
    wrong = _upload(client, "list.txt", b"x")
    assert wrong.status_code == 422 and "应为 .csv 或 .xlsx 文件" in wrong.text
    assert "Traceback" not in wrong.text


def test_only_request_handlers_import(client: TestClient, engine) -> None:
    _as(client, "zeng.xiang")  # a leader approves, but does not keep the list
    assert client.get("/requests/import").status_code == 403
    token = form_token(client.get("/requests").text)
    data = (IMPORT_HEADER + "2025-03-03,当面,自然人,三（一）,2025-03-20,\n").encode()
    refused = client.post(
        "/requests/import", data={"csrf": token}, files={"file": ("a.csv", data, "text/csv")}
    )
    assert refused.status_code == 403
    _as(client, "zhou.min")
    no_token = client.post("/requests/import", files={"file": ("a.csv", data, "text/csv")})
    assert no_token.status_code == 403
    with db.transaction(engine) as s:
        assert views.listing(s, personal=False) == []  # nothing was imported


def test_a_2020_year_shows_the_60_hao_rows_and_drills_down_the_same(
    client: TestClient, engine
) -> None:
    rid = receive(engine, date(2020, 6, 1), "自然人")
    answer(engine, rid, "三（六）2", date(2020, 6, 10))
    _as(client, "zhou.min")
    html_2020 = client.get("/requests/tables?year=2020").text
    assert 'id="row-三（六）"' in html_2020 and 'id="row-三（六）2"' not in html_2020
    cell = client.get("/requests/tables/2020/cell", params={"row": "三（六）", "column": "自然人"})
    assert re.findall(r'<tr id="request-(\d+)"', cell.text) == [str(rid)]
    assert 'id="row-三（六）2"' in client.get("/requests/tables?year=2025").text


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
REGISTER = {
    "channel": "当面",
    "applicant_type": "自然人",
    "arrived_on": "2025-09-26",
    "content": "请公开某项目环评批复",
    "applicant_name": "张三",
}


def _register_with(client: TestClient, *uploads: tuple[str, bytes, str]):
    token = form_token(client.get("/requests").text)
    return client.post(
        "/requests",
        data={"csrf": token, **REGISTER},
        files=[("attachments", u) for u in uploads],
        follow_redirects=False,
    )


def test_receipt_attachments_are_downloads_for_request_handlers_only(
    client: TestClient, engine
) -> None:
    _as(client, "zhou.min")
    done = _register_with(
        client, ("张三申请书.pdf", PDF, "application/pdf"), ("张三身份证.png", PNG, "image/png")
    )
    assert done.status_code == 303, done.text
    rid = int(re.search(r"/requests/(\d+)", done.headers["location"]).group(1))
    page = client.get(f"/requests/{rid}").text
    links = re.findall(rf'href="(/requests/{rid}/attachments/\d+)" download', page)
    assert len(links) == 2 and "张三身份证.png" in page
    got = client.get(links[1])
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''%E5%BC%A0%E4%B8%89%E8%BA%AB%E4%BB%BD%E8%AF%81.png"
    )
    assert got.headers["x-content-type-options"] == "nosniff"
    _as(client, "zeng.xiang")  # a leader: counted, not named, not linked
    masked = client.get(f"/requests/{rid}").text
    assert "2 个（申请人的个人信息，仅办理人员可见）" in masked
    assert "张三" not in masked and "/attachments/" not in masked
    refused = client.get(links[0])
    assert refused.status_code == 403 and PDF not in refused.content


def test_a_bad_receipt_attachment_is_refused_by_name_and_nothing_is_written(
    client: TestClient, engine
) -> None:
    _as(client, "zhou.min")
    before = ledger_size(engine)
    refused = _register_with(
        client,
        ("申请书.pdf", PDF, "application/pdf"),
        ("身份证.pdf", b"MZ\x90\x00" + b"\x00" * 60, "application/pdf"),
    )
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "附件“身份证.pdf”的内容与扩展名 .pdf 不符" in text and "Traceback" not in text
    assert "请公开某项目环评批复" in text  # what was typed is shown again
    assert ledger_size(engine) == before


def test_a_refused_receipt_keeps_its_files_for_the_next_post_and_another_process(
    client: TestClient, engine, tmp_path: Path, monkeypatch
) -> None:
    """A receipt refused for a date keeps its checked files, listed and removable; the post
    that follows may reach another web process: it finds them in the shared staging folder."""
    monkeypatch.setenv("PUBREVIEW_UPLOAD_STAGING_DIR", str(tmp_path / "shared-uploads"))
    _as(client, "zhou.min")
    before = ledger_size(engine)
    token = form_token(client.get("/requests").text)
    refused = client.post(
        "/requests",
        data={"csrf": token, **REGISTER, "arrived_on": "2025-13-40"},
        files=[
            ("attachments", ("张三申请书.pdf", PDF, "application/pdf")),
            ("attachments", ("张三身份证.png", PNG, "image/png")),
        ],
        follow_redirects=False,
    )
    assert refused.status_code == 422 and ledger_size(engine) == before
    staged = re.findall(r'name="staged" value="([0-9a-f]{32})"', refused.text)
    assert len(staged) == 2 and "张三申请书.pdf" in refused.text and "已上传" in refused.text
    # Another web process: its own data folder, the same staging folder.
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "second-process"))
    done = client.post(
        "/requests",
        data={"csrf": token, **REGISTER, "staged": staged, "drop": [staged[1]]},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    rid = int(re.search(r"/requests/(\d+)", done.headers["location"]).group(1))
    page = client.get(f"/requests/{rid}").text
    (link,) = re.findall(rf'href="(/requests/{rid}/attachments/\d+)" download', page)
    assert "张三申请书.pdf" in page and "张三身份证.png" not in page
    assert client.get(link).content == PDF
    assert not any((tmp_path / "shared-uploads").glob("*/*"))  # sent or removed: none kept
    # A token that names nothing (expired, or someone else's) refuses the receipt and says so.
    again = client.post(
        "/requests",
        data={"csrf": token, **REGISTER, "staged": staged[0]},
        follow_redirects=False,
    )
    assert again.status_code == 422 and "已过期，请重新选择" in html.unescape(again.text)


def test_the_signer_reads_the_letter_and_signs_exactly_that(client: TestClient, engine) -> None:
    _as(client, "zhou.min")
    rid = _register(client)
    page = f"/requests/{rid}"
    drafted = _post(client, f"{page}/draft", page, outcome="三（一）", legal_basis="条例第三十六条")
    assert drafted.status_code == 303
    _as(client, "wu.gang")
    assert _post(client, f"{page}/decide", page, verdict="approve").status_code == 303
    _as(client, "zeng.xiang")
    view = client.get(page).text
    shown = client.get(f"{page}/documents/reply")  # the signer may read the letter they sign
    assert shown.status_code == 200 and 'id="letter-preview"' in view
    seen = hashlib.sha256(shown.content).hexdigest()
    assert f'name="letter" value="{seen}"' in view
    token = form_token(view)
    stale = client.post(
        f"{page}/decide",
        data={"csrf": token, "verdict": "approve", "letter": "0" * 64},
        follow_redirects=False,
    )
    assert stale.status_code == 409 and "在您查看之后有了变化" in stale.text
    signed = client.post(
        f"{page}/decide",
        data={"csrf": token, "verdict": "approve", "letter": seen},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert f"SHA-256 <code>{seen[:12]}" in client.get(page).text
    _as(client, "zhou.min")
    assert client.get(f"{page}/documents/reply").content == shown.content
