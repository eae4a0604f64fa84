"""The report as a list of blocks (headings, paragraphs, tables), whatever it is written to.

Markdown, HTML and DOCX are all laid out from the same Document, so they cannot disagree
about a figure. Tables carry both a grid with merged cells (HTML, DOCX) and a flat form
(Markdown, which has no merged cells). Sections, their order and their tables come from the
edition; an optional section with nothing in it is left out and the rest renumbered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pubreview.clock import local_time
from pubreview.ledger.keys import describe
from pubreview.report import sentences
from pubreview.report.checks import CheckResult
from pubreview.report.claim_checks import UNCHECKED
from pubreview.report.formats import Edition, Section, numbered
from pubreview.report.rollup import ManagementAnnex, YearFigures
from pubreview.report.sentences import ROUNDING_RULE, percent
from pubreview.report.supplement import PLACEHOLDER, Supplement
from pubreview.report.tables import (
    TABLE3_COLUMNS,
    TABLE3_LEGAL_PERSON_COLUMNS,
    TABLE3_NOTE,
    TABLE4_GROUPS,
    TABLE4_RESULTS,
)

COUNTING_RULE = (
    "计数说明：一条信息在多个渠道发布的，在总数和按内容分类的数字中只计一次，在按发布渠道的数字中每个渠道各计一次；"
    "信息按其首次发布日期计入年度。"
)
LEDGER_TABLE_NOTE = (
    "{name}由本机关依申请公开台帐（登记的每件申请及其办理结果、复议诉讼案件）统计生成{reason}。"
)
DRAFT_NOTE = "草稿：补充材料仍有未填写的内容（见附录二 校验），本报告不可发布。"
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


def cell(value: float | None) -> str:
    """A figure as printed: 0 as 0, an unknown figure blank (never as 0)."""
    return "" if value is None else f"{value:g}"


def simple_table(title: str, head: list[str], rows: list[list[str]]) -> Table:
    """A table without merged cells."""
    return Table(
        title,
        [[Cell(h, header=True) for h in head]],
        [[Cell(v) for v in row] for row in rows],
        head,
        rows,
    )


def table2_tables(edition: Edition, sup: Supplement) -> list[Table]:
    """Table 二's sub-tables, one per article item of the edition."""
    assert sup.table2 is not None
    tables = []
    articles = dict.fromkeys(item.article for item in edition.table2)
    for article in articles:
        items = [item for item in edition.table2 if item.article == article]
        head = ["信息内容", *(heading for _, heading in items[0].fields)]
        rows = [
            [item.key, *(cell(sup.table2[item.key].get(f)) for f, _ in item.fields)]
            for item in items
        ]
        tables.append(simple_table(article, head, rows))
    return tables


def table3_table(edition: Edition, sup: Supplement) -> Table:
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
    rows = edition.table3_rows
    paths = [[*row.group.split(), row.label] for row in rows]
    body: list[list[Cell]] = []
    for i, (row, path) in enumerate(zip(rows, paths, strict=True)):
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
        cells += [Cell(cell(v)) for v in sup.table3[row.key]]
        body.append(cells)
    return Table(
        "收到和处理政府信息公开申请情况",
        head,
        body,
        ["本年度办理情况", *TABLE3_COLUMNS],
        [[row.full_label, *map(cell, sup.table3[row.key])] for row in rows],
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
        [[Cell(cell(v)) for v in cells]],
        ["", *TABLE4_RESULTS],
        [
            [label, *map(cell, sup.table4[group])]
            for label, group in zip(
                ("行政复议", "行政诉讼·未经复议直接起诉", "行政诉讼·复议后起诉"),
                TABLE4_GROUPS,
                strict=True,
            )
        ],
    )


def ledger_tables(figures: YearFigures) -> list[Table]:
    """The ledger's two dimensions as tables: by content category, by channel."""
    if figures.by_channel_category:
        by_category = simple_table(
            "各发布渠道按内容分类（不设分类的渠道不列）",
            ["发布渠道", "内容分类", "条数"],
            [
                [channel, name, str(n)]
                for channel, counts in figures.by_channel_category.items()
                for name, n in counts.items()
            ],
        )
    else:
        by_category = simple_table(
            "按内容分类（每条信息计一次）",
            ["内容分类", "条数"],
            [[k, str(v)] for k, v in figures.by_category.items()] + [["合计", str(figures.total)]],
        )
    return [
        by_category,
        simple_table(
            "按发布渠道（每个渠道各计一次）",
            ["发布渠道", "条数"],
            [[k, str(v)] for k, v in figures.by_channel.items()]
            + [["其中多渠道发布的信息", str(figures.multi_channel)]],
        ),
    ]


def checkpoint_sentence(annex: ManagementAnnex) -> str:
    """The year's last signed ledger checkpoint, so a reader can hold the ledger to it."""
    c = annex.checkpoint
    if c is None:
        return f"{annex.year}年度没有签名的台帐检查点。"
    when = local_time(datetime.fromisoformat(c.time.replace("Z", "+00:00")))
    # Keys rotate: name the one that signed it, with its public key while the key list has it.
    record = describe(c.key_id)
    public = f"（公钥 {record.public_key}）" if record else ""
    return (
        f"本年度最后一个台帐检查点：{when}，台帐共{c.size}条，链头哈希 {c.head}，"
        f"默克尔根 {c.root}，签名密钥 {c.key_id}{public}。检查点日志和历次签名密钥在网站"
        "“台帐检查点”页面公开，可据此核验台帐此后未被改写。"
    )


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
    doc.paragraphs(checkpoint_sentence(annex))
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


