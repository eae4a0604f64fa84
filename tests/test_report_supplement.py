"""The supplement: validated with errors naming the key and line; a template per year."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubreview import cli
from pubreview.errors import ValidationError
from pubreview.report import supplement
from pubreview.report.checks import check
from pubreview.report.rollup import YearFigures

NO_FIGURES = YearFigures(2018, 0, {}, {}, 0, 0, 0, 0, 0, 0)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "supplement-2018.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_template_loads_in_both_formats_and_flags_its_placeholders(tmp_path: Path) -> None:
    path = write(tmp_path, supplement.template(2018))
    for fmt in supplement.FORMATS:
        sup = supplement.load(path, 2018, fmt)
        assert sup.table3 is not None and all(v == [0] * 7 for v in sup.table3.values())
        problems = check(NO_FIGURES, sup)
        assert problems and all("占位" in p.message for p in problems)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("  actual_wan: 0", "  actual_wan: 0\n  bonus: 1"),
            "line 23: spending.bonus: unknown key",
        ),
        (
            ("    咨询电话: 0", "    咨询电话: -3"),
            "line 16: consultations.by_channel.咨询电话: must not be negative",
        ),
        (
            ("    当面咨询: 0", "    当面咨询: 很多"),
            "line 17: consultations.by_channel.当面咨询: expected a whole number, found '很多'",
        ),
        (
            ('  "四": [0, 0, 0, 0, 0, 0, 0]', '  "四": [0, 0, 0, 0, x, 0, 0]'),
            "table3.四[法律服务机构]: expected a whole number",
        ),
        (
            ('  "二": [0, 0, 0, 0, 0, 0, 0]', '  "二": [0, 0, 0]'),
            "table3.二: expected a list of 7 numbers",
        ),
        (("year: 2018", "year: 2017"), "line 7: year: the file is for 2017, the report for 2018"),
    ],
)
def test_errors_name_the_key_and_line(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = supplement.template(2018)
    assert change[0] in text
    path = write(tmp_path, text.replace(change[0], change[1], 1))
    with pytest.raises(ValidationError) as raised:
        supplement.load(path, 2018, "national")
    assert message in str(raised.value)


def test_missing_required_parts_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "year: 2018\noffice: 某办\nnarrative:\n  overview: 概述\n")
    with pytest.raises(ValidationError) as raised:
        supplement.load(path, 2018, "national")
    text = str(raised.value)
    for key in ("table2: missing", "table3: missing", "table4: missing", "narrative.problems"):
        assert key in text
    with pytest.raises(ValidationError, match="consultations: missing"):
        supplement.load(path, 2018, "narrative")


def test_init_supplement_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "s.yaml"
    assert cli.main(["report", "2019", "--init-supplement", "--supplement", str(target)]) == 0
    assert "year: 2019" in target.read_text(encoding="utf-8")
    assert cli.main(["report", "2019", "--init-supplement", "--supplement", str(target)]) == 1
    assert "already exists" in capsys.readouterr().err
