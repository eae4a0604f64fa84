"""The report's checks (校验): every rule of report-format.md, reported, never corrected.

Each Problem names where it is (table, row, column, or supplement key and line) and what
does not add up. Warnings (the carry-over from last year, blank cells of a published table)
count as problems for --strict. The table rules take the edition's rows, and treat a blank
part as 0 but never check a sum whose result is blank: a blank 总计 is one finding, not a
dozen arithmetic errors.

Private names are found by patterns, not by understanding the text: a trigger word for a
private role (申请人, 网民, …) followed by a common surname and one or two more characters,
or a handle in quotes after 网民. Names outside those patterns pass unseen; officials named in
their public role are not flagged (no trigger word) and `privacy.allow` silences a false hit.
The request ledger's applicant names, ID and mobile numbers are found by `privacy`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pubreview.report import claims as claims_mod
from pubreview.report import privacy
from pubreview.report.claim_checks import CONTRADICTED, ClaimReport, check_reading
from pubreview.report.facts import Cells, Facts
from pubreview.report.formats import Edition
from pubreview.report.rollup import YearFigures
from pubreview.report.sentences import channel_parts
from pubreview.report.supplement import PLACEHOLDER, Supplement
from pubreview.report.tables import TABLE3_COLUMNS, TABLE4_GROUPS, TABLE4_RESULTS


@dataclass(frozen=True)
class Problem:
    """One thing that does not add up, or does not belong in a published report."""

    where: str
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        return f"[{self.severity}] {self.where}: {self.message}"


@dataclass
class CheckResult:
    """The problems found, and what became of every figure the text states."""

    problems: list[Problem]
    claims: ClaimReport

    @property
    def draft(self) -> bool:
        """Whether template placeholders are left (the report is a draft)."""
        return any("占位" in p.message for p in self.problems)

    @property
    def all_pass(self) -> bool:
        """Nothing wrong and nothing left unchecked: the only case that may say 全部校验通过."""
        return not self.problems and self.claims.count("unchecked") == 0


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


def _sum(cells: list[int | None]) -> int:
    return sum(c or 0 for c in cells)


def _blank_note(cells: list[int | None]) -> str:
    return "（空白按 0 计）" if any(c is None for c in cells) else ""


def table3_problems(edition: Edition, table: dict[str, Cells]) -> Iterator[Problem]:
    """Table 三's identities, column by column and row by row."""
    labels = {row.key: row.full_label for row in edition.table3_rows}
    for c, col in enumerate(TABLE3_COLUMNS):
        new, carried = table["一"][c], table["二"][c]
        settled, onward = table["三（七）"][c], table["四"][c]
        if new is not None and settled is not None:
            received, done = (new or 0) + (carried or 0), settled + (onward or 0)
            if received != done:
                yield Problem(
                    f"表三 列「{col}」",
                    f"一＋二 = {new}＋{carried or 0} = {received}，"
                    f"（七）总计＋四 = {settled}＋{onward or 0} = {done}，不相等"
                    + _blank_note([carried, onward]),
                )
        parts = [table[key][c] for key in edition.table3_outcome_keys]
        if settled is not None and _sum(parts) != settled:
            yield Problem(
                f"表三 行「（七）总计」 列「{col}」",
                f"填报 {settled}，而（一）至（六）各项之和为 {_sum(parts)}" + _blank_note(parts),
            )
    for key, cells in table.items():
        if cells[-1] is not None and _sum(cells[:-1]) != cells[-1]:
            yield Problem(
                f"表三 行「{labels[key]}」 列「总计」",
                f"填报 {cells[-1]}，而六类申请人之和为 {_sum(cells[:-1])}"
                + _blank_note(cells[:-1]),
            )


def table4_problems(table: dict[str, Cells]) -> Iterator[Problem]:
    """Table 四: each 总计 is 维持 + 纠正 + 其他 + 尚未审结."""
    for group in TABLE4_GROUPS:
        cells = table[group]
        if cells[4] is not None and _sum(cells[:4]) != cells[4]:
            parts = "＋".join(str(v or 0) for v in cells[:4])
            yield Problem(
                f"表四 「{group}」 列「总计」",
                f"填报 {cells[4]}，而{'、'.join(TABLE4_RESULTS[:4])}之和为 "
                f"{parts} = {_sum(cells[:4])}" + _blank_note(cells[:4]),
            )


