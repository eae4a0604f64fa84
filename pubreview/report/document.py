"""The report as a list of blocks (headings, paragraphs, tables), whatever it is written to.

Markdown, HTML and DOCX are all laid out from the same Document, so they cannot disagree
about a figure. Tables carry both a grid with merged cells (HTML, DOCX) and a flat form
(Markdown, which has no merged cells).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pubreview.report.checks import Problem
from pubreview.report.rollup import ManagementAnnex, YearFigures
from pubreview.report.supplement import Supplement
from pubreview.report.tables import (
    TABLE2_ARTICLES,
    TABLE2_ITEMS,
    TABLE3_COLUMNS,
    TABLE3_LEGAL_PERSON_COLUMNS,
    TABLE3_NOTE,
    TABLE3_ROWS,
    TABLE4_GROUPS,
    TABLE4_RESULTS,
)

COUNTING_RULE = (
    "计数说明：一条信息在多个渠道发布的，在总数和按内容分类的数字中只计一次，在按发布渠道的数字中每个渠道各计一次；"
    "信息按其首次发布日期计入年度。"
)
ROUNDING_RULE = "百分比向下取整保留一位小数（未达100%的不显示为100%）。"
STAGE_NAMES = {"prereview": "初审", "signoff": "审签", "publication": "中心发布"}


@dataclass(frozen=True)
class Cell:
    """One cell of a table grid; spans cover the cells to the right and below."""

    text: str
    colspan: int = 1
    rowspan: int = 1
    header: bool = False


@dataclass
class Table:
    """A table with a grid layout and a flat layout of the same figures."""

    title: str
    head: list[list[Cell]]
    body: list[list[Cell]]
    flat_head: list[str]
    flat_body: list[list[str]]


@dataclass
class Block:
    """A heading (level 1–3), a paragraph, or a table."""

    kind: str
    text: str = ""
    level: int = 0
    table: Table | None = None
    css: str = ""


@dataclass
class Document:
    """The whole report."""

    title: str
    blocks: list[Block] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        """Append a heading."""
        self.blocks.append(Block("heading", text, level))

    def paragraphs(self, *texts: str, css: str = "") -> None:
        """Append paragraphs, skipping empty ones."""
        self.blocks += [Block("paragraph", t, css=css) for t in texts if t]

    def table(self, table: Table) -> None:
        """Append a table."""
        self.blocks.append(Block("table", table=table))


def percent(value: float) -> str:
    """A percentage rounded down to one decimal, so 99.96% never reads as 100%."""
    floored = math.floor(value * 10) / 10
    return "100%" if floored >= 100 else f"{floored:.1f}%"


def amount(value: float | None) -> str:
    """An amount in 万元 without trailing zeros; 0 when the supplement has none."""
    return f"{(value or 0):g}"


def simple_table(title: str, head: list[str], rows: list[list[str]]) -> Table:
    """A table without merged cells."""
    return Table(
        title,
        [[Cell(h, header=True) for h in head]],
        [[Cell(v) for v in row] for row in rows],
        head,
        rows,
    )


def table2_tables(sup: Supplement) -> list[Table]:
    """Table 二's four sub-tables, one per article item."""
    assert sup.table2 is not None
    tables = []
    for article in TABLE2_ARTICLES:
        items = [item for item in TABLE2_ITEMS if item.article == article]
        head = ["信息内容", *(heading for _, heading in items[0].fields)]
        rows = [
            [item.key, *(amount(sup.table2[item.key][f]) for f, _ in item.fields)] for item in items
        ]
        tables.append(simple_table(article, head, rows))
    return tables


