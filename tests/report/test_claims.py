"""Every kind of narrative claim: read, checked against the cell it describes, caught when wrong.

Each kind has a sentence that agrees with the figures (not flagged) and one that does not
(caught, with the arithmetic), in the phrasing offices use.
"""

from __future__ import annotations

import pytest

from pubreview.report import claim_checks, claims, formats
from pubreview.report.claim_checks import CONTRADICTED, OK, UNCHECKED, percent_fits
from pubreview.report.facts import Facts
from tests.support.report import consistent_table3


def facts() -> Facts:
    """A 2021 report's figures: Table 三 as in the support module, 无法提供 over two sub-rows."""
    t3 = consistent_table3()
    t3["三（四）1"] = [1, 1, 0, 0, 0, 0, 2]
    t3["三（四）2"] = [0, 0, 0, 0, 1, 0, 1]
    return Facts(
        formats.NATIONAL,
        table2={
            "规章": {"issued": 1, "repealed": 0, "in_force": 5},
            "行政规范性文件": {"issued": 3, "repealed": 1, "in_force": 20},
            "行政许可": {"decisions": 120},
            "行政处罚": {"decisions": 7},
            "行政强制": {"decisions": 0},
            "行政事业性收费": {"amount_wan": 0},
        },
        table3=t3,
        table4={
            "行政复议": [1, 0, 0, 1, 2],
            "未经复议直接起诉": [0, 0, 0, 0, 0],
            "复议后起诉": [0, 1, 0, 0, 1],
        },
        total=966,
        by_channel={"网站": 491, "微信": 475},
        by_category={"人事信息": 9, "工作动态": 482},
        ledger=True,
        full_text=(950, 966),
        adopted_central=1,
        adopted_provincial=4,
        leak_incidents=0,
        consultations_total=200,
        consultations={"电话咨询": 120, "网上咨询": 80},
        site_visits=40,
        budget_wan=3,
        actual_wan=2.5,
    )


def results(text: str, f: Facts | None = None) -> list[claim_checks.ClaimResult]:
    f = f or facts()
    reading = claims.read([("第1段", text)], channels=f.by_channel, categories=f.by_category)
    return claim_checks.check_reading(reading, f).results


def statuses(text: str) -> list[tuple[str, str]]:
    return [(r.claim.kind, r.status) for r in results(text)]


AGREEING = [
    ("本年度共办结13件，结转至2022年度继续办理1件。", [("t3", OK)] * 2),
    ("全年接受群众咨询200人次。", [("consult.total", OK)]),
    ("网站访问量达120万次。", [("", UNCHECKED)]),  # a year's total, not the daily figure
    ("共收到申请12件（其中自然人申请8件、法人或其他组织申请4件）。", [("t3", OK)] * 3),
    ("2021年共主动公开政府信息966条。", [("proactive.total", OK)]),
    ("网站491条", [("proactive.channel", OK)]),
    ("全年通过政府网站发布信息491条，通过政务微信发布信息475条。", [("proactive.channel", OK)] * 2),
    ("其中人事信息9条，工作动态信息482条。", [("proactive.category", OK)] * 2),
    ("全文电子化率达98.3%。", [("proactive.rate", OK)]),
    (
        "被中央级媒体采用1篇，省级媒体采用4篇。",
        [("adopted.central", OK), ("adopted.provincial", OK)],
    ),
    ("全年未发生信息公开泄密事件。", [("leak.none", OK)]),
    ("本机关共收到政府信息公开申请12件，上年结转2件。", [("t3", OK)] * 2),
    ("本年度办结13件，结转下年度继续办理1件。", [("t3", OK)] * 2),
    ("予以公开6件，部分公开2件。", [("t3", OK)] * 2),
    ("予以公开及部分公开8件。", [("t3", OK)]),
    ("不予公开1件，无法提供3件，不予处理1件。", [("t3", OK)] * 3),
    ("因本机关不掌握相关政府信息无法提供的2件。", [("t3", OK)]),
    ("予以公开及部分公开8件，占办结总数的61.5%。", [("t3", OK), ("percent", OK)]),
    ("予以公开率46.1%。", [("percent", OK)]),  # 6/13 = 46.15…: truncated
    ("本年制发规范性文件3件，现行有效规章5件。", [("t2", OK)] * 2),
    ("行政许可处理决定120件。", [("t2", OK)]),
    ("被申请行政复议2件，其中结果维持1件，尚未审结1件。", [("t4", OK)] * 3),
    ("被提起行政诉讼1件，为复议后起诉，结果纠正1件。", [("t4", OK)] * 2),
    (
        "全年共受理群众咨询200次，其中电话咨询120次、网上咨询80次。",
        [("consult.total", OK)] + [("consult.channel", OK)] * 2,
    ),
    ("网站政府信息公开栏目访问量平均每日约40次。", [("site_visits", OK)]),
    ("政府信息公开工作预算3万元，实际支出2.5万元。", [("spend.budget", OK), ("spend.actual", OK)]),
]


@pytest.mark.parametrize(("text", "expected"), AGREEING, ids=[t for t, _ in AGREEING])
def test_a_correct_claim_is_not_flagged(text: str, expected: list[tuple[str, str]]) -> None:
    assert statuses(text) == expected


