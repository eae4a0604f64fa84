"""The report's supplement: the YAML file holding what no ledger holds.

Consultations, site visits, spending, the cells of Table 二 and every narrative paragraph come
from here, as the report's edition asks for them. Tables 三 and 四 come from here only for a
year whose disclosure requests the ledger does not track (`from_ledger`); when it does, the
file may still give a cell, and the report takes it only with the reason stated in
`table3_reason` / `table4_reason` (see `ledger_tables`). The file is read as YAML
nodes so that every error names the key path and the line; all errors are reported together.

Blank, zero and unknown are different: 0 is a figure, `~` (or an empty value) is a figure
nobody has given yet. Nothing turns a `~` into 0; the checks report it as missing.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pubreview import settings, yamldoc
from pubreview.errors import ValidationError
from pubreview.rendering import render
from pubreview.report.formats import EDITIONS, Edition
from pubreview.report.tables import (
    CONSULTATION_CHANNELS,
    TABLE3_COLUMNS,
    TABLE4_GROUPS,
    TABLE4_RESULTS,
    is_amount,
    may_be_negative,
)
from pubreview.yamldoc import Doc

PREAMBLE = "preamble"
PREAMBLE_TITLE = "开头说明（报告依据、下载地址、联系方式）"
REQUIRED_NARRATIVE = ("overview", "problems")
TOP_KEYS = (
    "year", "office", "contact", "consultations", "site_visits_per_day", "spending",
    "leak_incidents", "table2", "table3", "table4", "table3_reason", "table4_reason",
    "narrative", "sections", "privacy",
)  # fmt: skip
LEDGER_TABLES = ("table3", "table4")  # the tables the request ledger can supply
TABLE_NAMES = {"table3": "表三", "table4": "表四"}
PLACEHOLDER = "请填写"
NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class Paragraph:
    """One narrative paragraph, with where it came from."""

    key: str
    text: str
    line: int

    @property
    def where(self) -> str:
        """Where the paragraph is, as a finding names it."""
        return f"补充材料 narrative.{self.key}（第{self.line}行）"


@dataclass(frozen=True)
class ExtraSection:
    """A section an office adds to the narrative edition (四、收费及减免 …, 附表)."""

    title: str
    after: str  # the section key it follows ("" for the end)
    paragraphs: tuple[Paragraph, ...]


@dataclass
class Supplement:
    """A validated supplement; parts absent from the file are None (or empty)."""

    path: Path
    year: int
    office: str
    edition: Edition
    contact: str | None = None
    consultations_total: int | None = None
    consultations: dict[str, int | None] = field(default_factory=dict)
    site_visits_per_day: float | None = None
    budget_wan: float | None = None
    actual_wan: float | None = None
    spending_given: bool = False
    leak_incidents: int | None = None
    table2: dict[str, dict[str, float | None]] | None = None
    table3: dict[str, list[int | None]] | None = None
    table4: dict[str, list[int | None]] | None = None
    narrative: dict[str, list[Paragraph]] = field(default_factory=dict)
    sections: list[ExtraSection] = field(default_factory=list)
    privacy_allow: tuple[str, ...] = ()
    privacy_patterns: tuple[str, ...] = ()
    # The tables the request ledger supplies; a table here may be partial in the file (only
    # the cells the office gives) until `ledger_tables.merge` lays it over the ledger's.
    from_ledger: frozenset[str] = frozenset()
    reasons: dict[str, str] = field(default_factory=dict)  # table3/table4 -> why it overrides

    def paragraphs(self, key: str) -> list[str]:
        """The texts of one narrative part (empty when the file has none)."""
        return [p.text for p in self.narrative.get(key, [])]

    def all_paragraphs(self) -> list[Paragraph]:
        """Every narrative paragraph, in the edition's order, then the extra sections'."""
        keys = narrative_keys(self.edition)
        return [p for key in keys for p in self.narrative.get(key, [])] + [
            p for s in self.sections for p in s.paragraphs
        ]

    def missing(self) -> list[str]:
        """Every figure the file leaves unknown (~), by its key path."""
        out = [f"consultations.by_channel.{k}" for k, v in self.consultations.items() if v is None]
        if self.spending_given:
            out += [
                f"spending.{k}" for k in ("budget_wan", "actual_wan") if getattr(self, k) is None
            ]
        for name, cells in (self.table2 or {}).items():
            out += [f"table2.{name}.{k}" for k, v in cells.items() if v is None]
        for key, row in (self.table3 or {}).items():
            out += [f"table3.{key}[{TABLE3_COLUMNS[i]}]" for i, v in enumerate(row) if v is None]
        for group, row in (self.table4 or {}).items():
            out += [f"table4.{group}[{TABLE4_RESULTS[i]}]" for i, v in enumerate(row) if v is None]
        return out


def narrative_keys(edition: Edition) -> tuple[str, ...]:
    """The narrative parts a supplement may give for an edition: the preamble, then sections."""
    return (PREAMBLE, *(s.key for s in edition.sections))


class _Reader(Doc):
    """The supplement's own values beside the shared reader: figures, rows of figures, texts."""

    def number(
        self, node: yaml.Node, key: str, *, integer: bool = True, negative: bool = False
    ) -> float | int | None:
        """A count (or amount, when integer is False); None for ~ or after an error."""
        wanted = "整数" if integer else "数字"
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, key, f"应为{wanted}（尚不知道时写 ~）")
            return None
        if node.tag == NULL_TAG or (node.tag == "tag:yaml.org,2002:str" and not node.value):
            return None
        tags = (
            ("tag:yaml.org,2002:int",)
            if integer
            else ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
        )
        if node.tag not in tags:
            self.error(node, key, f"应为{wanted}，实际为「{node.value}」")
            return None
        value = yaml.safe_load(node.value)
        if value < 0 and not negative:
            self.error(node, key, f"不能为负数，实际为 {value}")
            return None
        return value

    def words(self, node: yaml.Node, key: str) -> str | None:
        """A text as written (perhaps empty); None, and an error, for anything else."""
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            self.error(node, key, "应为文字")
            return None
        return str(node.value).strip()

    def row(self, node: yaml.Node, key: str, columns: tuple[str, ...]) -> list[int | None]:
        """A table row: one figure per column."""
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != len(columns):
            self.error(node, key, f"应为 {len(columns)} 个数字的列表：{'、'.join(columns)}")
            return [None] * len(columns)
        cells = [
            self.number(cell, f"{key}[{col}]")
            for cell, col in zip(node.value, columns, strict=True)
        ]
        return [None if c is None else int(c) for c in cells]