def table3_table(sup: Supplement) -> Table:
    """Table 三: three label columns with merged group labels, then the seven columns."""
    assert sup.table3 is not None
    head = [
        [
            Cell(TABLE3_NOTE, colspan=3, rowspan=3, header=True),
            Cell("申请人情况", colspan=7, header=True),
        ],
        [
            Cell("自然人", rowspan=2, header=True),
            Cell("法人或其他组织", colspan=5, header=True),
            Cell("总计", rowspan=2, header=True),
        ],
        [Cell(c, header=True) for c in TABLE3_LEGAL_PERSON_COLUMNS],
    ]
    paths = [[*row.group.split(), row.label] for row in TABLE3_ROWS]
    body: list[list[Cell]] = []
    for i, (row, path) in enumerate(zip(TABLE3_ROWS, paths, strict=True)):
        cells: list[Cell] = []
        for depth, part in enumerate(path):
            if i > 0 and depth < len(path) - 1 and paths[i - 1][: depth + 1] == path[: depth + 1]:
                continue  # covered by the merged group label above
            last = depth == len(path) - 1
            span = 1
            while (
                not last
                and i + span < len(paths)
                and paths[i + span][: depth + 1] == path[: depth + 1]
            ):
                span += 1
            cells.append(Cell(part, colspan=3 - depth if last else 1, rowspan=span, header=True))
        cells += [Cell(str(v)) for v in sup.table3[row.key]]
        body.append(cells)
    return Table(
        "收到和处理政府信息公开申请情况",
        head,
        body,
        ["本年度办理情况", *TABLE3_COLUMNS],
        [[row.full_label, *map(str, sup.table3[row.key])] for row in TABLE3_ROWS],
    )


def table4_table(sup: Supplement) -> Table:
    """Table 四: 行政复议 and the two kinds of 行政诉讼, five results each."""
    assert sup.table4 is not None
    head = [
        [Cell("行政复议", colspan=5, header=True), Cell("行政诉讼", colspan=10, header=True)],
        [
            *(Cell(r, rowspan=2, header=True) for r in TABLE4_RESULTS),
            Cell(TABLE4_GROUPS[1], colspan=5, header=True),
            Cell(TABLE4_GROUPS[2], colspan=5, header=True),
        ],
        [Cell(r, header=True) for _ in range(2) for r in TABLE4_RESULTS],
    ]
    cells = [v for group in TABLE4_GROUPS for v in sup.table4[group]]
    return Table(
        "政府信息公开行政复议、行政诉讼情况",
        head,
        [[Cell(str(v)) for v in cells]],
        ["", *TABLE4_RESULTS],
        [
            [label, *map(str, sup.table4[group])]
            for label, group in zip(
                ("行政复议", "行政诉讼·未经复议直接起诉", "行政诉讼·复议后起诉"),
                TABLE4_GROUPS,
                strict=True,
            )
        ],
    )


def ledger_sentence(figures: YearFigures, sup: Supplement) -> str:
    """The seed's 主动公开 sentence, with category and channel as separate dimensions."""
    year = figures.year
    categories = "，".join(f"{name}信息{n}条" for name, n in figures.by_category.items()) or "无"
    channels = "，".join(f"{name}{n}条" for name, n in figures.by_channel.items()) or "无"
    leaks = (
        "没有发生一起信息公开泄密事件"
        if figures.leak_incidents == 0
        else f"发生信息公开泄密事件{figures.leak_incidents}起"
    )
    return (
        f"{year}年，{sup.office or '本机关'}累计公开政府信息{figures.total}条，"
        f"全文电子化率达{percent(figures.full_text_rate)}。"
        f"按内容分类：{categories}。按发布渠道：{channels}。"
        f"其中被中央级报刊或网站采用{figures.adopted_central}篇，"
        f"省级报刊或网站采用{figures.adopted_provincial}篇，"
        f"撤回已发布信息{figures.retractions}条，{leaks}。"
    )


def ledger_tables(figures: YearFigures) -> list[Table]:
    """The ledger's two dimensions as tables: by content category, by channel."""
    return [
        simple_table(
            "按内容分类（每条信息计一次）",
            ["内容分类", "条数"],
            [[k, str(v)] for k, v in figures.by_category.items()] + [["合计", str(figures.total)]],
        ),
        simple_table(
            "按发布渠道（每个渠道各计一次）",
            ["发布渠道", "条数"],
            [[k, str(v)] for k, v in figures.by_channel.items()]
            + [["其中多渠道发布的信息", str(figures.multi_channel)]],
        ),
    ]


