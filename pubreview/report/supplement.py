"""The report's supplement: the YAML file holding what no ledger holds.

Consultations, site visits, spending, the counts of Tables 二, 三 and 四, and every
narrative paragraph come from here. The file is read as YAML nodes so that every error
names the key path and the line; all errors are reported together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pubreview.errors import ValidationError
from pubreview.rendering import render
from pubreview.report.tables import (
    CONSULTATION_CHANNELS,
    TABLE2_ITEMS,
    TABLE3_COLUMNS,
    TABLE3_KEYS,
    TABLE3_ROWS,
    TABLE4_GROUPS,
    TABLE4_RESULTS,
)

FORMATS = ("narrative", "national")

# Narrative paragraphs by key; each format uses the ones listed for it (see render's sections).
NARRATIVE_KEYS: dict[str, str] = {
    "preamble": "开头说明（报告依据、下载地址、联系方式）",
    "overview": "一、概述 / 一、总体情况",
    "proactive": "二、主动公开政府信息情况（台帐数字之后的说明）",
    "requests": "三、依申请公开 / 收到和处理政府信息公开申请情况",
    "consultations": "四、政府信息公开咨询处理情况（数字之后的说明）",
    "reviews": "五、行政复议、行政诉讼情况",
    "spending": "六、政府信息公开支出情况（数字之后的说明）",
    "other": "七、其它相关工作情况 / 六、其他需要报告的事项",
    "problems": "八、存在的主要问题和改进措施 / 五、存在的主要问题及改进情况",
}
REQUIRED_NARRATIVE = ("overview", "problems")
REQUIRED_BY_FORMAT: dict[str, tuple[str, ...]] = {
    "narrative": ("consultations", "spending"),
    "national": ("table2", "table3", "table4"),
}
TOP_KEYS = (
    "year", "office", "contact", "consultations", "site_visits_per_day", "spending",
    "table2", "table3", "table4", "narrative", "privacy",
)  # fmt: skip
PLACEHOLDER = "请填写"


@dataclass(frozen=True)
class Paragraph:
    """One narrative paragraph, with where it came from."""

    key: str
    text: str
    line: int


@dataclass
class Supplement:
    """A validated supplement; tables absent from the file are None."""

    path: Path
    year: int
    office: str
    contact: str | None = None
    consultations_total: int | None = None
    consultations: dict[str, int] = field(default_factory=dict)
    site_visits_per_day: float | None = None
    budget_wan: float | None = None
    actual_wan: float | None = None
    table2: dict[str, dict[str, float]] | None = None
    table3: dict[str, list[int]] | None = None
    table4: dict[str, list[int]] | None = None
    narrative: dict[str, list[Paragraph]] = field(default_factory=dict)
    privacy_allow: tuple[str, ...] = ()
    privacy_patterns: tuple[str, ...] = ()

    def paragraphs(self, key: str) -> list[str]:
        """The texts of one narrative part (empty when the file has none)."""
        return [p.text for p in self.narrative.get(key, [])]

    def all_paragraphs(self) -> list[Paragraph]:
        """Every narrative paragraph, in NARRATIVE_KEYS order."""
        return [p for key in NARRATIVE_KEYS for p in self.narrative.get(key, [])]


class _Reader:
    """Walks the YAML nodes, collecting errors that name the key path and the line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[str] = []

    def error(self, node: yaml.Node, key: str, message: str) -> None:
        self.errors.append(f"{self.path}: line {node.start_mark.line + 1}: {key}: {message}")

    def mapping(self, node: yaml.Node, key: str, allowed: tuple[str, ...] | None) -> dict:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, key, "expected a mapping (key: value lines)")
            return {}
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for knode, vnode in node.value:
            name = str(knode.value)
            if allowed is not None and name not in allowed:
                self.error(
                    knode,
                    f"{key}.{name}".lstrip("."),
                    f"unknown key (allowed: {', '.join(allowed)})",
                )
                continue
            if name in out:
                self.error(knode, f"{key}.{name}".lstrip("."), "given twice")
            out[name] = (knode, vnode)
        return out

    def number(self, node: yaml.Node, key: str, *, integer: bool = True) -> float | int | None:
        """A non-negative count (or amount, when integer is False); None after an error."""
        wanted = "a whole number" if integer else "a number"
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, key, f"expected {wanted}")
            return None
        tags = (
            ("tag:yaml.org,2002:int",)
            if integer
            else ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
        )
        if node.tag not in tags:
            self.error(node, key, f"expected {wanted}, found {node.value!r}")
            return None
        value = yaml.safe_load(node.value)
        if value < 0:
            self.error(node, key, f"must not be negative, found {value}")
            return None
        return value

    def text(self, node: yaml.Node, key: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            self.error(node, key, "expected a text")
            return None
        return str(node.value).strip()

    def row(self, node: yaml.Node, key: str, columns: tuple[str, ...]) -> list[int] | None:
        if not isinstance(node, yaml.SequenceNode) or len(node.value) != len(columns):
            self.error(
                node, key, f"expected a list of {len(columns)} numbers: {', '.join(columns)}"
            )
            return None
        cells = [
            self.number(cell, f"{key}[{col}]")
            for cell, col in zip(node.value, columns, strict=True)
        ]
        return None if any(c is None for c in cells) else [int(c) for c in cells]


def _paragraphs(reader: _Reader, node: yaml.Node, key: str) -> list[Paragraph]:
    """A string (paragraphs split on blank lines) or a list of strings."""
    nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
    out: list[Paragraph] = []
    for item in nodes:
        text = reader.text(item, key)
        if text is None:
            continue
        line = item.start_mark.line + 1
        out += [Paragraph(key, " ".join(p.split()), line) for p in text.split("\n\n") if p.strip()]
    return out


def _tables(reader: _Reader, top: dict, sup: Supplement) -> None:
    if "table2" in top:
        items = {item.key: item for item in TABLE2_ITEMS}
        sup.table2 = {}
        for name, (_, vnode) in reader.mapping(top["table2"][1], "table2", tuple(items)).items():
            fields = dict(items[name].fields)
            cells = reader.mapping(vnode, f"table2.{name}", tuple(fields))
            sup.table2[name] = {}
            for fname, (_, cnode) in cells.items():
                value = reader.number(
                    cnode, f"table2.{name}.{fname}", integer=fname != "amount_wan"
                )
                sup.table2[name][fname] = value if value is not None else 0
            for fname in fields:
                if fname not in cells:
                    reader.error(vnode, f"table2.{name}.{fname}", "missing (write 0 for none)")
        for name in items:
            if name not in sup.table2:
                reader.error(top["table2"][1], f"table2.{name}", "missing row (write 0 for none)")
    if "table3" in top:
        rows = reader.mapping(top["table3"][1], "table3", TABLE3_KEYS)
        sup.table3 = {}
        for row in TABLE3_ROWS:
            if row.key not in rows:
                reader.error(
                    top["table3"][1],
                    f"table3.{row.key}",
                    f"missing row 「{row.full_label}」 (write 0 for none)",
                )
                continue
            cells = reader.row(rows[row.key][1], f"table3.{row.key}", TABLE3_COLUMNS)
            if cells is not None:
                sup.table3[row.key] = cells
    if "table4" in top:
        groups = reader.mapping(top["table4"][1], "table4", TABLE4_GROUPS)
        sup.table4 = {}
        for group in TABLE4_GROUPS:
            if group not in groups:
                reader.error(top["table4"][1], f"table4.{group}", "missing (write 0 for none)")
                continue
            cells = reader.row(groups[group][1], f"table4.{group}", TABLE4_RESULTS)
            if cells is not None:
                sup.table4[group] = cells


def load(path: Path, year: int, fmt: str) -> Supplement:
    """Read and validate a supplement for `year` in format `fmt`; every problem is listed."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ValidationError(f"{path}: not valid YAML: {exc}") from exc
    if root is None:
        raise ValidationError(f"{path}: the file is empty")
    reader = _Reader(path)
    top = reader.mapping(root, "", TOP_KEYS)
    sup = Supplement(path=path, year=year, office="")
    for key in ("year", "office", *REQUIRED_BY_FORMAT[fmt]):
        if key not in top:
            reader.error(root, key, f"missing (required for the {fmt} format)")
    if (
        "year" in top
        and (found := reader.number(top["year"][1], "year")) is not None
        and found != year
    ):
        reader.error(top["year"][1], "year", f"the file is for {found}, the report for {year}")
    if "office" in top:
        sup.office = reader.text(top["office"][1], "office") or ""
    if "contact" in top:
        sup.contact = reader.text(top["contact"][1], "contact")
    if "consultations" in top:
        parts = reader.mapping(top["consultations"][1], "consultations", ("total", "by_channel"))
        if "total" in parts:
            sup.consultations_total = reader.number(parts["total"][1], "consultations.total")
        if "by_channel" not in parts:
            reader.error(top["consultations"][1], "consultations.by_channel", "missing")
        else:
            channels = reader.mapping(parts["by_channel"][1], "consultations.by_channel", None)
            for name, (_, vnode) in channels.items():
                value = reader.number(vnode, f"consultations.by_channel.{name}")
                sup.consultations[name] = value if value is not None else 0
    if "site_visits_per_day" in top:
        sup.site_visits_per_day = reader.number(
            top["site_visits_per_day"][1], "site_visits_per_day", integer=False
        )
    if "spending" in top:
        parts = reader.mapping(top["spending"][1], "spending", ("budget_wan", "actual_wan"))
        for name in ("budget_wan", "actual_wan"):
            if name not in parts:
                reader.error(top["spending"][1], f"spending.{name}", "missing (write 0 for none)")
            else:
                setattr(sup, name, reader.number(parts[name][1], f"spending.{name}", integer=False))
    _tables(reader, top, sup)
    narrative = (
        reader.mapping(top["narrative"][1], "narrative", tuple(NARRATIVE_KEYS))
        if "narrative" in top
        else {}
    )
    for key in REQUIRED_NARRATIVE:
        if key not in narrative:
            reader.error(
                top.get("narrative", (None, root))[1],
                f"narrative.{key}",
                f"missing ({NARRATIVE_KEYS[key]})",
            )
    for key, (_, vnode) in narrative.items():
        sup.narrative[key] = _paragraphs(reader, vnode, f"narrative.{key}")
    if "privacy" in top:
        parts = reader.mapping(top["privacy"][1], "privacy", ("allow", "patterns"))
        for name, (_, vnode) in parts.items():
            values = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
            texts = tuple(t for v in values if (t := reader.text(v, f"privacy.{name}")))
            if name == "allow":
                sup.privacy_allow = texts
                continue
            for value, text in zip(values, texts, strict=False):
                try:
                    re.compile(text)
                except re.error as exc:
                    reader.error(value, "privacy.patterns", f"not a regular expression: {exc}")
            sup.privacy_patterns = texts
    if reader.errors:
        raise ValidationError(
            f"supplement {path} has {len(reader.errors)} problem(s):\n  "
            + "\n  ".join(reader.errors)
        )
    return sup


def template(year: int) -> str:
    """A supplement for `year` with every part present, zeros and placeholders to fill in."""
    return render(
        "report/supplement.yaml",
        year=year,
        placeholder=PLACEHOLDER,
        channels=CONSULTATION_CHANNELS,
        table2=TABLE2_ITEMS,
        table3=TABLE3_ROWS,
        table3_columns=TABLE3_COLUMNS,
        table4_groups=TABLE4_GROUPS,
        table4_results=TABLE4_RESULTS,
        narrative=NARRATIVE_KEYS,
    )


def write_template(path: Path, year: int) -> Path:
    """Write the template to `path`, refusing to overwrite an administrator's file."""
    if path.exists():
        raise ValidationError(f"{path} already exists; not overwriting it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template(year), encoding="utf-8")
    return path
