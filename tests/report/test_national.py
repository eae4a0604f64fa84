"""The 〔2021〕30号 tables (Tables 二/三/四) rendered and checked, from a supplement."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document as open_docx
from sqlalchemy import Engine

from pubreview.report import supplement
from pubreview.report.build import build_report, previous_supplement
from pubreview.report.checks import check
from pubreview.report.formats import NATIONAL
from pubreview.report.rollup import YearFigures
from pubreview.report.tables import TABLE3_COLUMNS
from tests.support.report import consistent_table3, national_supplement

NO_FIGURES = YearFigures(2021, 0, {}, {}, 0, 0, 0, 0, 0, 0)
TABLE3_KEYS = NATIONAL.table3_keys
TABLE3_ROWS = NATIONAL.table3_rows


def md_table(text: str, title: str) -> list[list[str]]:
    """The body rows of the Markdown table under **title**."""
    block = text.split(f"**{title}**", 1)[1].strip().split("\n\n", 1)[0]
    return [[c.strip() for c in line.strip("|").split("|")] for line in block.splitlines()[2:]]


def test_national_tables_rendered_and_passing(engine: Engine, tmp_path: Path) -> None:
    sup = national_supplement(tmp_path / "supplement-2021.yaml")
    report = build_report(engine, 2021, None, sup, tmp_path / "out")
    assert report.edition is NATIONAL and report.problems == []
    text = report.files["markdown"].read_text(encoding="utf-8")
    assert "全部校验通过" in text
    for heading in [
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]:
        assert f"## {heading}" in text
    for article in [
        "第二十条第（一）项",
        "第二十条第（五）项",
        "第二十条第（六）项",
        "第二十条第（八）项",
    ]:
        assert f"**{article}**" in text

    table3 = md_table(text, "收到和处理政府信息公开申请情况")
    assert len(table3) == 25 and all(len(row) == 8 for row in table3)
    expected = consistent_table3()
    assert [row[0] for row in table3] == [r.full_label for r in TABLE3_ROWS]
    assert [[int(c) for c in row[1:]] for row in table3] == [expected[k] for k in TABLE3_KEYS]
    table4 = md_table(text, "政府信息公开行政复议、行政诉讼情况")
    assert [[int(c) for c in row[1:]] for row in table4] == [
        [1, 0, 0, 1, 2],
        [0] * 5,
        [0, 1, 0, 0, 1],
    ]

    html = report.files["html"].read_text(encoding="utf-8")
    assert 'rowspan="22"' in html and 'rowspan="8"' in html  # 三、本年度办理结果; （三）不予公开
    assert '<th colspan="5">法人或其他组织</th>' in html

    docx = open_docx(str(report.files["docx"]))
    grids = [[[c.text for c in row.cells] for row in t.rows] for t in docx.tables]
    table3_grid = next(g for g in grids if len(g) == 28)  # 3 header rows + 25 data rows
    assert [row[3:] for row in table3_grid[3:]] == [
        [str(v) for v in expected[k]] for k in TABLE3_KEYS
    ]
    assert table3_grid[2][3:] == list(TABLE3_COLUMNS)[:1] + list(TABLE3_COLUMNS)[1:6] + ["总计"]
    table4_grid = next(g for g in grids if len(g) == 4 and len(g[0]) == 15)
    assert table4_grid[3] == ["1", "0", "0", "1", "2", *["0"] * 5, "0", "1", "0", "0", "1"]


def _problems(tmp_path: Path, **changes: object) -> list[str]:
    path = national_supplement(tmp_path / "supplement-2021.yaml", **changes)
    return [str(p) for p in check(NO_FIGURES, supplement.load(path, 2021, NATIONAL)).problems]


def test_a_wrong_table3_cell_is_named_by_row_and_column(tmp_path: Path) -> None:
    table3 = consistent_table3()
    table3["三（三）3"][1] = (
        1  # 危及“三安全一稳定”, 商业企业: the row total and （七） now disagree
    )
    problems = _problems(tmp_path, table3=table3)
    assert any(
        "表三 行「三、本年度办理结果 （三）不予公开 3.危及“三安全一稳定”」 列「总计」" in p
        and "填报 0，而六类申请人之和为 1" in p
        for p in problems
    )
    assert any(
        "表三 行「（七）总计」 列「商业企业」" in p and "填报 2，而（一）至（六）各项之和为 3" in p
        for p in problems
    )
    assert len(problems) == 2


def test_the_column_identity_is_checked(tmp_path: Path) -> None:
    table3 = consistent_table3()
    table3["一"] = [9, 2, 1, 0, 1, 0, 13]  # one more new request, settled nowhere
    problems = _problems(tmp_path, table3=table3)
    assert any(
        p.startswith("[error] 表三 列「自然人」: 一＋二 = 9＋2 = 11，（七）总计＋四 = 9＋1 = 10")
        for p in problems
    )
    assert any("表三 列「总计」" in p for p in problems)


def test_table4_totals_are_checked(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        table4={"行政复议": [1, 1, 0, 0, 1], "未经复议直接起诉": [0] * 5, "复议后起诉": [0] * 5},
    )
    assert problems == [
        "[error] 表四 「行政复议」 列「总计」: "
        "填报 1，而结果维持、结果纠正、其他结果、尚未审结之和为 1＋1＋0＋0 = 2"
    ]


def test_carry_over_against_last_year(tmp_path: Path) -> None:
    last = consistent_table3()
    last["四"] = [3, 0, 0, 0, 0, 0, 3]
    last["三（七）"] = [7, 2, 1, 0, 1, 0, 11]
    last["三（一）"] = [3, 1, 0, 0, 0, 0, 4]
    national_supplement(tmp_path / "supplement-2021.yaml", year=2021, table3=last)
    path = national_supplement(tmp_path / "supplement-2022.yaml", year=2022)
    sup = supplement.load(path, 2022, NATIONAL)
    previous = previous_supplement(path, 2022, NATIONAL)
    assert previous is not None and check(NO_FIGURES, previous).problems == []
    problems = [str(p) for p in check(NO_FIGURES, sup, previous).problems]
    assert problems[0].startswith("[warning] 表三 行「二、上年结转」 列「自然人」: 本年填报 2")
    assert "「四、结转下年度继续办理」为 3" in problems[0]


def test_narrative_quotes_are_checked(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        narrative={"overview": "本年新收政府信息公开申请15件，行政复议2件。", "problems": "无。"},
    )
    assert len(problems) == 1  # 行政复议2件 matches Table 四; 15 does not match Table 三's 12
    assert problems[0].startswith("[error] 补充材料 narrative.overview（第")
    assert problems[0].endswith(
        "正文引用「本年新收政府信息公开申请15件」，"
        "而表三「一、本年新收政府信息公开申请数量」总计为 12"
    )


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("于10月收到某公司工作人员黄耀锋的申请信函。", "黄耀锋"),
        ("申请人：王小明，要求公开拆迁补偿方案。", "王小明"),
        ("针对网民“我不舒服”提出的诉求认真答复。", "我不舒服"),
        ("由综合科2名工作人员具体负责。", None),
        ("得到网民高度认可。", None),
        ("副主任曾祥文同志分管政府信息公开工作。", None),
    ],
)
def test_private_names_are_flagged(tmp_path: Path, text: str, flagged: str | None) -> None:
    problems = _problems(tmp_path, narrative={"overview": text, "problems": "无。"})
    names = [p for p in problems if "疑似私人姓名" in p]
    assert (names[0].count(f"「{flagged}」") == 1) if flagged else names == []


def test_a_broken_last_year_file_is_a_warning(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "supplement-2021.yaml").write_text("year: [", encoding="utf-8")
    sup = national_supplement(tmp_path / "supplement-2022.yaml", year=2022)
    report = build_report(engine, 2022, None, sup, tmp_path / "out")
    [problem] = report.problems
    assert (problem.where, problem.severity) == ("上年补充材料", "warning")
    assert "未核对上年结转" in problem.message
