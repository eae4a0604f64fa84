"""Finding Tables 二, 三 and 四 in a published report's grids, and which edition it is.

A row is recognised by its labels (the words of `tables`), not by its position, so a table
split over pages, with an extra header row or with its group labels merged, still reads. A
cell printed blank is None; blank and zero stay different.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pubreview.report import formats
from pubreview.report.formats import Edition
from pubreview.report.reading import COVERED, Grid, clean, is_blank, is_figure
from pubreview.report.tables import (
    GROUP_WORDS,
    TABLE2_ITEMS_2019,
    TABLE2_ITEMS_2021,
    TABLE3_ROWS_2021,
)

HEADINGS_2019 = (
    "本年新制作数量",
    "本年新公开数量",
    "对外公开总数量",
    "上一年项目数量",
    "采购总金额",
)
HEADINGS_2021 = ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额")
T2_NAMES = {name for item in (*TABLE2_ITEMS_2021, *TABLE2_ITEMS_2019) for name in item.names}


@dataclass
class Extracted:
    """The tables found in a report, as cells (None = printed blank), with where each was."""

    table2: dict[str, list[float | None]] = field(default_factory=dict)
    table3: dict[str, list[int | None]] = field(default_factory=dict)
    table4: dict[str, list[int | None]] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    total: int | None = None
    where: dict[str, str] = field(default_factory=dict)  # "table3" → "第2个表格"
    headings: set[str] = field(default_factory=set)
    other_rows: int = 0  # Table 三's （六） printed as one row with figures
    other_subrows: int = 0  # Table 三's （六）1–3 printed
    skipped: list[str] = field(default_factory=list)  # rows that looked like data but did not fit
    # Table 三 rows printed with six figures (plain text cannot show where a blank cell was).
    six: dict[str, list[int]] = field(default_factory=dict)
    six_where: str = ""


def _value(text: str) -> float | None:
    text = clean(text).replace(",", "")
    return None if is_blank(text) else float(text)


def _split(row: list[str]) -> tuple[str, list[str]]:
    """A row's label (its distinct leading text cells) and its trailing figure cells."""
    row = [c for c in row if not c.startswith(COVERED)]
    values: list[str] = []
    for cell in reversed(row):
        if is_figure(cell) or is_blank(cell):
            values.append(cell)
        else:
            break
    values.reverse()
    labels: list[str] = []
    for cell in row[: len(row) - len(values)]:
        if cell and (not labels or labels[-1] != cell):
            labels.append(cell)
    return "".join(labels), values


def _norm(label: str) -> str:
    return re.sub(r"[\s“”\"'‘’「」]", "", label)


def _t3_key(label: str, group: str | None) -> tuple[str | None, str | None]:
    """(row key or None, the group the label opens) for a Table 三 label."""
    t = _norm(label)
    if "本年新收" in t:
        return "一", None
    if "上年结转" in t:
        return "二", None
    if "结转下年" in t or "继续办理" in t:
        return "四", None
    if "总计" in t and "申请人" not in t:
        return "三（七）", None
    for row in TABLE3_ROWS_2021:
        if row.key[-1].isdigit() and any(w in t for w in row.words):
            return row.key, row.key[:4]
    opened = next((g for g, words in GROUP_WORDS.items() if any(w in t for w in words)), None)
    if "三（六）" in (group, opened) and re.search(r"(?:\d\.?|^)其他$", t):
        return "三（六）3", "三（六）"
    if opened:
        return opened, opened
    if "部分公开" in t:
        return "三（二）", None
    if "予以公开" in t:
        return "三（一）", None
    return None, group