CONTRADICTING = [
    ("被申请行政复议2件，均已审结。", "t4.all_closed", "尚未审结 1"),
    ("新收申请12件，其中自然人申请9件。", "t3", "「自然人」为 8"),
    # (text, the kind caught, words the finding must contain)
    ("2021年共主动公开政府信息960条。", "proactive.total", "总数（台帐）为 966"),
    ("网站131条。", "proactive.channel", "「网站」发布条数（台帐）为 491"),
    ("通过政府网站发布信息966条。", "proactive.channel", "这是各渠道合计之数"),
    ("其中人事信息8条。", "proactive.category", "分类「人事信息」条数（台帐）为 9"),
    ("全文电子化率达100%。", "proactive.rate", "950/966 = 98.3437%"),
    ("被中央级媒体采用2篇。", "adopted.central", "为 1"),
    ("本机关共收到政府信息公开申请15件。", "t3", "总计为 12"),
    ("结转下年度继续办理2件。", "t3", "总计为 1"),
    ("予以公开及部分公开6件。", "t3", "等于「自然人」一列，疑只计了一类申请人"),
    (
        "无法提供2件。",
        "t3",
        "等于「三、本年度办理结果 （四）无法提供 1.本机关不掌握相关政府信息」一行",
    ),
    ("不予处理3件。", "t3", "总计之和（0＋1＋0＋0＋0）为 1"),
    ("予以公开及部分公开8件，占办结总数的60%。", "percent", "8/13（（七）总计）= 61.5385%"),
    ("予以公开率47.5%。", "percent", "四舍五入或截尾都得不到 47.5%"),
    ("本年制发规范性文件4件。", "t2", "「本年制发件数」为 3"),
    ("被申请行政复议3件。", "t4", "「行政复议」「总计」为 2"),
    ("被申请行政复议2件，均获维持。", "t4.all_upheld", "尚未审结 1：并非全部维持"),
    ("被提起行政诉讼1件，全部胜诉。", "t4.all_upheld", "结果纠正 1"),
    ("全年没有发生政府信息公开行政复议、行政诉讼案件。", "t4.none", "总计为 3"),
    ("本年度未收到政府信息公开申请。", "requests.none", "总计为 12"),
    (
        "全年共受理群众咨询210次，其中电话咨询120次、网上咨询80次。",
        "consult.total",
        "210 ≠ 120＋80 = 200",
    ),
    ("政府信息公开工作实际支出3万元。", "spend.actual", "为 2.5"),
    ("财政预算与实际支出均为3万元。", "spend.both", "实际支出为 2.5 万元"),
]


@pytest.mark.parametrize(
    ("text", "kind", "words"), CONTRADICTING, ids=[t for t, _, _ in CONTRADICTING]
)
def test_a_wrong_claim_is_caught_with_its_arithmetic(text: str, kind: str, words: str) -> None:
    found = [r for r in results(text) if r.status == CONTRADICTED]
    assert [r.claim.kind for r in found] == [kind]
    assert words in found[0].detail


def test_a_leak_the_ledger_knows_contradicts_none_happened() -> None:
    f = facts()
    f.leak_incidents = 1
    assert [r.status for r in results("没有发生一起信息公开泄密事件。", f)] == [CONTRADICTED]


def test_figures_nobody_gave_are_not_checked_against_zero() -> None:
    f = Facts(formats.NATIONAL)
    found = results("共接受群众咨询30次。本年新收申请5件。全文电子化率达100%。", f)
    assert [r.status for r in found] == [UNCHECKED] * 3
    assert all("没有可对照" in r.detail for r in found)


def test_a_figure_nobody_understands_is_listed_not_passed() -> None:
    found = results("网站挂标率达到100%，减证幅度比原上报数多出43.5%。")
    assert [r.status for r in found] == [UNCHECKED, UNCHECKED]
    report = claim_checks.ClaimReport(found)
    assert report.summary() == (
        "正文数字 2 处：核对 0 处，其中矛盾 0 处；未核对 2 处（未能识别 2 处，无可对照数字 0 处）"
    )


def test_parts_in_brackets_add_up_to_their_channel() -> None:
    text = "共发布信息965条，其中网站490条（组织机构类140条、政策文件295条、其他55条），微信475条。"
    f = Facts(formats.NATIONAL)
    found = {r.claim.text: r for r in results(text, f)}
    assert found["共发布信息965条"].status == OK  # 490 + 475, not 490 + 140 + 295 + 55 + 475
    assert found["其中网站490条"].status == OK  # 140 + 295 + 55
    wrong = text.replace("其他55条", "其他65条")
    found = {r.claim.text: r for r in results(wrong, f)}
    assert found["其中网站490条"].status == CONTRADICTED
    assert "490 ≠ 140＋295＋65 = 500" in found["其中网站490条"].detail
    assert found["共发布信息965条"].status == OK


@pytest.mark.parametrize(
    ("stated", "decimals", "rule"),
    [(46.2, 1, "四舍五入"), (46.1, 1, "截尾"), (46.0, 0, "四舍五入与截尾"), (46.3, 1, None)],
)
def test_percent_rules(stated: float, decimals: int, rule: str | None) -> None:
    assert percent_fits(stated, decimals, 6, 13) == rule


def test_parts_after_including_need_not_be_complete() -> None:
    f = Facts(formats.NATIONAL)
    some = results("主动公开规章13件（含新制定5件，修改4件）。", f)
    assert some[0].status == OK and "不必列全" in some[0].detail
    too_many = results("主动公开规章3件（含新制定5件，修改4件）。", f)
    assert too_many[0].status == CONTRADICTED and "3 ≠ 5＋4 = 9" in too_many[0].detail