def blank_problems(
    name: str, table: dict[str, Cells], columns: tuple[str, ...]
) -> Iterator[Problem]:
    """A published table's blanks, once per wholly blank column and once for the rest."""
    rows = list(table.values())
    if not rows:
        return
    if all(v is None for r in rows for v in r):
        yield Problem(name, "整表留空（未填数字，也未填 0），核算时按 0 计", "warning")
        return
    whole = [i for i in range(len(columns)) if all(r[i] is None for r in rows)]
    for i in whole:
        yield Problem(f"{name} 列「{columns[i]}」", "整列留空（未填数字，也未填 0）", "warning")
    scattered = sum(1 for r in rows for i, v in enumerate(r) if v is None and i not in whole)
    if scattered:
        yield Problem(name, f"另有 {scattered} 个单元格留空，核算时按 0 计", "warning")


def claim_problems(report: ClaimReport) -> list[Problem]:
    """Each contradicted claim as an error naming the paragraph and quoting the words."""
    return [
        Problem(r.claim.where, f"正文引用「{r.claim.quote()}」，{r.detail}")
        for r in report.results
        if r.status == CONTRADICTED
    ]


def _privacy(sup: Supplement, names: tuple[str, ...] = ()) -> Iterator[Problem]:
    texts = [(p.where, p.text) for p in sup.all_paragraphs()]
    texts += [(f"补充材料 {k}", v) for k in ("office", "contact") if (v := getattr(sup, k))]
    for found in privacy.find(texts, names, sup.privacy_allow):
        yield Problem(found.where, found.message, found.severity)
    yield from name_patterns(
        [(p.where, p.text) for p in sup.all_paragraphs()],
        sup.privacy_patterns,
        sup.privacy_allow,
        skip=names,
    )


def name_patterns(
    paragraphs: list[tuple[str, str]],
    extra: tuple[str, ...] = (),
    allow: tuple[str, ...] = (),
    *,
    skip: tuple[str, ...] = (),
) -> Iterator[Problem]:
    """Names after a private role word (申请人…, 网民“…”), and the office's own patterns.

    `skip`: names already reported as the ledger's applicants.
    """
    patterns = [re.compile(p) for p in (*NAME_PATTERNS, *extra)]
    for where, text in paragraphs:
        for pattern in patterns:
            for match in pattern.finditer(text):
                name = match.groupdict().get("name") or match.group(0)
                if name in allow or name in skip:
                    continue
                yield Problem(
                    where,
                    f"疑似私人姓名「{name}」（…{match.group(0)}…）：公开报告不得出现私人姓名；"
                    "如属公职人员依职务署名，列入 privacy.allow",
                )


def _missing(sup: Supplement) -> Iterator[Problem]:
    """Figures left ~: one problem per table (or per figure outside tables)."""
    by_part: dict[str, list[str]] = {}
    for key in sup.missing():
        part = key.split(".", 1)[0] if key.startswith("table") else key
        by_part.setdefault(part, []).append(key)
    for part, keys in by_part.items():
        shown = "、".join(keys[:4]) + (f" 等 {len(keys)} 项" if len(keys) > 4 else "")
        yield Problem(f"补充材料 {part}", f"未填写（~）：{shown}；报告中这些数字空缺，未按 0 处理")


def category_facts(figures: YearFigures) -> dict[str, int]:
    """What a category's figure is checked against: its channel's count where one channel has
    it (网站…其中组织机构类140条), else its items counted once."""
    owners: dict[str, list[int]] = {}
    for counts in figures.by_channel_category.values():
        for name, n in counts.items():
            owners.setdefault(name, []).append(n)
    return {
        **figures.by_category,
        **{name: counts[0] for name, counts in owners.items() if len(counts) == 1},
    }