def _paragraphs(reader: _Reader, node: yaml.Node, key: str) -> list[Paragraph]:
    """A string (paragraphs split on blank lines) or a list of strings."""
    nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
    out: list[Paragraph] = []
    for item in nodes:
        text = reader.words(item, key)
        if text is None:
            continue
        line = item.start_mark.line + 1
        name = key.removeprefix("narrative.")
        out += [Paragraph(name, " ".join(p.split()), line) for p in text.split("\n\n") if p.strip()]
    return out


def _tables(reader: _Reader, top: dict, sup: Supplement, edition: Edition) -> None:
    if "table2" in top:
        items = {item.key: item for item in edition.table2}
        sup.table2 = {}
        for name, vnode in reader.mapping(top["table2"], "table2", tuple(items)).items():
            fields = dict(items[name].fields)
            cells = reader.mapping(vnode, f"table2.{name}", tuple(fields))
            sup.table2[name] = {}
            for fname in fields:
                if fname not in cells:
                    reader.error(vnode, f"table2.{name}.{fname}", "缺少此项（尚不知道时写 ~）")
                    continue
                sup.table2[name][fname] = reader.number(
                    cells[fname],
                    f"table2.{name}.{fname}",
                    integer=not is_amount(fname),
                    negative=may_be_negative(fname),
                )
        for name in items:
            if name not in sup.table2:
                reader.error(top["table2"], f"table2.{name}", "缺少此行（尚不知道时写 ~）")
    if "table3" in top:
        rows = reader.mapping(top["table3"], "table3", edition.table3_keys)
        sup.table3 = {}
        for row in edition.table3_rows:
            if row.key not in rows and "table3" in sup.from_ledger:
                continue  # the ledger's row stands
            if row.key not in rows:
                reader.error(
                    top["table3"],
                    f"table3.{row.key}",
                    f"缺少行「{row.full_label}」（没有写 0，尚不知道写 ~）",
                )
                continue
            sup.table3[row.key] = reader.row(rows[row.key], f"table3.{row.key}", TABLE3_COLUMNS)
    if "table4" in top:
        groups = reader.mapping(top["table4"], "table4", TABLE4_GROUPS)
        sup.table4 = {}
        for group in TABLE4_GROUPS:
            if group not in groups and "table4" in sup.from_ledger:
                continue
            if group not in groups:
                reader.error(top["table4"], f"table4.{group}", "缺少此项（没有写 0，尚不知道写 ~）")
                continue
            sup.table4[group] = reader.row(groups[group], f"table4.{group}", TABLE4_RESULTS)


