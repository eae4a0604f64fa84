"""The leader list: wrong titles, near misses of names, people no longer in office."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubreview.errors import ValidationError
from pubreview.screening import screen_document, screen_text
from pubreview.screening.leaders import DEFAULT_LEADERS, load_leaders
from pubreview.screening.screen import ScreeningLists

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_7cdf9aad39d2617c.txt"
# The sample list: 曾翔 党组书记、主任 (副主任 until 2021-06-30), 刘洋 党组成员、副主任,
# 李娜 科长, 王芳 副科长; departed 周建国 (warn), 钱立新 (block).
LEADERS = ScreeningLists(leaders=load_leaders())
LEADER_DETECTORS = {"leader_title", "leader_name", "departed_leader"}


def leader_findings(text: str) -> list[tuple[str, str, str]]:
    """(detector, severity, suggestion) of each leader-list finding in `text`."""
    return [
        (f.detector, f.severity, f.suggestion)
        for f in screen_text("body", text, LEADERS)
        if f.detector in LEADER_DETECTORS
    ]


# --- titles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "党组书记、主任曾翔主持会议。",
        "市委编办主任曾翔出席。",
        "曾翔主任讲话。",
        "会议由曾翔同志主持。",
        "党组成员、副主任刘洋参加。",
        "副科长王芳汇报了工作。",
        "科长李娜、副科长王芳参加培训。",
        "曾翔出席会议并讲话。",  # a name with no title beside it
    ],
)
def test_a_leader_named_with_their_own_title_passes(text: str) -> None:
    assert leader_findings(text) == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("副主任曾翔出席会议。", "原职务"),  # the old title, in a sentence about now
        ("科长曾翔出席会议。", "不符"),
        ("曾翔副主任出席会议。", "原职务"),  # the title after the name
        ("科长王芳汇报了工作。", "不符"),  # 科长 is not 副科长
        ("市委常委、主任曾翔出席。", "不符"),  # one wrong title of a chain
        ("2023年，副主任曾翔带队调研。", "原职务"),  # a year after the old title ended
    ],
)
def test_a_title_not_theirs_blocks(text: str, says: str) -> None:
    [finding] = [f for f in screen_text("body", text, LEADERS) if f.detector in LEADER_DETECTORS]
    assert (finding.detector, finding.severity) == ("leader_title", "block")
    assert says in finding.reason
    assert finding.suggestion in ("党组书记、主任曾翔", "副科长王芳")


@pytest.mark.parametrize(
    "text",
    [
        "2019年，副主任曾翔带队赴县区调研。",  # dated before the title ended
        "时任副主任曾翔带队调研。",
        "原副主任曾翔。",
        "2020年10月，综合科科长刘洋参加培训。",
    ],
)
def test_an_old_title_in_a_historical_sentence_passes(text: str) -> None:
    assert leader_findings(text) == []


# --- near misses of a name ---------------------------------------------------------------


def test_a_near_miss_after_the_leaders_own_title_blocks() -> None:
    assert leader_findings("党组书记、主任曾祥主持会议。") == [("leader_name", "block", "曾翔")]


def test_a_near_miss_with_tongzhi_warns() -> None:
    assert leader_findings("增翔同志出席会议。") == [("leader_name", "warn", "曾翔")]


@pytest.mark.parametrize(
    "text",
    [
        "我曾想过这个问题。",  # 曾想 sounds like 曾翔, but is prose
        "他曾向主任汇报。",  # ditto, with a title after it
        "刘阳区的工作。",  # one character off 刘洋, no title
    ],
)
def test_ordinary_words_that_sound_like_a_name_pass(text: str) -> None:
    assert leader_findings(text) == []


def test_a_near_miss_that_is_a_listed_name_is_not_a_misspelling(tmp_path: Path) -> None:
    path = tmp_path / "leaders.yaml"
    path.write_text(
        "leaders:\n"
        "  - {name: 张伟, title: 主任, unit: 甲办}\n"
        "  - {name: 张卫, title: 副主任, unit: 甲办}\n",
        encoding="utf-8",
    )
    result = screen_document("", "主任张伟、副主任张卫出席。", [], leaders_path=path)
    assert result.findings == []
    result = screen_document("", "主任张卫出席。", [], leaders_path=path)
    assert [f.detector for f in result.findings] == ["leader_title"]


# --- no longer in office -------------------------------------------------------------------


def test_names_on_the_departed_list_are_findings() -> None:
    found = leader_findings("钱立新同志、周建国同志出席。")
    assert [(d, s) for d, s, _ in found] == [
        ("departed_leader", "block"),
        ("departed_leader", "warn"),
    ]
    [finding] = [f for f in screen_text("body", "钱立新出席。", LEADERS)]
    assert "接受纪律审查" in finding.reason


def test_the_seed_has_no_leader_finding() -> None:
    assert leader_findings(SEED.read_text(encoding="utf-8")) == []


def test_a_title_change_in_the_list_changes_the_finding(tmp_path: Path) -> None:
    path = tmp_path / "leaders.yaml"
    path.write_text("leaders:\n  - {name: 赵明远, title: 副局长, unit: 市局}\n", encoding="utf-8")
    text = "副局长赵明远出席。"
    assert screen_document("", text, [], leaders_path=path).findings == []
    path.write_text(
        "leaders:\n"
        "  - name: 赵明远\n"
        "    title: 局长\n"
        "    unit: 市局\n"
        "    former: [{title: 副局长, until: 2026-01-31}]\n",
        encoding="utf-8",
    )
    [finding] = screen_document("", text, [], leaders_path=path).findings
    assert (finding.detector, finding.suggestion) == ("leader_title", "局长赵明远")


# --- a malformed list ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("leaders:\n  - {name: 甲乙, unit: 办}\n", 2, "title"),
        ("leaders:\n  - {name: 甲乙, title: 主任, unit: 办, titel: x}\n", 2, "titel"),
        (
            "leaders:\n  - name: 甲乙\n    title: 主任\n    unit: 办\n"
            "    former:\n      - {title: 副主任, until: 去年}\n",
            6,
            "日期",
        ),
        (
            "leaders:\n  - {name: 甲乙, title: 主任, unit: 办}\n"
            "departed:\n  - {name: 甲乙, status: 调离}\n",
            4,
            "第 2 行",
        ),
        ("departed:\n  - {name: 甲乙, status: 调离, severity: high}\n", 2, "severity"),
    ],
)
def test_malformed_leader_list_is_refused_by_line(
    tmp_path: Path, text: str, line: int, says: str
) -> None:
    path = tmp_path / "leaders.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=f"第 {line} 行") as caught:
        load_leaders(path)
    assert says in str(caught.value)


def test_an_entry_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "leaders.yaml"
    path.write_text("leaders:\n  - 曾翔 主任\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="leaders 第 1 项"):
        load_leaders(path)


def test_shipped_sample_list_loads() -> None:
    leaders = load_leaders(DEFAULT_LEADERS)
    assert leaders.leaders["曾翔"].titles == ("党组书记", "主任")
    assert "曾祥" in leaders.near_misses


@pytest.mark.parametrize(
    "text",
    [
        "市事业单位登记管理局局长曾祥文同志分管政府信息公开工作。",  # from the seed
        "副主任曾翔文同志出席。",  # someone else whose name starts like a leader's
        "科长钱立新华，",
    ],
)
def test_a_longer_name_that_starts_like_a_listed_one_passes(text: str) -> None:
    assert leader_findings(text) == []


def test_a_leaders_name_followed_by_a_verb_is_still_checked() -> None:
    assert leader_findings("科长曾翔主持会议。")[0][0] == "leader_title"
    assert leader_findings("主任曾祥主持会议。") == [("leader_name", "block", "曾翔")]


def test_a_listed_unit_not_theirs_before_the_title_blocks(tmp_path: Path) -> None:
    path = tmp_path / "leaders.yaml"
    path.write_text(
        "leaders:\n"
        "  - {name: 赵明远, title: 局长, unit: 市数据局}\n"
        "  - {name: 孙建华, title: 局长, unit: 市财政局}\n",
        encoding="utf-8",
    )
    lists = ScreeningLists(leaders=load_leaders(path))
    [finding] = screen_text("body", "市财政局局长赵明远出席。", lists)
    assert (finding.detector, finding.suggestion) == ("leader_title", "市数据局局长赵明远")
    assert "市财政局" in finding.reason
    assert screen_text("body", "市数据局局长赵明远、市财政局局长孙建华出席。", lists) == []
    assert screen_text("body", "市政府办局长赵明远", lists) == []  # not a listed unit
