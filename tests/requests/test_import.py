"""A request list kept elsewhere (CSV/XLSX) loads into the ledger and counts in Table 三."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import DisclosureRequest, LedgerEntry
from pubreview import db
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.requests import cache, importer, store, tables
from tests.support.requests import HANDLER, answer, receive

HEADER = "收到日期,渠道,申请人类型,办理结果,答复日期,申请内容\n"
GOOD = (
    "2025-03-03,当面,自然人,三（一）,2025-03-20,某文件\n"
    "2025/4/7,邮寄,商业企业,三（三）4,2025/4/30,\n"
    "2024-12-26,网上,科研机构,三(二),2025-01-10,\n"
    "2025-12-22,电邮,其他,,,\n"  # still being handled: open, with its deadline
)


def _write(tmp_path: Path, text: str, name: str = "list.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def _load(engine, path: Path) -> list[int]:
    with db.transaction(engine) as s:
        return importer.import_list(s, importer.read(path), actor=HANDLER)


def _counts(engine) -> tuple[int, int]:
    with db.transaction(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(LedgerEntry)),
            s.scalar(select(func.count()).select_from(DisclosureRequest)),
        )


def test_imported_requests_count_in_table_3_like_tracked_ones(engine, tmp_path) -> None:
    tracked = receive(engine, date(2025, 5, 6), "自然人")
    answer(engine, tracked, "三（一）", date(2025, 5, 20))
    ids = _load(engine, _write(tmp_path, HEADER + GOOD, encoding="gb18030"))
    assert len(ids) == 4
    with db.transaction(engine) as s:
        t = tables.year_tables(s, 2025)
        assert t.balance_problems() == []
        assert t.table3["一"][-1] == 4 and t.table3["二"][-1] == 1
        assert t.table3["三（一）"][0] == 2  # 自然人: one imported, one tracked
        assert t.table3["三（三）4"][1] == 1 and t.table3["三（二）"][-1] == 1
        assert t.table3["四"][-1] == 1
        still_open = store.get(s, ids[3])
        assert still_open.status.value == "open" and still_open.due_on > date(2025, 12, 22)
        assert cache.check(s) == []  # the rows are what the ledger entries replay to
    answer(engine, ids[3], "三（一）", date(2026, 1, 9))  # followed up here like any request


def test_every_bad_row_is_named_and_nothing_is_loaded(engine, tmp_path) -> None:
    before = _counts(engine)
    bad = (
        "2025-03-03,当面,个人,三（一）,2025-03-20,\n"  # row 2: unknown applicant type
        "2025-03-03,当面,自然人,三（九）,2025-03-20,\n"  # row 3: no such outcome
        "2025-13-01,当面,自然人,三（一）,2025-03-20,\n"  # row 4: not a date
        "2025-03-10,当面,自然人,三（一）,2025-03-01,\n"  # row 5: reply before receipt
        "2025-03-10,飞鸽,自然人,三（一）,,\n"  # row 6: unknown channel, reply date missing
    )
    with pytest.raises(ValidationError) as failed:
        _load(engine, _write(tmp_path, HEADER + GOOD + bad))
    text = str(failed.value)
    for where in (
        "第 6 行「申请人类型」",
        "第 7 行「办理结果」",
        "第 8 行「收到日期」",
        "第 9 行「答复日期」",
        "第 10 行「渠道」",
        "第 10 行「答复日期」",
    ):
        assert where in text, where
    assert "未导入任何申请" in text and "第 2 行" not in text
    assert _counts(engine) == before
    with pytest.raises(ValidationError, match="缺少列：办理结果、答复日期"):
        _load(engine, _write(tmp_path, "收到日期,渠道,申请人类型\n2025-03-03,当面,自然人\n"))
    assert _counts(engine) == before


def test_the_same_list_is_not_loaded_twice(engine, tmp_path) -> None:
    path = _write(tmp_path, HEADER + GOOD)
    _load(engine, path)
    before = _counts(engine)
    with pytest.raises(DecisionRefused, match="已经导入过"):
        _load(engine, path)
    assert _counts(engine) == before


def test_an_xlsx_list_loads_too(engine, tmp_path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["收到日期", "渠道", "申请人类型", "办理结果", "答复日期"])
    sheet.append([date(2025, 3, 3), "当面", "法律服务机构", "三（一）", date(2025, 3, 12)])
    path = tmp_path / "list.xlsx"
    book.save(path)
    assert len(_load(engine, path)) == 1
    with db.transaction(engine) as s:
        assert tables.year_tables(s, 2025).table3["三（一）"][4] == 1


def test_import_from_the_command_line(engine, database_url, tmp_path, monkeypatch, capsys):
    from pubreview.cli.parser import main

    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    path = _write(tmp_path, HEADER + GOOD)
    assert main(["request", "import", str(path), "--as", HANDLER, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == 4
    assert main(["request", "import", str(tmp_path / "none.csv"), "--as", HANDLER]) == 1
    assert "找不到文件" in capsys.readouterr().err


def test_a_closed_year_takes_no_imported_rows(engine, tmp_path) -> None:
    from pubreview.requests import years
    from tests.support.requests import SIGNER

    with db.transaction(engine) as s:
        years.close_year(s, 2024, actor=SIGNER)
    with pytest.raises(ValidationError, match="第 4 行「收到日期」：2024 年已办理年度结转"):
        _load(engine, _write(tmp_path, HEADER + GOOD))


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_unpacked() -> None:
    from pubreview.errors import ArchiveRefused
    from tests.screening.test_archive import bomb

    with pytest.raises(ArchiveRefused, match="list.xlsx"):
        importer.parse("list.xlsx", bomb(40 * 1024 * 1024))