def _sections(reader: _Reader, node: yaml.Node, sup: Supplement, edition: Edition) -> None:
    if not edition.extra_sections:
        reader.error(node, "sections", f"{edition.name}的章节是固定的，不能另加章节")
        return
    if not isinstance(node, yaml.SequenceNode):
        reader.error(node, "sections", "应为章节列表（每项含 title、after、text）")
        return
    keys = tuple(s.key for s in edition.sections)
    for i, item in enumerate(node.value):
        parts = reader.mapping(item, f"sections[{i}]", ("title", "after", "text"))
        title = reader.words(parts["title"], f"sections[{i}].title") if "title" in parts else None
        if not title:
            reader.error(item, f"sections[{i}].title", "缺少章节标题")
            continue
        after = reader.words(parts["after"], f"sections[{i}].after") if "after" in parts else ""
        if after and after not in keys:
            reader.error(parts["after"], f"sections[{i}].after", f"应为以下之一：{'、'.join(keys)}")
        text = _paragraphs(reader, parts["text"], f"sections[{i}]") if "text" in parts else []
        sup.sections.append(ExtraSection(title, after or "", tuple(text)))


def _keys(top: dict, name: str) -> set[str]:
    node = top.get(name)
    return {str(k.value) for k, _ in node.value} if isinstance(node, yaml.MappingNode) else set()


def _other_edition(top: dict, edition: Edition) -> Edition | None:
    """The table edition a supplement's Tables 二 and 三 were written for, if not `edition`."""
    table2, table3 = _keys(top, "table2"), _keys(top, "table3")
    if not (table2 or table3) or not edition.has_tables:
        return None

    def fits(e: Edition) -> bool:
        return table2 <= {i.key for i in e.table2} and table3 <= set(e.table3_keys)

    if fits(edition):
        return None
    return next(
        (e for e in EDITIONS.values() if e.has_tables and e is not edition and fits(e)), None
    )


def reports_dir(year: int) -> Path:
    """Where a year's supplement, generated files and checks live: DATA_DIR/reports/YEAR."""
    return settings.load().data_dir / "reports" / str(year)


def default_path(year: int) -> Path:
    """The year's supplement, wherever it is edited from (command line, web page, flow)."""
    return reports_dir(year) / f"supplement-{year}.yaml"