def facts_for(figures: YearFigures, sup: Supplement) -> Facts:
    """What the generated report's text is checked against: the ledger and the supplement."""
    leaks = figures.leak_incidents if figures.leak_incidents > 0 else sup.leak_incidents
    return Facts(
        edition=sup.edition,
        table2=sup.table2,
        table3=sup.table3,
        table4=sup.table4,
        total=figures.total,
        by_category=category_facts(figures),
        by_channel=figures.by_channel,
        by_channel_category={ch: channel_parts(figures, ch) for ch in figures.by_channel_category},
        full_text=(figures.with_full_text, figures.total) if figures.with_full_text else None,
        adopted_central=figures.adopted_central,
        adopted_provincial=figures.adopted_provincial,
        leak_incidents=leaks,
        consultations_total=sup.consultations_total,
        consultations=sup.consultations,
        site_visits=sup.site_visits_per_day,
        budget_wan=sup.budget_wan,
        actual_wan=sup.actual_wan,
        ledger=True,
    )


def read_supplement(figures: YearFigures, sup: Supplement) -> claims_mod.Reading:
    """The claims of the office's own paragraphs."""
    return claims_mod.read(
        ((p.where, p.text) for p in sup.all_paragraphs()),
        channels=figures.by_channel,
        categories=figures.by_category,
    )


def check(
    figures: YearFigures,
    sup: Supplement,
    previous: Supplement | None = None,
    *,
    applicant_names: tuple[str, ...] = (),
) -> CheckResult:
    """Every check that the figures and the supplement allow.

    `applicant_names`: the request ledger's applicants, none of whom the text may name.
    """
    problems: list[Problem] = []
    categorised = sum(figures.by_category.values())
    if categorised + figures.uncategorised != figures.total:
        problems.append(
            Problem(
                "二、主动公开 按内容分类",
                f"各类之和 {categorised}"
                + (f"（另有未分类 {figures.uncategorised}）" if figures.uncategorised else "")
                + f" ≠ 总数 {figures.total}",
            )
        )
    if (
        figures.leak_incidents
        and sup.leak_incidents is not None
        and sup.leak_incidents < figures.leak_incidents
    ):
        problems.append(
            Problem(
                "补充材料 leak_incidents",
                f"填报 {sup.leak_incidents} 起，"
                f"而台帐记有因保密原因撤回 {figures.leak_incidents} 起",
            )
        )
    channels = sup.consultations
    if channels and sup.consultations_total is not None and None not in channels.values():
        parts = _sum(list(channels.values()))
        if parts != sup.consultations_total:
            listed = "＋".join(f"{k}{v}" for k, v in channels.items())
            problems.append(
                Problem(
                    "四、咨询处理 总数（consultations.total）",
                    f"填报总数 {sup.consultations_total} ≠ 各渠道之和 {listed} = {parts}",
                )
            )
    problems += _missing(sup)
    for field in ("office", "contact"):
        if PLACEHOLDER in (getattr(sup, field) or ""):
            problems.append(Problem(f"补充材料 {field}", "仍是模板占位文字：报告是草稿"))
    for para in sup.all_paragraphs():
        if PLACEHOLDER in para.text:
            problems.append(Problem(para.where, f"仍是模板占位文字：{para.text[:40]}"))
    if sup.table3 is not None:
        problems += table3_problems(sup.edition, sup.table3)
        if previous is not None and previous.table3 is not None:
            for c, col in enumerate(TABLE3_COLUMNS):
                this, last = sup.table3["二"][c], previous.table3["四"][c]
                if this is not None and last is not None and this != last:
                    problems.append(
                        Problem(
                            f"表三 行「二、上年结转」 列「{col}」",
                            f"本年填报 {this}，而上年（{previous.path.name}）"
                            f"「四、结转下年度继续办理」为 {last}",
                            severity="warning",
                        )
                    )
    if sup.table4 is not None:
        problems += table4_problems(sup.table4)
    claims = check_reading(read_supplement(figures, sup), facts_for(figures, sup))
    problems += claim_problems(claims)
    problems += _privacy(sup, applicant_names)
    return CheckResult(problems, claims)
