"""Tables 三 and 四 from the request ledger in the report, and the supplement laid over them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from pubreview import db
from pubreview.errors import ValidationError
from pubreview.report import supplement
from pubreview.report.build import build_report
from pubreview.report.formats import NATIONAL, NATIONAL_2019
from pubreview.requests import tables
from tests.report.test_national import md_table
from tests.support.report import national_supplement
from tests.support.request_report import tracked_supplement as _supplement
from tests.support.request_report import year_of_requests as _year_of_requests

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@sqlite_only
def test_a_tracked_year_takes_tables_3_and_4_from_the_ledger(
    engine: Engine, tmp_path: Path
) -> None:
    _year_of_requests(engine)
    with db.transaction(engine) as s:
        expected = tables.year_tables(s, 2025)
    path = _supplement(tmp_path / "supplement-2025.yaml")
    report = build_report(engine, 2025, None, path, tmp_path / "out")
    assert report.supplement.table3 == expected.table3
    assert report.supplement.table4 == expected.table4
    assert expected.table3["一"][-1] == 5 and expected.table3["二"][-1] == 1
    assert expected.table3["四"][-1] == 1
    assert report.summary()["tables_from_ledger"] == ["table3", "table4"]
    assert report.problems == []
    text = report.files["markdown"].read_text(encoding="utf-8")
    assert "表三由本机关依申请公开台帐" in text and "表四由本机关依申请公开台帐" in text
    printed = md_table(text, "收到和处理政府信息公开申请情况")
    assert [[int(c) for c in row[1:]] for row in printed] == list(expected.table3.values())


@sqlite_only
def test_a_supplement_cell_that_contradicts_the_ledger_is_reported(
    engine: Engine, tmp_path: Path
) -> None:
    _year_of_requests(engine)
    typed = {"一": [9, None, None, None, None, None, None]}
    path = _supplement(tmp_path / "supplement-2025.yaml", table3=typed)
    report = build_report(engine, 2025, None, path, tmp_path / "out")
    found = [str(p) for p in report.problems]
    assert found == [
        "[error] 表三 行「一、本年新收政府信息公开申请数量」 列「自然人」: 补充材料填报 9，"
        "而依申请公开台帐为 4：报告采用台帐数字；如确需采用补充材料的数字，"
        "请在补充材料 table3_reason 中写明理由"
    ]
    assert report.supplement.table3["一"][0] == 4

    # With a reason the office's figure is taken, said once, and the 勾稽 rule then speaks.
    reason = "台帐3月启用，此前6件申请登记在纸质台帐"
    path = _supplement(tmp_path / "supplement-2025.yaml", table3=typed, table3_reason=reason)
    report = build_report(engine, 2025, None, path, tmp_path / "out2")
    assert report.supplement.table3["一"][0] == 9
    wheres = [(p.severity, p.where) for p in report.problems]
    assert ("warning", "表三 行「一、本年新收政府信息公开申请数量」 列「自然人」") in wheres
    assert ("error", "表三 列「自然人」") in wheres  # 一＋二 no longer equals （七）＋四
    assert reason in report.files["markdown"].read_text(encoding="utf-8")


def test_load_asks_for_tables_only_when_the_ledger_has_none(tmp_path: Path) -> None:
    path = _supplement(tmp_path / "supplement-2025.yaml")
    with pytest.raises(ValidationError) as refused:
        supplement.load(path, 2025, NATIONAL)
    assert "table3：缺少此项" in str(refused.value) and "table4：缺少此项" in str(refused.value)
    sup = supplement.load(path, 2025, NATIONAL, from_ledger={"table3", "table4"})
    assert sup.table3 is None and sup.from_ledger == {"table3", "table4"}
    partial = _supplement(tmp_path / "partial.yaml", table3={"四": [0, 0, 0, 0, 0, 0, 0]})
    sup = supplement.load(partial, 2025, NATIONAL, from_ledger={"table3", "table4"})
    assert sup.table3 == {"四": [0] * 7}
    # A reason for a table the ledger does not supply is refused.
    odd = national_supplement(tmp_path / "odd.yaml", 2025, table3_reason="x")
    with pytest.raises(ValidationError, match="table3_reason：本年度表三不由依申请公开台帐生成"):
        supplement.load(odd, 2025, NATIONAL)


ALLOWED_WORDS = {
    "pubreview", "report", "supplement", "table3", "table3_reason", "sections", "title",
    "after", "text", "requests", "allow", "patterns", "total",
}  # fmt: skip


@pytest.mark.parametrize("edition", [NATIONAL, NATIONAL_2019])
@pytest.mark.parametrize("from_ledger", [(), ("table3", "table4")])
def test_the_template_asks_only_for_what_the_ledger_lacks_in_chinese(
    tmp_path: Path, edition, from_ledger: tuple[str, ...]
) -> None:
    year = 2025 if edition is NATIONAL else 2020
    text = supplement.template(year, edition, from_ledger=from_ledger)
    data = yaml.safe_load(text)
    assert ("table3" in data) == ("table3" not in from_ledger)
    assert ("table4" in data) == ("table4" not in from_ledger)
    assert ("由台帐统计生成" in text) == bool(from_ledger)
    for line in text.splitlines():
        comment = line.partition("#")[2]
        english = set(re.findall(r"[A-Za-z][A-Za-z0-9_]{2,}", comment)) - ALLOWED_WORDS
        assert not english, line
    path = tmp_path / f"supplement-{year}.yaml"
    path.write_text(text, encoding="utf-8")
    sup = supplement.load(path, year, edition, from_ledger=from_ledger)
    assert sup.from_ledger == frozenset(from_ledger)