def load(
    path: Path, year: int, edition: Edition, *, from_ledger: Collection[str] = ()
) -> Supplement:
    """Read and validate a supplement for `year` in `edition`; every problem is listed.

    `from_ledger` names the tables (table3, table4) the request ledger supplies for the year:
    the file need not give them, and may give only the cells it overrides.
    """
    root = yamldoc.read(path)
    reader = _Reader(path, "补充材料")
    top = reader.mapping(root, "", TOP_KEYS)
    ledger = frozenset(from_ledger) & set(edition.supplement_parts)
    sup = Supplement(path=path, year=year, office="", edition=edition, from_ledger=ledger)
    for key in ("year", "office", *(k for k in edition.required if k not in ledger)):
        if key not in top:
            reader.error(root, key, f"缺少此项（{edition.name}必填）")
    for key in ("table2", "table3", "table4"):
        if key in top and key not in edition.supplement_parts:
            reader.error(top.key(key), key, f"{edition.name}没有这张表")
    for table in LEDGER_TABLES:
        key = f"{table}_reason"
        if key not in top:
            continue
        if table not in ledger:
            reader.error(
                top.key(key),
                key,
                f"本年度{TABLE_NAMES[table]}不由依申请公开台帐生成，无需说明改用补充材料的理由",
            )
        elif reason := reader.words(top[key], key):
            sup.reasons[table] = reason
    if (
        "year" in top
        and (found := reader.number(top["year"], "year")) is not None
        and found != year
    ):
        reader.error(top["year"], "year", f"文件是 {found} 年度的，报告是 {year} 年度的")
    if "office" in top:
        sup.office = reader.words(top["office"], "office") or ""
    if "contact" in top:
        sup.contact = reader.words(top["contact"], "contact")
    if "consultations" in top:
        parts = reader.mapping(top["consultations"], "consultations", ("total", "by_channel"))
        if "total" in parts:
            sup.consultations_total = reader.number(parts["total"], "consultations.total")
        if "by_channel" in parts:
            channels = reader.mapping(parts["by_channel"], "consultations.by_channel", None)
            for name, vnode in channels.items():
                value = reader.number(vnode, f"consultations.by_channel.{name}")
                sup.consultations[name] = None if value is None else int(value)
    if "site_visits_per_day" in top:
        sup.site_visits_per_day = reader.number(
            top["site_visits_per_day"], "site_visits_per_day", integer=False
        )
    if "spending" in top:
        sup.spending_given = True
        parts = reader.mapping(top["spending"], "spending", ("budget_wan", "actual_wan"))
        for name in ("budget_wan", "actual_wan"):
            if name in parts:
                setattr(sup, name, reader.number(parts[name], f"spending.{name}", integer=False))
    if "leak_incidents" in top:
        found = reader.number(top["leak_incidents"], "leak_incidents")
        sup.leak_incidents = None if found is None else int(found)
    other = _other_edition(top, edition)
    if other is not None:
        raise ValidationError(
            f"补充材料 {path}：表二、表三是按{other.name}填写的，而本报告按{edition.name}生成；"
            f"请为{year}年度按{edition.name}重新生成补充材料模板，或按{other.name}生成报告"
        )
    _tables(reader, top, sup, edition)
    allowed = narrative_keys(edition)
    narrative = reader.mapping(top["narrative"], "narrative", allowed) if "narrative" in top else {}
    titles = {s.key: s.title for s in edition.sections}
    for key in REQUIRED_NARRATIVE:
        if key not in narrative:
            reader.error(
                top.get("narrative", root),
                f"narrative.{key}",
                f"缺少（{titles[key]}）",
            )
    for key, vnode in narrative.items():
        sup.narrative[key] = _paragraphs(reader, vnode, f"narrative.{key}")
    if "sections" in top:
        _sections(reader, top["sections"], sup, edition)
    if "privacy" in top:
        parts = reader.mapping(top["privacy"], "privacy", ("allow", "patterns"))
        for name, vnode in parts.items():
            values = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
            texts = tuple(t for v in values if (t := reader.words(v, f"privacy.{name}")))
            if name == "allow":
                sup.privacy_allow = texts
                continue
            for value, text in zip(values, texts, strict=False):
                try:
                    re.compile(text)
                except re.error as exc:
                    reader.error(value, "privacy.patterns", f"不是有效的正则表达式：{exc}")
            sup.privacy_patterns = texts
    reader.check()
    return sup


def template(year: int, edition: Edition, *, from_ledger: Collection[str] = ()) -> str:
    """A supplement for `year` asking for exactly the edition's parts, every figure ~ (unknown).

    Tables in `from_ledger` are not asked for: the template says they come from the ledger
    and how to override a cell with a reason.
    """
    return render(
        "report/supplement.yaml",
        year=year,
        edition=edition,
        placeholder=PLACEHOLDER,
        channels=CONSULTATION_CHANNELS,
        table3_columns=TABLE3_COLUMNS,
        table4_groups=TABLE4_GROUPS,
        table4_results=TABLE4_RESULTS,
        preamble=PREAMBLE_TITLE,
        from_ledger=frozenset(from_ledger) & set(edition.supplement_parts),
    )


def write_template(
    path: Path, year: int, edition: Edition, *, from_ledger: Collection[str] = ()
) -> Path:
    """Write the template to `path`, refusing to overwrite an administrator's file."""
    if path.exists():
        raise ValidationError(f"{path} 已存在，不覆盖")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template(year, edition, from_ledger=from_ledger), encoding="utf-8")
    return path
