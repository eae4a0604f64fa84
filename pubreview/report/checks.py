"""The report's checks (校验): every rule of report-format.md, reported, never corrected.

Each Problem names where it is (table, row, column, or supplement key and line) and what
does not add up. Warnings (the carry-over from last year) count as problems for --strict.

Private names are found by patterns, not by understanding the text: a trigger word for a
private role (申请人, 网民, …) followed by a common surname and one or two more characters,
or a handle in quotes after 网民. Names outside those patterns pass unseen; officials named in
their public role are not flagged (no trigger word) and `privacy.allow` silences a false hit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pubreview.report.rollup import YearFigures
from pubreview.report.supplement import PLACEHOLDER, Supplement
from pubreview.report.tables import (
    TABLE3_COLUMNS,
    TABLE3_LABELS,
    TABLE3_OUTCOME_KEYS,
    TABLE4_GROUPS,
    TABLE4_RESULTS,
)


@dataclass(frozen=True)
class Problem:
    """One thing that does not add up, or does not belong in a published report."""

    where: str
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        return f"[{self.severity}] {self.where}: {self.message}"


# The most common surnames; a private name is looked for only where one starts.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤"
)
PRIVATE_ROLES = "申请人|工作人员|网民|群众|市民|村民|居民|当事人|投诉人|举报人|来信人|来电人"
NAME_PATTERNS: tuple[str, ...] = (
    rf"(?:{PRIVATE_ROLES})[：:\s]*(?P<name>[{SURNAMES}][\u4e00-\u9fff]{{1,2}}?)"
    r"(?=[的，。、；,;\s（(]|先生|女士|同志|提出|反映|来信|来电|投诉|$)",
    r"网民[“\"「『](?P<name>[^”\"」』]{1,20})[”\"」』]",
)


def _table3(table: dict[str, list[int]]) -> Iterator[Problem]:
    columns = range(len(TABLE3_COLUMNS))
    for c in columns:
        col = TABLE3_COLUMNS[c]
        received = table["一"][c] + table["二"][c]
        settled = table["三（七）"][c] + table["四"][c]
        if received != settled:
            yield Problem(
                f"表三 列「{col}」",
                f"一＋二 = {table['一'][c]}＋{table['二'][c]} = {received}，"
                f"（七）总计＋四 = {table['三（七）'][c]}＋{table['四'][c]} = {settled}，不相等",
            )
        outcomes = sum([table[key][c] for key in TABLE3_OUTCOME_KEYS])
        if outcomes != table["三（七）"][c]:
            yield Problem(
                f"表三 行「（七）总计」 列「{col}」",
                f"填报 {table['三（七）'][c]}，而（一）至（六）各项之和为 {outcomes}",
            )
    for key, cells in table.items():
        if sum(cells[:-1]) != cells[-1]:
            yield Problem(
                f"表三 行「{TABLE3_LABELS[key]}」 列「总计」",
                f"填报 {cells[-1]}，而六类申请人之和为 {sum(cells[:-1])}",
            )


def _table4(table: dict[str, list[int]]) -> Iterator[Problem]:
    for group in TABLE4_GROUPS:
        cells = table[group]
        if sum(cells[:4]) != cells[4]:
            parts = "＋".join(str(v) for v in cells[:4])
            yield Problem(
                f"表四 「{group}」 列「总计」",
                f"填报 {cells[4]}，而{'、'.join(TABLE4_RESULTS[:4])}之和为 "
                f"{parts} = {sum(cells[:4])}",
            )


def _quotes(figures: YearFigures, sup: Supplement) -> list[tuple[str, int | float, str]]:
    """(pattern with one number group, the figure it must equal, what the figure is)."""
    gap = r"[^，。；,;\d]{0,12}?"
    quotes: list[tuple[str, int | float, str]] = [
        (rf"公开政府信息{gap}(\d+)\s*条", figures.total, "本年公开信息总数（台帐）"),
        (rf"中央级{gap}(\d+)\s*篇", figures.adopted_central, "中央级媒体采用（台帐）"),
        (rf"省级{gap}(\d+)\s*篇", figures.adopted_provincial, "省级媒体采用（台帐）"),
        (
            r"电子化率[^，。；\d]{0,4}(\d+(?:\.\d+)?)\s*%",
            math.floor(figures.full_text_rate * 10) / 10,  # as stated: rounded down
            "全文电子化率（台帐）",
        ),
        (
            r"没有发生(一起)[^，。；]{0,10}泄密",
            figures.leak_incidents,
            "泄密事件（台帐，撤回且涉密）",
        ),
    ]
    quotes += [
        (rf"{re.escape(name)}(?:类)?信息(\d+)\s*条", count, f"分类「{name}」（台帐）")
        for name, count in figures.by_category.items()
    ]
    quotes += [
        (rf"{re.escape(name)}(\d+)\s*条", count, f"渠道「{name}」（台帐）")
        for name, count in figures.by_channel.items()
    ]
    if sup.consultations:
        total = (
            sup.consultations_total
            if sup.consultations_total is not None
            else sum(sup.consultations.values())
        )
        # 共/累计 in front: "网上咨询133次" quotes a channel, not the total.
        quotes.append((rf"[共计]{gap}咨询{gap}(\d+)\s*次", total, "咨询总数（补充材料）"))
        quotes += [
            (rf"{re.escape(name)}{gap}(\d+)\s*次", count, f"咨询渠道「{name}」（补充材料）")
            for name, count in sup.consultations.items()
        ]
    if sup.table3 is not None:
        quotes.append((rf"新收{gap}(\d+)\s*件", sup.table3["一"][-1], "表三 一、本年新收 总计"))
    if sup.table4 is not None:
        quotes.append(
            (rf"行政复议{gap}(\d+)\s*件", sup.table4["行政复议"][-1], "表四 行政复议 总计")
        )
    return quotes


def _narrative(figures: YearFigures, sup: Supplement) -> Iterator[Problem]:
    quotes = [(re.compile(p), value, what) for p, value, what in _quotes(figures, sup)]
    for para in sup.all_paragraphs():
        where = f"补充材料 {para.key}（第{para.line}行）"
        if PLACEHOLDER in para.text:
            yield Problem(where, f"仍是模板占位文字：{para.text[:40]}")
        for pattern, value, what in quotes:
            for match in pattern.finditer(para.text):
                quoted = 0 if match.group(1) == "一起" else float(match.group(1))
                if quoted != value:
                    yield Problem(where, f"正文引用「{match.group(0)}」，而{what}为 {value}")


def _privacy(sup: Supplement) -> Iterator[Problem]:
    patterns = [re.compile(p) for p in (*NAME_PATTERNS, *sup.privacy_patterns)]
    for para in sup.all_paragraphs():
        for pattern in patterns:
            for match in pattern.finditer(para.text):
                name = match.groupdict().get("name") or match.group(0)
                if name in sup.privacy_allow:
                    continue
                yield Problem(
                    f"补充材料 {para.key}（第{para.line}行）",
                    f"疑似私人姓名「{name}」（…{match.group(0)}…）：公开报告不得出现私人姓名；"
                    "如属公职人员依职务署名，列入 privacy.allow",
                )


def check(
    figures: YearFigures, sup: Supplement, previous: Supplement | None = None
) -> list[Problem]:
    """Every check that the figures and the supplement allow; an empty list means all pass."""
    problems: list[Problem] = []
    if sum(figures.by_category.values()) != figures.total:
        problems.append(
            Problem(
                "二、主动公开 按内容分类",
                f"各类之和 {sum(figures.by_category.values())} ≠ 总数 {figures.total}",
            )
        )
    if sup.consultations and sup.consultations_total is not None:
        parts = sum(sup.consultations.values())
        if parts != sup.consultations_total:
            listed = "＋".join(f"{k}{v}" for k, v in sup.consultations.items())
            problems.append(
                Problem(
                    "四、咨询处理 总数（consultations.total）",
                    f"填报总数 {sup.consultations_total} ≠ 各渠道之和 {listed} = {parts}",
                )
            )
    for field in ("office", "contact"):
        if PLACEHOLDER in (getattr(sup, field) or ""):
            problems.append(Problem(f"补充材料 {field}", "仍是模板占位文字"))
    if sup.table3 is not None:
        problems += _table3(sup.table3)
        if previous is not None and previous.table3 is not None:
            for c, col in enumerate(TABLE3_COLUMNS):
                this, last = sup.table3["二"][c], previous.table3["四"][c]
                if this != last:
                    problems.append(
                        Problem(
                            f"表三 行「二、上年结转」 列「{col}」",
                            f"本年填报 {this}，而上年（{previous.path.name}）"
                            f"「四、结转下年度继续办理」为 {last}",
                            severity="warning",
                        )
                    )
    if sup.table4 is not None:
        problems += _table4(sup.table4)
    problems += _narrative(figures, sup)
    problems += _privacy(sup)
    return problems
