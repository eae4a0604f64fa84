"""The supplement: one template per edition, errors naming the key and line, ~ kept unknown."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pubreview import cli
from pubreview.errors import ValidationError
from pubreview.report import formats, supplement
from pubreview.report.checks import check
from pubreview.report.rollup import YearFigures

NO_FIGURES = YearFigures(2021, 0, {}, {}, 0, 0, 0, 0, 0, 0)


def write(tmp_path: Path, text: str, year: int = 2021) -> Path:
    path = tmp_path / f"supplement-{year}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("year", "key", "table3_rows", "table2_rows"),
    [(2018, "narrative", 0, 0), (2019, "national-2019", 23, 8), (2021, "national", 25, 6)],
)
def test_each_year_gets_its_editions_template(
    tmp_path: Path, year: int, key: str, table3_rows: int, table2_rows: int
) -> None:
    edition = formats.for_year(year)
    assert edition.key == key
    text = supplement.template(year, edition)
    data = yaml.safe_load(text)
    assert len(data.get("table3") or {}) == table3_rows
    assert len(data.get("table2") or {}) == table2_rows
    assert ("consultations" in data) == (key == "narrative")
    sup = supplement.load(write(tmp_path, text, year), year, edition)
    if table3_rows:
        # Nothing filled in is nothing known: every cell is None, not 0.
        assert all(v == [None] * 7 for v in sup.table3.values())
    figures = YearFigures(year, 0, {}, {}, 0, 0, 0, 0, 0, 0)
    result = check(figures, sup)
    assert result.draft and not result.all_pass
    messages = [p.message for p in result.problems]
    assert any("占位" in m for m in messages)
    assert any("未填写（~）" in m for m in messages)
    assert not any("≠" in m or "之和为" in m for m in messages)  # no arithmetic on blanks


def test_2019_edition_table2_reads_its_own_columns(tmp_path: Path) -> None:
    edition = formats.NATIONAL_2019
    text = supplement.template(2020, edition)
    assert "采购总金额" in text and "本年新制作数量" in text and "本年制发件数" not in text
    text = text.replace("    change: ~   # 本年增/减", "    change: -2   # 本年增/减", 1)
    text = text.replace("    amount_wan: ~   # 采购总金额", "    amount_wan: 12.5", 1)
    sup = supplement.load(write(tmp_path, text, 2020), 2020, edition)
    assert sup.table2["行政许可"]["change"] == -2
    assert sup.table2["政府集中采购"]["amount_wan"] == 12.5
    assert "三（六）" in sup.table3 and "三（六）1" not in sup.table3


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("  actual_wan: ~", "  actual_wan: 0\n  bonus: 1"), "spending.bonus：没有这一项"),
        (
            ("    咨询电话: ~", "    咨询电话: -3"),
            "consultations.by_channel.咨询电话：不能为负数",
        ),
        (
            ("    当面咨询: ~", "    当面咨询: 很多"),
            "consultations.by_channel.当面咨询：应为整数，实际为「很多」",
        ),
        (("year: 2018", "year: 2017"), "year：文件是 2017 年度的，报告是 2018 年度的"),
        (("leak_incidents: ~", "leak_incidents: 无"), "leak_incidents：应为整数"),
    ],
)
def test_narrative_errors_name_the_key_and_line(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = supplement.template(2018, formats.NARRATIVE)
    assert change[0] in text
    line = _line_of(text, change[0])
    path = write(tmp_path, text.replace(change[0], change[1], 1), 2018)
    with pytest.raises(ValidationError) as raised:
        supplement.load(path, 2018, formats.NARRATIVE)
    assert f"第 {line if 'bonus' not in change[1] else line + 1} 行：{message}" in str(raised.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('  "四": [~, ~, ~, ~, ~, ~, ~]', '  "四": [0, 0, 0, 0, x, 0, 0]'),
            "table3.四[法律服务机构]：应为整数",
        ),
        (
            ('  "二": [~, ~, ~, ~, ~, ~, ~]', '  "二": [0, 0, 0]'),
            "table3.二：应为 7 个数字的列表",
        ),
        (("    issued: ~", "    issued: -1"), "table2.规章.issued：不能为负数"),
    ],
)
def test_table_errors_name_the_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    text = supplement.template(2021, formats.NATIONAL)
    assert change[0] in text
    path = write(tmp_path, text.replace(change[0], change[1], 1))
    with pytest.raises(ValidationError) as raised:
        supplement.load(path, 2021, formats.NATIONAL)
    assert message in str(raised.value)


def test_a_table_the_edition_does_not_have_is_refused(tmp_path: Path) -> None:
    text = supplement.template(2021, formats.NATIONAL).replace("year: 2021", "year: 2018")
    with pytest.raises(ValidationError, match="table3：2019年以前的文字版年度报告.*没有这张表"):
        supplement.load(write(tmp_path, text, 2018), 2018, formats.NARRATIVE)


def test_missing_required_parts_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "year: 2021\noffice: 某办\nnarrative:\n  overview: 概述\n")
    with pytest.raises(ValidationError) as raised:
        supplement.load(path, 2021, formats.NATIONAL)
    text = str(raised.value)
    for key in ("table2：缺少此项", "table3：缺少此项", "table4：缺少此项", "narrative.problems"):
        assert key in text
    # The narrative edition needs neither consultations nor spending.
    path = write(
        tmp_path, "year: 2018\noffice: 某办\nnarrative:\n  overview: 概述\n  problems: 无\n"
    )
    assert supplement.load(path, 2018, formats.NARRATIVE).consultations == {}


def test_init_supplement_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "s.yaml"
    assert cli.main(["report", "2019", "--init-supplement", "--supplement", str(target)]) == 0
    written = target.read_text(encoding="utf-8")
    assert "year: 2019" in written and "〔2019〕60号" in written
    assert cli.main(["report", "2019", "--init-supplement", "--supplement", str(target)]) == 1
    assert "已存在，不覆盖" in capsys.readouterr().err