def annex_blocks(doc: Document, annex: ManagementAnnex) -> None:
    """The management annex: per unit, returned-for-revision rate, time per stage."""
    doc.heading("附录一 管理附表（不属于法定公开内容）")
    doc.table(
        simple_table(
            "各单位发布信息条数",
            ["单位代码", "单位", "条数"],
            [[c, n, str(k)] for c, n, k in annex.by_unit] or [["—", "无", "0"]],
        )
    )
    rate = (
        "无（本年没有经本系统审核发布的信息）"
        if annex.returned_rate is None
        else percent(annex.returned_rate)
    )
    doc.paragraphs(
        f"经本系统审核后发布的信息{annex.reviewed}条，其中曾被退回修改的{annex.returned}条，"
        f"退回修改率{rate}。导入的历史台帐信息不计入此比率。{ROUNDING_RULE}"
    )
    rows = [
        [
            STAGE_NAMES.get(s.stage, s.stage),
            str(s.decisions),
            "—" if s.median_hours is None else f"{s.median_hours:.1f}",
            "—" if s.p90_hours is None else f"{s.p90_hours:.1f}",
        ]
        for s in annex.stages
    ]
    doc.table(
        simple_table(
            "各环节用时（小时，按本年作出的决定统计）",
            ["环节", "决定数", "中位数", "第90百分位"],
            rows,
        )
    )
    doc.paragraphs(
        "环节用时自该环节开始（初审自提交或重新提交，其后各环节自上一环节同意）至作出决定；"
        "中位数与第90百分位按线性插值计算。"
    )


def checks_blocks(doc: Document, problems: list[Problem]) -> None:
    """The 校验 section: every problem, or a statement that all checks pass."""
    doc.heading("附录二 校验")
    if not problems:
        doc.paragraphs(
            "全部校验通过：各表勾稽关系成立，正文引用数字与表内数字一致，未发现私人姓名。"
        )
        return
    doc.paragraphs(f"发现 {len(problems)} 处问题（未作任何自动更正，请核实后修改补充材料或台帐）：")
    doc.paragraphs(*(str(p) for p in problems), css="problem")


def _title(year: int, sup: Supplement) -> str:
    return f"{year}年度{sup.office}政府信息公开工作年度报告"


def _preamble(doc: Document, sup: Supplement, sections: str) -> None:
    doc.paragraphs(
        *sup.paragraphs("preamble")
        or [
            f"本年度报告根据《中华人民共和国政府信息公开条例》编制，全文包括{sections}。"
            + (f"如对本年度报告有疑问，请联系：{sup.contact}。" if sup.contact else "")
        ]
    )


def _consultations(year: int, sup: Supplement) -> str:
    if not sup.consultations:
        return ""
    stated = sup.consultations_total
    total = stated if stated is not None else sum(sup.consultations.values())
    parts = "，".join(f"{name}{n}次" for name, n in sup.consultations.items())
    visits = (
        ""
        if sup.site_visits_per_day is None
        else (f"网站政府信息公开栏目访问量平均每日约{amount(sup.site_visits_per_day)}次。")
    )
    return f"{year}年，共接受群众咨询{total}次，其中{parts}。{visits}"


def _reviews(year: int, sup: Supplement) -> str:
    if sup.table4 is None:
        return ""
    review, direct, after = (sup.table4[g][-1] for g in TABLE4_GROUPS)
    if review + direct + after == 0:
        return f"{year}年，没有发生针对本机关政府信息公开事务的行政复议、行政诉讼案件。"
    return (
        f"{year}年，因政府信息公开被申请行政复议{review}件，"
        f"被提起行政诉讼{direct + after}件（未经复议直接起诉{direct}件，复议后起诉{after}件）。"
    )


