"""The generated report says only what the office said or the ledger shows.

No sentence is written for a figure nobody gave, no figure twice, no empty optional section,
no 泄密 statement the office did not make; a report with placeholders is a draft that says so;
and the generated files pass `report audit` themselves.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pubreview.report import audit, formats, render, supplement
from pubreview.report.checks import check
from pubreview.report.document import report_document
from pubreview.report.rollup import ManagementAnnex, YearFigures
from tests.support.report import national_supplement

ANNEX = ManagementAnnex(2018, [], 0, 0, [])


def figures(year: int = 2018, **changes: object) -> YearFigures:
    """A year with 30 items: 20 on the website, 10 on WeChat, all with URLs unless changed."""
    base = dict(
        year=year,
        total=30,
        by_category={"人事信息": 9, "工作动态": 21},
        by_channel={"网站": 20, "微信": 10},
        multi_channel=0,
        with_full_text=30,
        adopted_central=0,
        adopted_provincial=0,
        retractions=0,
        leak_incidents=0,
    )
    base.update(changes)
    return YearFigures(**base)


def narrative(tmp_path: Path, **top: object) -> supplement.Supplement:
    doc: dict = {
        "year": 2018,
        "office": "某县档案局",
        "narrative": {
            "overview": "我局由办公室负责政府信息公开工作。",
            "problems": "公开形式单一。",
        },
    }
    doc.update(top)
    path = tmp_path / "supplement-2018.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return supplement.load(path, 2018, formats.NARRATIVE)


def text_of(sup: supplement.Supplement, f: YearFigures | None = None) -> str:
    f = f or figures(sup.year)
    return render.markdown(report_document(f, ANNEX, sup, check(f, sup)))


def headings(text: str) -> list[str]:
    return [line[3:] for line in text.splitlines() if line.startswith("## ")]


def test_nothing_is_invented_from_missing_figures(tmp_path: Path) -> None:
    text = text_of(narrative(tmp_path), figures(with_full_text=0))
    assert "电子化率" not in text and "0.0%" not in text
    assert "咨询" not in text.split("## 附录")[0]
    assert "支出" not in text and "0万元" not in text
    assert "泄密" not in text  # the office did not say, and the ledger cannot know
    assert "信息信息" not in text and "人事信息9条" in text
    # Optional sections with nothing in them are left out; the rest are numbered in order.
    assert headings(text)[:4] == [
        "一、概述",
        "二、主动公开政府信息情况",
        "三、依申请公开政府信息情况",
        "四、存在的主要问题和改进措施",
    ]


def test_unknown_figures_are_missing_not_zero(tmp_path: Path) -> None:
    sup = narrative(
        tmp_path,
        consultations={"by_channel": {"咨询电话": None, "网上咨询": 3}},
        spending={"budget_wan": 2, "actual_wan": None},
    )
    result = check(figures(), sup)
    missing = [p for p in result.problems if "未填写（~）" in p.message]
    assert [p.where for p in missing] == [
        "补充材料 consultations.by_channel.咨询电话",
        "补充材料 spending.actual_wan",
    ]
    text = text_of(sup)
    assert "共接受群众咨询" not in text  # one channel unknown: no total can be stated
    assert "财政预算2万元" in text and "实际支出" not in text


def test_the_offices_own_figures_replace_the_generated_sentence(tmp_path: Path) -> None:
    own = "2018年，我局累计公开政府信息30条，其中网站20条，微信10条。"
    text = text_of(
        narrative(tmp_path, narrative={"overview": "概述。", "proactive": own, "problems": "无。"})
    )
    body = text.split("## 附录")[0]
    assert body.count("30条") == 1 and "按发布渠道：" not in body and "计数说明" not in body


def test_leaks_only_as_stated_or_recorded(tmp_path: Path) -> None:
    assert "没有发生一起信息公开泄密事件" in text_of(narrative(tmp_path, leak_incidents=0))
    recorded = text_of(narrative(tmp_path), figures(leak_incidents=1))
    assert "发生信息公开泄密事件1起" in recorded and "没有发生" not in recorded
    sup = narrative(tmp_path, leak_incidents=0)
    assert any(
        "台帐记有因保密原因撤回 1 起" in p.message
        for p in check(figures(leak_incidents=1), sup).problems
    )


def test_a_template_left_unfilled_is_a_draft(tmp_path: Path) -> None:
    path = tmp_path / "supplement-2026.yaml"
    path.write_text(supplement.template(2026, formats.NATIONAL), encoding="utf-8")
    sup = supplement.load(path, 2026, formats.NATIONAL)
    f = figures(2026)
    result = check(f, sup)
    assert result.draft
    text = render.markdown(report_document(f, ANNEX, sup, result))
    assert text.startswith("# 【草稿】2026年度政府信息公开工作年度报告")
    assert "请填写：发布机构全称政府" not in text and "不可发布" in text
    assert "全部校验通过" not in text


def test_extra_sections_where_the_edition_allows(tmp_path: Path) -> None:
    sup = narrative(
        tmp_path,
        sections=[
            {
                "title": "政府信息公开收费及减免情况",
                "after": "requests",
                "text": "本年度未收取任何费用。",
            }
        ],
    )
    assert headings(text_of(sup))[2:4] == [
        "三、依申请公开政府信息情况",
        "四、政府信息公开收费及减免情况",
    ]


def test_all_pass_only_when_every_figure_was_checked(tmp_path: Path) -> None:
    checked = "本年新收政府信息公开申请12件，上年结转2件。"
    path = national_supplement(
        tmp_path / "supplement-2021.yaml", narrative={"overview": checked, "problems": "无。"}
    )
    sup = supplement.load(path, 2021, formats.NATIONAL)
    result = check(figures(2021), sup)
    assert result.all_pass and "全部校验通过" in text_of(sup, figures(2021))
    path = national_supplement(
        tmp_path / "supplement-2021.yaml",
        narrative={"overview": checked + "网站挂标率达到100%。", "problems": "无。"},
    )
    sup = supplement.load(path, 2021, formats.NATIONAL)
    text = text_of(sup, figures(2021))
    assert "全部校验通过" not in text
    assert "未能识别 1 处" in text and "「网站挂标率达到100%」" in text


def test_the_generated_files_pass_their_own_audit(tmp_path: Path) -> None:
    path = national_supplement(
        tmp_path / "supplement-2021.yaml",
        narrative={
            "overview": "本年新收政府信息公开申请12件，予以公开及部分公开8件。",
            "reviews": "被申请行政复议2件，其中结果维持1件，尚未审结1件。",
            "problems": "无。",
        },
    )
    sup = supplement.load(path, 2021, formats.NATIONAL)
    f = figures(2021)
    files = render.write_all(report_document(f, ANNEX, sup, check(f, sup)), tmp_path, "r")
    for kind in ("html", "docx", "markdown"):
        a = audit.audit_file(files[kind])
        assert a.edition is formats.NATIONAL and (a.year, a.office) == (2021, sup.office), kind
        assert a.problems == [], (kind, [str(p) for p in a.problems])
        assert len(a.found.table3) == 25 and len(a.found.table4) == 3, kind
        assert a.claims.count("contradicted") == 0 and a.claims.count("ok") >= 8, kind