def extract(grids: list[Grid]) -> Extracted:
    """Every table row the grids hold that Tables 二, 三, 四 (or the ledger tables) name."""
    out = Extracted()
    for grid in grids:
        text = "".join("".join(r) for r in grid.rows).replace(COVERED, "")
        out.headings |= {h for h in (*HEADINGS_2019, *HEADINGS_2021) if h in _norm(text)}
        group: str | None = None
        kind = None
        for row in grid.rows:
            label, values = _split(row)
            heading = _norm("".join(row))
            if "内容分类" in heading and not values:
                kind = "category"
            elif "发布渠道" in heading and not values:
                kind = "channel"
            if len(values) == 15 and ("维持" in text or not label):
                figures = [None if v is None else int(v) for v in map(_value, values)]
                for i, g in enumerate(("行政复议", "未经复议直接起诉", "复议后起诉")):
                    out.table4[g] = figures[i * 5 : i * 5 + 5]
                out.where["table4"] = grid.where
                continue
            if not label or not values:
                continue
            name = _norm(label)
            group4 = next(
                (g for g in ("复议后起诉", "未经复议直接起诉", "行政复议") if g in name), None
            )
            if group4 and len(values) == 5:  # Table 四 laid out one group a row (Markdown, text)
                out.table4[group4] = [None if v is None else int(v) for v in map(_value, values)]
                out.where.setdefault("table4", grid.where)
                continue
            if name in T2_NAMES and len(values) <= 3:
                out.table2[name] = [_value(v) for v in values]
                out.where.setdefault("table2", grid.where)
                continue
            if kind and len(values) == 1 and _value(values[0]) is not None:
                count = int(_value(values[0]) or 0)
                if name in ("合计", "总计"):
                    out.total = count
                elif not name.startswith("其中"):
                    (out.by_category if kind == "category" else out.by_channel)[name] = count
                continue
            key, group = _t3_key(label, group)
            if key is None:
                continue
            if len(values) == 6 and all(v is not None for v in map(_value, values)):
                out.six[key] = [int(_value(v) or 0) for v in values]
                out.six_where = out.six_where or grid.where
                continue
            if len(values) != 7:
                out.skipped.append(f"{grid.where}「{label}」有 {len(values)} 个数字，应为 7 个")
                continue
            out.table3[key] = [None if v is None else int(v) for v in map(_value, values)]
            out.where.setdefault("table3", grid.where)
            if key == "三（六）":
                out.other_rows += 1
            elif key.startswith("三（六）"):
                out.other_subrows += 1
    return out


def _broken(table: dict[str, list[int | None]], c: int, outcome_keys: tuple[str, ...]) -> int:
    """How many of Table 三's two column identities fail in column c."""

    def cell(key: str) -> int:
        return (table.get(key) or [0] * 7)[c] or 0

    received = cell("一") + cell("二") != cell("三（七）") + cell("四")
    return received + (sum(cell(k) for k in outcome_keys) != cell("三（七）"))


def place_blank_column(
    found: Extracted, keys: tuple[str, ...], outcome_keys: tuple[str, ...]
) -> int | None:
    """Where the one blank column of six-figure Table 三 rows most likely was.

    Each position is tried and the one that leaves fewest of the table's identities broken
    wins; on a tie the 总计 column (the one reports most often leave blank). Sets table3.
    """
    if not found.six or len(found.six) < len(keys) // 2 or found.table3:
        return None
    best: tuple[int, int] | None = None
    for col in range(6, -1, -1):
        table = {k: v[:col] + [None] + v[col:] for k, v in found.six.items()}
        broken = sum(_broken(table, c, outcome_keys) for c in range(7) if c != col)
        if best is None or broken < best[1]:
            best = (col, broken)
    assert best is not None
    col = best[0]
    found.table3 = {k: v[:col] + [None] + v[col:] for k, v in found.six.items()}
    found.where.setdefault("table3", found.six_where)
    return col


def detect_edition(found: Extracted, year: int | None) -> tuple[Edition, str]:
    """The edition a report is in, and why: its tables' shape first, then its year."""
    if not (found.table3 or found.table2 or found.table4):
        if year is not None and year >= 2019:
            edition = formats.for_year(year)
            return edition, f"报告中未找到表格，按年度（{year}）应为{edition.name}"
        return formats.NARRATIVE, "报告中没有表二、表三、表四：按文字版年度报告核对"
    if found.headings & set(HEADINGS_2019) or (found.other_rows and not found.other_subrows):
        return formats.NATIONAL_2019, "表二栏目或表三「（六）其他处理」为一行：〔2019〕60号格式"
    if found.headings & set(HEADINGS_2021) or found.other_subrows:
        return formats.NATIONAL, "表二栏目或表三「（六）其他处理」分三项：〔2021〕30号格式"
    edition = formats.for_year(year) if year else formats.NATIONAL
    return edition, f"表格形式不能区分两种格式，按年度取{edition.name}"