def _requests(year: int, sup: Supplement) -> str:
    if sup.table3 is None:
        return ""
    t = sup.table3
    return (
        f"{year}年，本年新收政府信息公开申请{t['一'][-1]}件，上年结转{t['二'][-1]}件，"
        f"本年度办结{t['三（七）'][-1]}件（予以公开{t['三（一）'][-1]}件，部分公开{t['三（二）'][-1]}件），"
        f"结转下年度继续办理{t['四'][-1]}件。"
    )


def narrative_document(
    figures: YearFigures, annex: ManagementAnnex, sup: Supplement, problems: list[Problem]
) -> Document:
    """Format A: the pre-2019 narrative report, in the seed's section order."""
    year = figures.year
    doc = Document(_title(year, sup))
    _preamble(
        doc,
        sup,
        "概述、主动公开政府信息情况、依申请公开政府信息情况、政府信息公开咨询处理情况、"
        "政府信息公开行政复议、行政诉讼情况，政府信息公开支出情况，其它相关工作情况"
        "以及存在的主要问题和改进措施等",
    )
    doc.heading("一、概述")
    doc.paragraphs(*sup.paragraphs("overview"))
    doc.heading("二、主动公开政府信息情况")
    doc.paragraphs(ledger_sentence(figures, sup), *sup.paragraphs("proactive"))
    doc.paragraphs(COUNTING_RULE + ROUNDING_RULE, css="note")
    doc.heading("三、依申请公开政府信息情况")
    doc.paragraphs(_requests(year, sup), *sup.paragraphs("requests"))
    doc.heading("四、政府信息公开咨询处理情况")
    doc.paragraphs(_consultations(year, sup), *sup.paragraphs("consultations"))
    doc.heading("五、政府信息公开行政复议、行政诉讼情况")
    doc.paragraphs(_reviews(year, sup), *sup.paragraphs("reviews"))
    doc.heading("六、政府信息公开支出情况")
    doc.paragraphs(
        f"{year}年政府信息公开事务财政预算{amount(sup.budget_wan)}万元，"
        f"实际支出{amount(sup.actual_wan)}万元。",
        *sup.paragraphs("spending"),
    )
    doc.heading("七、其它相关工作情况")
    doc.paragraphs(*sup.paragraphs("other"))
    doc.heading("八、存在的主要问题和改进措施")
    doc.paragraphs(*sup.paragraphs("problems"))
    annex_blocks(doc, annex)
    checks_blocks(doc, problems)
    return doc


def national_document(
    figures: YearFigures, annex: ManagementAnnex, sup: Supplement, problems: list[Problem]
) -> Document:
    """Format B: the national table format of 国办公开办函〔2021〕30号."""
    year = figures.year
    doc = Document(_title(year, sup))
    _preamble(
        doc,
        sup,
        "总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
        "政府信息公开行政复议、行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项",
    )
    doc.heading("一、总体情况")
    doc.paragraphs(*sup.paragraphs("overview"), ledger_sentence(figures, sup))
    doc.paragraphs(COUNTING_RULE + ROUNDING_RULE, css="note")
    doc.heading("二、主动公开政府信息情况")
    for table in table2_tables(sup):
        doc.table(table)
    for table in ledger_tables(figures):
        doc.table(table)
    doc.paragraphs(*sup.paragraphs("proactive"))
    doc.heading("三、收到和处理政府信息公开申请情况")
    doc.table(table3_table(sup))
    doc.paragraphs(*sup.paragraphs("requests"))
    doc.heading("四、政府信息公开行政复议、行政诉讼情况")
    doc.table(table4_table(sup))
    doc.paragraphs(*sup.paragraphs("reviews"))
    doc.heading("五、存在的主要问题及改进情况")
    doc.paragraphs(*sup.paragraphs("problems"))
    doc.heading("六、其他需要报告的事项")
    doc.paragraphs(*sup.paragraphs("other"), *sup.paragraphs("consultations"))
    annex_blocks(doc, annex)
    checks_blocks(doc, problems)
    return doc
