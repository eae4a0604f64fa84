"""Personal data in a report: the ledger's applicant names, ID and mobile numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from pubreview import cli
from pubreview.report import privacy
from pubreview.report.audit import audit_file
from pubreview.report.build import build_report
from tests.support.report import national_supplement
from tests.support.requests import receive

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ID_NUMBER = "11010519491231002X"  # GB 11643's own example: a valid check digit
MOBILE = "13912345678"
TEXT = f"本年度收到申请人黄耀锋（身份证号{ID_NUMBER}，电话{MOBILE}）的申请1件，已依法答复。"


def test_names_ids_and_mobiles_are_found_and_masked() -> None:
    found = list(privacy.find([("第3段", TEXT)], names=("黄耀锋",)))
    assert [(f.what, f.shown, f.severity) for f in found] == [
        ("申请人姓名（依申请公开台帐登记）", "黄*锋", "error"),
        ("居民身份证号码", "1101**********002X", "error"),
        ("手机号码", "139****5678", "warning"),
    ]
    assert all(ID_NUMBER not in f.message and "黄耀锋" not in f.message for f in found)
    # A published duty number passes when listed; an ordinary text has nothing.
    assert [f.what for f in privacy.find([("", TEXT)], allow=(MOBILE,))] == ["居民身份证号码"]
    assert list(privacy.find([("", "本年度新收申请12件，电话0736-7786510。")], ("黄耀锋",))) == []


def test_audit_finds_numbers_without_a_ledger_and_names_with_one(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text(f"2025年度某局政府信息公开工作年度报告\n{TEXT}\n", encoding="utf-8")
    without = [p for p in audit_file(path).problems if "个人信息" in p.message]
    assert [(p.severity, "居民身份证号码" in p.message) for p in without] == [
        ("error", True),
        ("warning", False),
    ]
    named = audit_file(path, applicant_names=("黄耀锋",))
    assert any("黄*锋" in p.message for p in named.problems) and named.contradicted


@sqlite_only
def test_a_supplement_naming_a_ledger_applicant_is_a_finding(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An applicant no name pattern would catch: no role word before the name.
    receive(engine, date(2021, 3, 1), applicant_name="欧阳春晓", applicant_contact=MOBILE)
    path = national_supplement(tmp_path / "supplement-2021.yaml")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["narrative"]["other"] = "感谢欧阳春晓对本机关政府信息公开工作的监督。"
    del doc["table3"], doc["table4"]  # the ledger's, since 2021 has a tracked request
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    report = build_report(engine, 2021, None, path, tmp_path / "out")
    found = [p for p in report.problems if "个人信息" in p.message]
    assert [(p.where.split("（")[0], p.severity) for p in found] == [
        ("补充材料 narrative.other", "error")
    ]
    assert "欧**晓" in found[0].message

    # `report audit` on this machine reads the same ledger's names.
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    published = tmp_path / "published.txt"
    published.write_text("2021年度某办政府信息公开工作年度报告\n" + doc["narrative"]["other"])
    assert cli.main(["report", "audit", str(published)]) == 1
