"""`report audit`: published reports (a site's HTML, DOCX, text) read, their tables found, checked.

The fixtures are synthetic reports written for these tests in the shapes government sites
publish (nested layout tables, rowspan/colspan, &nbsp; blanks, full-width digits, a GB
encoded page), one consistent and one contradicting itself the ways real reports do.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pubreview import cli
from pubreview.report import audit, formats
from tests.support.report import DATA

SEED = Path("/work/shared/seed/000_7cdf9aad39d2617c.txt")


def errors(a: audit.Audit) -> list[str]:
    return [str(p) for p in a.problems if p.severity == "error"]


def test_the_seed_flags_its_consultations_and_nothing_else(tmp_path: Path) -> None:
    seed = SEED if SEED.exists() else pytest.skip("the seed report is not on this machine")
    a = audit.audit_file(seed)
    assert a.edition is formats.NARRATIVE and (a.year, a.office) == (
        2018,
        "中共常德市委机构编制委员会办公室",
    )
    assert [p.severity for p in a.problems] == ["error"]
    assert "699 ≠ 68＋372＋115＋133 = 688" in errors(a)[0]
    assert "四、政府信息公开咨询处理情况" in errors(a)[0]
    # 580 = 222+22+133+85+38+80 holds; what cannot be checked is listed, not passed.
    ok = {r.claim.quote() for r in a.claims.results if r.status == "ok"}
    assert "我办累计公开政府信息580条" in ok
    assert a.claims.count("unchecked") > 0
    assert cli.main(["report", "audit", str(seed)]) == 1


def test_a_consistent_government_page_passes(capsys: pytest.CaptureFixture[str]) -> None:
    a = audit.audit_file(DATA / "2021-consistent.html")  # GB18030-encoded, like many sites
    assert a.edition is formats.NATIONAL and (a.year, a.office) == (2021, "某县人民政府办公室")
    assert a.problems == []
    assert len(a.found.table3) == 25 and len(a.found.table4) == 3
    assert a.found.table3["一"] == [8, 2, 1, 0, 1, 0, 12]  # printed in full-width digits
    assert a.found.table2["行政规范性文件"] == [3, 1, 20]
    assert (a.claims.count("ok"), a.claims.count("contradicted")) == (21, 0)
    # One figure has nothing to be checked against; it is listed, and no "all pass" is claimed.
    assert [r.claim.quote() for r in a.claims.results if r.status == "unchecked"] == [
        "全年共接受群众咨询200次"
    ]
    assert cli.main(["report", "audit", str(DATA / "2021-consistent.html")]) == 0
    out = capsys.readouterr().out
    assert "矛盾 0 处" in out and "全部校验通过" not in out


def test_a_self_contradicting_page_is_caught_where_and_how() -> None:
    a = audit.audit_file(DATA / "2021-contradicting.html")
    warnings = [str(p) for p in a.problems if p.severity == "warning"]
    # A blank 总计 column is one warning, not a dozen arithmetic errors.
    assert warnings == ["[warning] 表三（第2个表格） 列「总计」: 整列留空（未填数字，也未填 0）"]
    found = errors(a)
    assert found[0].startswith(
        "[error] 表三 列「自然人」: 一＋二 = 8＋2 = 10，（七）总计＋四 = 10＋1 = 11"
    )
    assert "表三 行「（七）总计」 列「自然人」: 填报 10，而（一）至（六）各项之和为 9" in found[1]
    claims = found[2:]
    assert len(claims) == 4 and all(
        "「三、收到和处理政府信息公开申请情况」" in c for c in claims[:3]
    )
    assert "「本年度予以公开及部分公开6件」" in claims[0] and "等于「自然人」一列" in claims[0]
    assert "「无法提供2件」" in claims[1] and "1.本机关不掌握相关政府信息」一行" in claims[1]
    assert "「予以公开率为50.2%」" in claims[2] and "四舍五入或截尾都得不到 50.2%" in claims[2]
    assert "「均获维持」" in claims[3] and "尚未审结 1" in claims[3]


def test_a_2020_report_in_the_2019_tables_with_blanks(capsys: pytest.CaptureFixture[str]) -> None:
    a = audit.audit_file(DATA / "2020-60hao-blanks.html")
    assert a.edition is formats.NATIONAL_2019
    assert len(a.found.table3) == 23 and "三（六）" in a.found.table3
    assert a.found.table2["政府集中采购"] == [4, 36.8]
    assert errors(a) == []
    assert all(p.severity == "warning" and "留空" in p.message for p in a.problems)
    assert a.claims.count("contradicted") == 0 and a.claims.count("ok") == 7
    assert cli.main(["report", "audit", str(DATA / "2020-60hao-blanks.html"), "--strict"]) == 1


def test_a_narrative_text_report() -> None:
    a = audit.audit_file(DATA / "2017-narrative.txt")
    assert a.edition is formats.NARRATIVE
    assert len(errors(a)) == 1 and "312 ≠ 180＋96＋30 = 306" in errors(a)[0]
    by_quote = {r.claim.quote(): r for r in a.claims.results}
    # 965 = 490 + 475, and 490 = 140 + 295 + 55: the bracket belongs to the website.
    assert by_quote["我局累计公开政府信息965条"].status == "ok"
    assert by_quote["其中网站490条"].status == "ok"
    assert by_quote["组织机构类140条"].claim.kind == "proactive.category"


def test_json_names_every_finding(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "audit", str(DATA / "2021-contradicting.html"), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    [report] = data["reports"]
    assert report["edition"] == "national" and report["contradicted"] == 4
    wrong = [r for r in report["claims_detail"]["results"] if r["status"] == "contradicted"]
    assert {r["kind"] for r in wrong} == {"t3", "percent", "t4.all_upheld"}
    assert all(r["where"] and r["quote"] and r["sentence"] and r["detail"] for r in wrong)
    tables = [p for p in report["problems"] if p["where"].startswith("表三")]
    assert any("列「自然人」" in p["where"] for p in tables)


def test_a_folder_gives_one_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("2021-consistent.html", "2021-contradicting.html", "2017-narrative.txt"):
        shutil.copy(DATA / name, tmp_path / name)
    assert cli.main(["report", "audit", str(tmp_path), "--json"]) == 1
    rows = [
        (Path(r["file"]).name, r["contradicted"])
        for r in json.loads(capsys.readouterr().out)["reports"]
    ]
    assert rows == [
        ("2017-narrative.txt", 1),
        ("2021-consistent.html", 0),
        ("2021-contradicting.html", 4),
    ]
    assert cli.main(["report", "audit", str(tmp_path)]) == 1
    assert "汇总：文件 | 年度 | 发布机构" in capsys.readouterr().out


def test_an_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "report.docx"
    broken.write_bytes(b"not a zip")
    assert cli.main(["report", "audit", str(broken)]) == 2
    assert "不是可读的 Word（DOCX）文件" in capsys.readouterr().out
    assert cli.main(["report", "audit", str(tmp_path / "missing.html")]) == 2


def test_a_pdf_finds_what_the_page_does() -> None:
    """The contradicting page printed to PDF by chromium: lines broken, the blank 总计 lost."""
    page = audit.audit_file(DATA / "2021-contradicting.html")
    pdf = audit.audit_file(DATA / "2021-contradicting.pdf")
    assert pdf.edition is formats.NATIONAL and pdf.office == "某县人民政府办公室"

    def quotes(a: audit.Audit) -> list[str]:
        return [
            r.claim.quote().replace(" ", "") for r in a.claims.results if r.status == "contradicted"
        ]

    assert quotes(pdf) == quotes(page)
    # Plain text cannot show where a blank cell was: six figures a row are read with the
    # 总计 column blank (the reading that keeps most identities), and that is said.
    assert "按「总计」列留空读取" in str(pdf.problems[0])
    table_errors = [
        p.message for p in pdf.problems if p.severity == "error" and p.where.startswith("表三")
    ]
    assert table_errors == [
        p.message for p in page.problems if p.severity == "error" and p.where.startswith("表三")
    ]


def test_text_broken_over_lines_is_joined(tmp_path: Path) -> None:
    report = tmp_path / "2019.txt"
    report.write_text(
        "2019年度某县交通运输局政府信息公开工作年度报告\n一、总体情况\n"
        "2019年，我局共接受群众\n咨询40次，其中电话咨询\n25次，网上咨询10次。\n"
        "规章 0 0 0\n规范性文件 1 1 6\n",
        encoding="utf-8",
    )
    a = audit.audit_file(report)
    assert a.edition is formats.NATIONAL_2019  # by its year: no table says which
    assert [r.claim.quote() for r in a.claims.results] == [
        "我局共接受群众咨询40次",
        "其中电话咨询25次",
        "网上咨询10次",
    ]
    assert "40 ≠ 25＋10 = 35" in errors(a)[0]
