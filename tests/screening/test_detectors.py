"""Personal numbers the first screen missed, and the one-pass search equal to the full one."""

from __future__ import annotations

import random

import pytest
from stdnum.cn import ric

from pubreview.screening import screen_text
from pubreview.screening.detectors import BUILT_IN, MARKING_TRIGGERS, find_in_text
from pubreview.screening.negative_list import NegativePlan, find_negative, load_negative_list
from pubreview.screening.scanner import Scanner
from pubreview.screening.screen import ScreeningLists

VALID_ID = "43070219800101123" + ric.calc_check_digit("430702198001011230")
BARE = ScreeningLists()


def found(text: str) -> list[tuple[str, str]]:
    return [(f.detector, f.severity) for f in screen_text("body", text, BARE)]


@pytest.mark.parametrize(
    "text",
    [
        f"身份证 {VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:]}",
        "号码 " + " ".join(VALID_ID[i : i + 4] for i in range(0, 18, 4)),
        f"号码 {VALID_ID[:6]}-{VALID_ID[6:14]}-{VALID_ID[14:]}",
    ],
)
def test_resident_ids_split_by_spaces_or_dashes_block(text: str) -> None:
    [finding] = screen_text("body", text, BARE)
    assert (finding.detector, finding.severity) == ("resident_id", "block")
    assert VALID_ID[6:14] not in finding.excerpt.replace(" ", "").replace("-", "")


def test_a_split_number_with_a_wrong_check_digit_passes() -> None:
    wrong = VALID_ID[:-1] + str((int(VALID_ID[-1].replace("X", "0")) + 1) % 10)
    assert found(f"编号 {wrong[:6]} {wrong[6:14]} {wrong[14:]}") == []


@pytest.mark.parametrize("text", ["旧证号430702800101123", "证号 110105491231002。"])
def test_fifteen_digit_ids_warn(text: str) -> None:
    [finding] = screen_text("body", text, BARE)
    assert (finding.detector, finding.severity) == ("resident_id_15", "warn")
    assert finding.excerpt.count("*") == 8


@pytest.mark.parametrize(
    "text",
    [
        "注册号430702000012345",  # no real birth date in it
        "编号990702800101123",  # no province 99
        "流水号1307028001011231",  # 16 digits: part of a longer number
        "编号430702801301123",  # month 13
    ],
)
def test_fifteen_digit_numbers_that_are_not_ids_pass(text: str) -> None:
    assert found(text) == []


# --- the one pass finds what a pass per detector finds --------------------------------------

PIECES = [
    "我办累计公开政府信息580条。",
    "秘密★1年",
    "  机密  ",
    "内部资料 注意保密",
    "仅限内部传阅",
    "不涉及国家秘密。",
    "密 级：秘密",
    "秘  密★10年",
    f"身份证{VALID_ID}，",
    f"{VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:]}",
    "430702800101123",
    "手机 +86 138 1234 5678；",
    "13812345678",
    "卡号6222021234567890128",
    "6222 0212 3456 7890 128",
    "4111 1111 1111 1111",
    "电话0736-7786510",
    "zhang.san@example.com",
    "2018 2019 2020 2021",
    "１３８１２３４５６７８",
    "| 内部 |",
    "此件不公开",
    "现住址：某地",
    "\n",
]


def line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end


@pytest.mark.parametrize("seed", range(20))
def test_one_pass_equals_every_detector_over_the_whole_text(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(PIECES) for _ in range(200))
    text = text.translate({0xFF10 + d: 0x30 + d for d in range(10)})  # as the screen folds it
    full = {(h.start, h.end, h.detector) for d in BUILT_IN for h in d(text)}
    scanner = Scanner([("marking", t) for t in MARKING_TRIGGERS] + [("email", "@")])
    matches = scanner.scan(text)
    email_lines = sorted(
        {(text.rfind("\n", 0, s) + 1, line_end(text, s)) for _, s, _ in matches.get("email", [])}
    )
    one_pass = {
        (h.start, h.end, h.detector)
        for h in find_in_text(text, matches.get("marking", []), email_lines)
    }
    assert full, "the text must hold findings for the comparison to mean anything"
    assert one_pass == full


@pytest.mark.parametrize("seed", range(5))
def test_the_negative_list_by_prefix_equals_one_pass_per_entry(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(
        rng.choice(PIECES + ["本件请勿外传", "尚未公布的数据", "讨论稿"]) for _ in range(300)
    )
    entries = load_negative_list()
    plan = NegativePlan.of(entries)
    scanner = Scanner(("negative", prefix) for prefix in plan.by_prefix)
    by_prefix = {
        (h.start, h.end, h.reason) for h in plan.hits(text, scanner.scan(text).get("negative", []))
    }
    per_entry = {(h.start, h.end, h.reason) for h in find_negative(text, entries)}
    assert per_entry
    assert by_prefix == per_entry
