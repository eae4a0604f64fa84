"""年度结转: a year closes only when each of its requests has an outcome or is carried over."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from models import LedgerEntry
from pubreview import db
from pubreview.errors import DecisionRefused, Forbidden
from pubreview.requests import cases, tables, years
from tests.support.requests import HANDLER, SIGNER, answer, receive


def _entries(engine) -> int:
    with db.transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(LedgerEntry))


def _close(engine, year: int, actor: str = SIGNER) -> years.YearClosed:
    with db.transaction(engine) as s:
        return years.close_year(s, year, actor=actor)


def test_a_request_past_its_deadline_without_outcome_blocks_the_close(engine) -> None:
    answered = receive(engine, date(2025, 3, 3))
    answer(engine, answered, "三（一）", date(2025, 3, 20))
    late = receive(engine, date(2025, 6, 2))  # due in June, never answered
    receive(engine, date(2025, 12, 29))  # due in January 2026: carried over
    before = _entries(engine)
    with pytest.raises(DecisionRefused) as refused:
        _close(engine, 2025)
    assert f"第 {late} 号" in str(refused.value) and "2025 年不能结转" in str(refused.value)
    assert _entries(engine) == before  # nothing written
    with db.transaction(engine) as s:
        assert years.closed(s, 2025) is None

    answer(engine, late, "三（一）", date(2026, 1, 5))  # answered late, after the year
    done = _close(engine, 2025)
    assert done.answered == 1 and len(done.carried_over) == 2 and late in done.carried_over
    with db.transaction(engine) as s:
        assert years.closed(s, 2025) == done
    with pytest.raises(DecisionRefused, match="已办理年度结转"):
        _close(engine, 2025)


def test_a_request_carried_into_the_year_must_be_settled_too(engine) -> None:
    old = receive(engine, date(2024, 12, 27))  # carried into 2025, due there
    answer(engine, receive(engine, date(2024, 5, 6)), "三（一）", date(2024, 5, 20))  # not 2025's
    with pytest.raises(DecisionRefused, match=f"第 {old} 号"):
        _close(engine, 2025)
    answer(engine, old, "三（二）", date(2025, 1, 10))
    assert _close(engine, 2025).carried_over == []


def test_only_the_head_or_an_administrator_closes_an_ended_year(engine) -> None:
    with pytest.raises(Forbidden):
        _close(engine, 2025, actor=HANDLER)
    with pytest.raises(DecisionRefused, match="尚未结束"):
        _close(engine, date.today().year + 1)


def test_close_year_from_the_command_line(engine, database_url, tmp_path, monkeypatch, capsys):
    from pubreview.cli.parser import main

    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    late = receive(engine, date(2025, 6, 2))
    assert main(["request", "close-year", "2025", "--as", SIGNER, "--json"]) == 1
    assert f"第 {late} 号" in json.loads(capsys.readouterr().out)["message"]
    answer(engine, late, "三（一）", date(2025, 6, 20))
    assert main(["request", "close-year", "2025", "--as", SIGNER]) == 0
    assert "2025 年已结转：年内办结 1 件，结转下年度 0 件" in capsys.readouterr().out


def test_the_head_closes_a_year_from_the_tables_page(engine, database_url, tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from tests.support.accounts import form_token, login, set_password
    from tests.support.web import AfterCommitRecorder, make_app, point_at

    point_at(monkeypatch, database_url, tmp_path / "data", "http://testserver/")
    with db.transaction(engine) as s:
        set_password(s, SIGNER, "Rb7-secure-pw")
        set_password(s, HANDLER, "Rb7-secure-pw")
    late = receive(engine, date(2025, 6, 2))
    with TestClient(make_app(AfterCommitRecorder()), base_url="http://testserver") as client:
        login(client, HANDLER, "Rb7-secure-pw")  # a handler sees no button
        assert "办理 2025 年度结转" not in client.get("/requests/tables?year=2025").text
        client.cookies.clear()
        login(client, SIGNER, "Rb7-secure-pw")
        page = client.get("/requests/tables?year=2025").text
        assert "办理 2025 年度结转" in page
        before = _entries(engine)
        refused = client.post(
            "/requests/tables/2025/close", data={"csrf": form_token(page)}, follow_redirects=False
        )
        assert refused.status_code == 409 and f"第 {late} 号" in refused.text
        assert _entries(engine) == before
        answer(engine, late, "三（一）", date(2025, 6, 20))
        done = client.post(
            "/requests/tables/2025/close", data={"csrf": form_token(page)}, follow_redirects=True
        )
        assert done.status_code == 200 and "2025 年已办理年度结转" in done.text
        assert "办理 2025 年度结转" not in done.text


def test_a_closed_year_takes_no_more_receipts_or_outcomes(engine) -> None:
    carried = receive(engine, date(2025, 12, 29))
    _close(engine, 2025)
    with pytest.raises(DecisionRefused, match="已办理年度结转的 2025 年"):
        receive(engine, date(2025, 12, 30))
    with pytest.raises(DecisionRefused, match="已办理年度结转的 2025 年"):
        answer(engine, carried, "三（一）", date(2025, 12, 31))
    answer(engine, carried, "三（一）", date(2026, 1, 6))  # the next year's outcome is fine


CLOSED_2025 = "已办理年度结转的 2025 年内，不能再记入该年度"


def test_a_closed_year_takes_no_more_cases_or_case_results(engine) -> None:
    rid = receive(engine, date(2025, 3, 3))
    answer(engine, rid, "三（三）4", date(2025, 3, 20))
    with db.transaction(engine) as s:
        pending = cases.file(s, actor=HANDLER, kind="行政复议", filed_on=date(2025, 11, 3)).id
    _close(engine, 2025)
    before = _entries(engine)
    with db.transaction(engine) as s, pytest.raises(DecisionRefused) as filed:
        cases.file(s, actor=HANDLER, kind="行政复议", filed_on=date(2025, 12, 1), request_id=rid)
    assert f"立案日期（2025-12-01）在{CLOSED_2025}" in str(filed.value)
    with db.transaction(engine) as s, pytest.raises(DecisionRefused) as decided:
        cases.decide(s, pending, actor=HANDLER, result="维持", decided_on=date(2025, 12, 30))
    assert f"审结日期（2025-12-30）在{CLOSED_2025}" in str(decided.value)
    assert _entries(engine) == before
    with db.transaction(engine) as s:
        assert tables.year_tables(s, 2025).table4["行政复议"] == [0, 0, 0, 1, 1]
        # The next year's dates are fine, and 2025's Table 四 still says 尚未审结.
        cases.decide(s, pending, actor=HANDLER, result="维持", decided_on=date(2026, 1, 5))
        cases.file(s, actor=HANDLER, kind="复议后起诉", filed_on=date(2026, 1, 6), request_id=rid)
        assert tables.year_tables(s, 2025).table4["行政复议"] == [0, 0, 0, 1, 1]


def test_a_case_in_a_closed_year_is_refused_on_the_command_line_and_the_page(
    engine, database_url, tmp_path, monkeypatch, capsys
) -> None:
    from fastapi.testclient import TestClient

    from pubreview.cli.parser import main
    from tests.support.accounts import form_token, login, set_password
    from tests.support.web import AfterCommitRecorder, make_app, point_at

    rid = receive(engine, date(2025, 3, 3))
    answer(engine, rid, "三（三）4", date(2025, 3, 20))
    _close(engine, 2025)
    point_at(monkeypatch, database_url, tmp_path / "data", "http://testserver/")
    before = _entries(engine)
    add = ["case", "add", "--as", HANDLER, "--kind", "行政复议", "--request", str(rid)]
    assert main([*add, "--filed-on", "2025-12-01", "--json"]) == 1
    refused = json.loads(capsys.readouterr().out)["message"]
    assert f"立案日期（2025-12-01）在{CLOSED_2025}" in refused
    assert _entries(engine) == before
    with db.transaction(engine) as s:
        set_password(s, HANDLER, "Rb7-secure-pw")
    with TestClient(make_app(AfterCommitRecorder()), base_url="http://testserver") as client:
        login(client, HANDLER, "Rb7-secure-pw")
        page = client.get(f"/requests/{rid}").text
        before = _entries(engine)
        refused = client.post(
            f"/requests/{rid}/case",
            data={"csrf": form_token(page), "kind": "行政复议", "filed_on": "2025-12-01"},
            follow_redirects=False,
        )
        assert refused.status_code == 409
        assert f"立案日期（2025-12-01）在{CLOSED_2025}" in refused.text
        assert "本次访问未作任何更改" in refused.text
        assert _entries(engine) == before
    assert main([*add, "--filed-on", "2026-01-06"]) == 0
    assert "行政复议案件（2026-01-06）" in capsys.readouterr().out
