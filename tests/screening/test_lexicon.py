"""The 错敏 lexicon: serious errors and fixed formulas, their corrections and their sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubreview.errors import ValidationError
from pubreview.screening import screen_document, screen_text
from pubreview.screening.homophones import one_off
from pubreview.screening.lexicon import DEFAULT_LEXICON, load_lexicon
from pubreview.screening.screen import ScreeningLists

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_7cdf9aad39d2617c.txt"
LEXICON = ScreeningLists(lexicon=load_lexicon())


def errata_in(text: str) -> list[tuple[str, str, str, int]]:
    """(detector, severity, suggestion, line) of each lexicon finding in `text`."""
    return [
        (f.detector, f.severity, f.suggestion, f.line)
        for f in screen_text("body", text, LEXICON)
        if f.detector in ("erratum", "formula")
    ]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "errata.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped starter list -------------------------------------------------------------


def test_every_shipped_entry_names_its_source() -> None:
    lexicon = load_lexicon()
    assert len(lexicon) > 1000  # the formulas' derived misspellings are in it
    for erratum in lexicon.errata.values():
        assert erratum.source.strip(), erratum
        assert erratum.right and erratum.wrong != erratum.right


@pytest.mark.parametrize(
    ("text", "suggestion", "reason_part"),
    [
        ("深入开展扫黑险恶专项斗争。", "扫黑除恶", "固定提法写错"),  # a listed misspelling
        ("坚持中国特色社会主意道路。", "中国特色社会主义", "同音错字"),  # derived from pinyin
        ("全面推进乡村振星。", "乡村振兴", "同音错字"),
        (
            "增强政治意识、核心意识、大局意识、看齐意识。",  # parts in the wrong order
            "政治意识、大局意识、核心意识、看齐意识",
            "顺序",
        ),
        ("会见台湾总统。", "台湾地区领导人", "涉台用语"),  # a listed error
    ],
)
def test_serious_errors_block_with_their_correction(
    text: str, suggestion: str, reason_part: str
) -> None:
    [finding] = [
        f for f in screen_text("body", text, LEXICON) if f.detector in ("erratum", "formula")
    ]
    assert (finding.severity, finding.suggestion) == ("block", suggestion)
    assert reason_part in finding.reason
    assert "依据：" in finding.reason or "依据（尚未核实）：" in finding.reason


def test_finding_is_on_its_line_with_the_correction_in_the_text() -> None:
    findings = screen_text("body", "第一段。\n\n扫黑险恶专项斗争取得成效。", LEXICON)
    [finding] = findings
    assert (finding.line, finding.excerpt) == (3, "扫黑险恶专项斗争取得成效。")
    assert "建议改为「扫黑除恶」" in finding.to_text()
    assert finding.to_dict()["suggestion"] == "扫黑除恶"


def test_an_error_inside_a_longer_one_is_reported_once() -> None:
    found = errata_in("深入学习习近平新时代中国特色社会主意思想。")
    assert found == [("formula", "block", "习近平新时代中国特色社会主义思想", 1)]


@pytest.mark.parametrize(
    "text",
    [
        "深入开展扫黑除恶专项斗争。",
        "坚持和发展中国特色社会主义，实现中华民族伟大复兴。",
        "增强政治意识、大局意识、核心意识、看齐意识，坚定道路自信、理论自信、制度自信、文化自信。",
        "深入学习习近平新时代中国特色社会主义思想。",
        "会见台湾地区领导人。",
        "推进简政放权、放管结合、优化服务改革。",
        "我办累计公开政府信息580条，按时发布政府信息公开工作年度报告。",
    ],
)
def test_right_wording_passes(text: str) -> None:
    assert errata_in(text) == []


def test_the_seed_has_no_lexicon_finding() -> None:
    body = SEED.read_text(encoding="utf-8")
    assert errata_in(body) == []
    # Guard: the same text with one formula mangled is caught.
    assert errata_in(body.replace("政务公开", "政务公开（扫黑险恶）", 1))


def test_homophones_are_one_character_off_with_the_same_pinyin() -> None:
    variants = one_off("扫黑除恶")
    assert {"扫黑出恶", "扫黑初恶"} <= variants
    assert "扫黑除恶" not in variants
    assert "扫黑险恶" not in variants  # not the same pinyin: listed by hand instead
    assert all(sum(a != b for a, b in zip(v, "扫黑除恶", strict=True)) == 1 for v in variants)


# --- the office's own entries --------------------------------------------------------------


def test_office_entries_with_unless_and_warn(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "errors:\n"
        "  - wrong: 截止目前\n"
        "    right: 截至目前\n"
        "    reason: 截至表示到某时为止\n"
        "    source: 《现代汉语词典》第7版\n"
        "    severity: warn\n"
        "    unless: [截止目前为止的申请]\n"
        "formulas:\n"
        "  - formula: 常德市人民政府\n"
        "    source: 本机关全称\n"
        "    homophones: false\n"
        "    variants: [常德市政府办]\n",
    )
    result = screen_document(
        "截止目前的情况",
        "常德市政府办通知。\n截止目前为止的申请均已办结。",
        [],
        lexicon_path=path,
    )
    found = [(f.location, f.detector, f.severity, f.suggestion) for f in result.findings]
    assert found == [
        ("title", "erratum", "warn", "截至目前"),
        ("body", "formula", "block", "常德市人民政府"),
    ]


def test_a_saved_edit_to_the_lexicon_is_picked_up(tmp_path: Path) -> None:
    path = write(tmp_path, "errors: []\nformulas: []\n")
    assert screen_document("", "某某新词", [], lexicon_path=path).findings == []
    path.write_text(
        "errors:\n  - {wrong: 某某新词, right: 正确新词, reason: 测试, source: 办公室}\n",
        encoding="utf-8",
    )
    [finding] = screen_document("", "某某新词", [], lexicon_path=path).findings
    assert finding.suggestion == "正确新词"


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("errors:\n  - wrong: 甲乙\n    reason: r\n    source: s\n", 2, "right"),
        (
            "errors:\n  - {wrong: 甲乙, right: 甲丙, reason: r, source: s, severity: high}\n",
            2,
            "severity",
        ),
        ("errors:\n  - {wrong: 甲乙, right: 甲乙, reason: r, source: s}\n", 2, "相同"),
        ("errors:\n  - {wrong: 甲乙, right: 甲丙, reason: r}\n", 2, "source"),
        ("errors:\n  - {wrong: 甲乙, right: 甲丙, reason: r, source: s, sorce: t}\n", 2, "sorce"),
        (
            "errors:\n  - {wrong: 甲乙, right: 甲丙, reason: r, source: s}\n"
            "  - {wrong: 甲乙, right: 甲丁, reason: r, source: s}\n",
            3,
            "第 2 行",
        ),
        (
            "errors:\n  - {wrong: 甲乙, right: 甲丙, reason: r, source: s}\n"
            "  - {wrong: 甲丙, right: 甲丁, reason: r, source: s}\n",
            3,
            "正确写法",
        ),
        ("formulas:\n  - {formula: 甲、乙, parts: [乙, 甲], source: s}\n", 2, "parts"),
        ("errors:\n  - wrong: [甲\n", 2, "格式错误"),
    ],
)
def test_malformed_lexicon_is_refused_by_line(
    tmp_path: Path, text: str, line: int, says: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ValidationError, match=f"第 {line} 行") as caught:
        load_lexicon(path)
    assert says in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_malformed_lexicon_stops_the_screen(tmp_path: Path) -> None:
    path = write(tmp_path, "errors:\n  - wrong: 甲乙\n")
    with pytest.raises(ValidationError, match="第 2 行"):
        screen_document("标题", "正文", [], lexicon_path=path)


def test_shipped_lexicon_path_is_the_config_file() -> None:
    assert DEFAULT_LEXICON.name == "errata.yaml"
    assert DEFAULT_LEXICON.is_file()


def test_an_unverified_source_is_loaded_and_said_in_the_finding(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "errors:\n  - {wrong: 某某新词, right: 正确新词, reason: 测试, source: 某文件, "
        "verified: false}\nformulas:\n  - {formula: 甲乙丙丁戊, source: 某报告, verified: false}\n",
    )
    lexicon = load_lexicon(path)
    assert not lexicon.errata["某某新词"].verified
    [finding] = screen_document("", "某某新词", [], lexicon_path=path).findings
    assert "依据（尚未核实）：某文件" in finding.reason


def test_verified_must_be_true_or_false(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "errors:\n  - {wrong: 甲乙, right: 甲丙, reason: r, source: s, verified: 待查}\n",
    )
    with pytest.raises(ValidationError, match="第 2 行") as caught:
        load_lexicon(path)
    assert "verified" in str(caught.value)


def test_the_shipped_sources_still_to_check_are_marked() -> None:
    unchecked = {e.right for e in load_lexicon().errata.values() if not e.verified}
    assert "台湾地区立法机构" in unchecked and "一带一路" in unchecked
    assert "扫黑除恶" not in unchecked and "台湾地区领导人" not in unchecked


def test_office_additions_join_the_shipped_lexicon_and_may_not_repeat_it(
    tmp_path: Path,
) -> None:
    office = write(
        tmp_path,
        "errors:\n  - {wrong: 某某新词, right: 正确新词, reason: 测试, source: 本办通知}\n",
    )
    lexicon = load_lexicon(office=office)
    assert lexicon.errata["某某新词"].office and "扫黑险恶" in lexicon.errata
    assert load_lexicon(office=tmp_path / "none.yaml").errata.keys() == load_lexicon().errata.keys()
    office.write_text(
        "errors:\n  - {wrong: 台湾总统, right: 台湾地区领导人, reason: r, source: s}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match="已在内置词库") as caught:
        load_lexicon(office=office)
    assert str(office) in str(caught.value) and "第 2 行" in str(caught.value)