def checks_blocks(doc: Document, result: CheckResult) -> None:
    """The 校验 section: every problem and every unchecked figure, or that all checks pass."""
    doc.heading("附录二 校验")
    if result.all_pass:
        doc.paragraphs(
            "全部校验通过：各表勾稽关系成立，正文引用的每个数字都已与表内或台帐数字核对一致，"
            "未发现私人姓名。"
        )
        return
    if result.problems:
        doc.paragraphs(
            f"发现 {len(result.problems)} 处问题（未作任何自动更正，请核实后修改补充材料或台帐）："
        )
        doc.paragraphs(*(str(p) for p in result.problems), css="problem")
    else:
        doc.paragraphs("各表勾稽关系成立，未发现矛盾；但下列正文数字未能核对，请人工核实。")
    doc.paragraphs(result.claims.summary() + "。")
    unchecked = [r for r in result.claims.results if r.status == UNCHECKED]
    doc.paragraphs(*(str(r) for r in unchecked), css="problem")


def _section_blocks(
    section: Section, figures: YearFigures, sup: Supplement, edition: Edition
) -> list[Block]:
    """What one section holds: pubreview's sentences and tables, then the office's paragraphs."""
    part = Document("")
    year = figures.year
    own = (section.key,)
    # The counting rule goes once, beside the ledger's tables or, without them, its sentence.
    has_tables = any("ledger_tables" in s.shows for s in edition.sections)
    ledger_shown = "ledger_tables" in section.shows
    if "ledger" in section.shows:
        keys = (section.key, "proactive") if section.key == "overview" else own
        if not sentences.stated("ledger", sup, keys):
            part.paragraphs(sentences.ledger_sentence(figures, sup))
            ledger_shown = ledger_shown or not has_tables
        if not sentences.stated("leaks", sup, ("overview", "proactive")):
            part.paragraphs(sentences.leak_sentence(figures, sup))
    generated = {
        "requests": lambda: sentences.requests_sentence(year, sup),
        "consultations": lambda: sentences.consultations_sentence(year, sup),
        "reviews": lambda: sentences.reviews_sentence(year, sup),
        "spending": lambda: sentences.spending_sentence(year, sup),
    }
    for name, make in generated.items():
        if name in section.shows and not sentences.stated(name, sup, own):
            part.paragraphs(make())
    if "consultations" in section.shows and not sentences.stated("site_visits", sup, own):
        part.paragraphs(sentences.visits_sentence(sup))
    if "table2" in section.shows and sup.table2 is not None:
        for table in table2_tables(edition, sup):
            part.table(table)
    if "ledger_tables" in section.shows:
        for table in ledger_tables(figures):
            part.table(table)
    if "table3" in section.shows and sup.table3 is not None:
        part.table(table3_table(edition, sup))
        if "table3" in sup.from_ledger:
            part.paragraphs(
                LEDGER_TABLE_NOTE.format(name="表三", reason=_reason(sup, "table3")), css="note"
            )
    if "table4" in section.shows and sup.table4 is not None:
        part.table(table4_table(sup))
        if "table4" in sup.from_ledger:
            part.paragraphs(
                LEDGER_TABLE_NOTE.format(name="表四", reason=_reason(sup, "table4")), css="note"
            )
    part.paragraphs(*sup.paragraphs(section.key))
    if ledger_shown:
        rule = COUNTING_RULE + (ROUNDING_RULE if figures.with_full_text else "")
        part.paragraphs(rule, css="note")
    return part.blocks


def _reason(sup: Supplement, part: str) -> str:
    """The override's reason as the note states it ("" when the ledger's figures stand)."""
    reason = sup.reasons.get(part)
    return f"；与台帐不同的数字采用补充材料填报，理由：{reason}" if reason else ""


def title(year: int, sup: Supplement) -> str:
    """The report's title; a draft says so."""
    office = sup.office if sup.office and PLACEHOLDER not in sup.office else ""
    name = f"{year}年度{office}政府信息公开工作年度报告"
    return name if office else f"【草稿】{name}"


def report_document(
    figures: YearFigures, annex: ManagementAnnex, sup: Supplement, result: CheckResult
) -> Document:
    """The report in the supplement's edition: its sections in order, then the annexes."""
    edition = sup.edition
    doc = Document(title(figures.year, sup))
    if result.draft or doc.title.startswith("【草稿】"):
        doc.paragraphs(DRAFT_NOTE, css="note")
    number = 0
    extra = {s.after: [] for s in sup.sections}
    for s in sup.sections:
        extra[s.after].append(s)

    def add(heading: str, blocks: list[Block]) -> None:
        nonlocal number
        doc.heading(numbered(number, heading))
        doc.blocks += blocks or [Block("paragraph", "（本节补充材料未提供内容）", css="note")]
        number += 1

    for section in edition.sections:
        blocks = _section_blocks(section, figures, sup, edition)
        if blocks or not section.optional:
            add(section.title, blocks)
        for own in extra.get(section.key, []):
            add(own.title, [Block("paragraph", p.text) for p in own.paragraphs])
    for own in extra.get("", []):
        add(own.title, [Block("paragraph", p.text) for p in own.paragraphs])
    present = "、".join(b.text.split("、", 1)[1] for b in doc.blocks if b.kind == "heading")
    preamble = sup.paragraphs("preamble") or [
        f"本年度报告根据《中华人民共和国政府信息公开条例》编制，全文包括{present}。"
        + (f"如对本年度报告有疑问，请联系：{sup.contact}。" if sup.contact else "")
    ]
    at = 1 if doc.blocks and doc.blocks[0].css == "note" else 0
    doc.blocks[at:at] = [Block("paragraph", text) for text in preamble]
    annex_blocks(doc, annex)
    checks_blocks(doc, result)
    return doc
