"""`report audit`: the checks run on a published report (年报质量检查).

The file is read (reading), its tables found and its edition detected (extract), its table
rules run (checks) and every figure of its text checked against its own tables (claims,
claim_checks). Findings name where they are: table/row/column, or the paragraph and the
words quoted. Without a ledger, a figure the report states only in prose can be checked
only against the other figures of the same prose (a total against its parts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pubreview.report import claims as claims_mod
from pubreview.report import formats, privacy
from pubreview.report.checks import (
    Problem,
    blank_problems,
    claim_problems,
    table3_problems,
    table4_problems,
)
from pubreview.report.claim_checks import ClaimReport, check_reading
from pubreview.report.extract import (
    HEADINGS_2019,
    HEADINGS_2021,
    Extracted,
    detect_edition,
    extract,
    place_blank_column,
)
from pubreview.report.facts import Facts
from pubreview.report.formats import Edition
from pubreview.report.reading import SourceDocument, read_file
from pubreview.report.tables import TABLE3_COLUMNS, TABLE4_GROUPS, TABLE4_RESULTS

TITLE = re.compile(r"(\d{4})\s*年度?\s*(.{0,60}?)\s*政府信息公开(?:工作)?年度报告")
TITLE_OFFICE_FIRST = re.compile(
    r"([\u4e00-\u9fff（）()]{2,40}?)\s*(\d{4})\s*年度?\s*政府信息公开(?:工作)?年度报告"
)
OFFICE = re.compile(r"发布机构[：:]\s*([\u4e00-\u9fff（）()]{2,40})")
ANNEX = re.compile(r"^附录[一二三四五六七八九十]")  # pubreview's own annexes, not the report


@dataclass
class Audit:
    """What auditing one report file found."""

    path: Path
    year: int | None
    office: str
    edition: Edition
    why: str
    found: Extracted
    problems: list[Problem]
    claims: ClaimReport

    @property
    def contradicted(self) -> bool:
        """Whether anything is wrong (an error, not a warning)."""
        return any(p.severity == "error" for p in self.problems)

    def summary_row(self) -> dict:
        """One line of the multi-file summary table."""
        return {
            "file": str(self.path),
            "year": self.year,
            "office": self.office,
            "edition": self.edition.key,
            "errors": sum(1 for p in self.problems if p.severity == "error"),
            "warnings": sum(1 for p in self.problems if p.severity == "warning"),
            "claims": len(self.claims.results),
            "checked": self.claims.count("ok") + self.claims.count("contradicted"),
            "contradicted": self.claims.count("contradicted"),
            "unchecked": self.claims.count("unchecked"),
        }

    def as_dict(self) -> dict:
        """Everything found, as plain data (for --json)."""
        return {
            **self.summary_row(),
            "edition_name": self.edition.name,
            "edition_reason": self.why,
            "tables": {k: v for k, v in self.found.where.items()},
            "problems": [p.__dict__ for p in self.problems],
            "claims_detail": self.claims.as_dict(),
        }


def _narrative(doc: SourceDocument) -> list[tuple[str, str]]:
    """The report's prose without pubreview's own annexes (附录一/二) of a generated report."""
    out = []
    for where, text in doc.paragraphs:
        if ANNEX.match(text):
            break
        out.append((where, text))
    return out


def _title(doc: SourceDocument) -> tuple[int | None, str]:
    """The year and the office, from the title (either order) or a 发布机构 line."""
    head = doc.text[:3000]
    year, office = None, ""
    if m := TITLE.search(head):
        year, office = int(m.group(1)), m.group(2).strip(" |")
    if (m := TITLE_OFFICE_FIRST.search(head)) and (not office or m.start() < head.find(office)):
        year, office = int(m.group(2)), m.group(1)
    if not office and (m := OFFICE.search(head)):
        office = m.group(1)
    return year, office


def _complete(found: Extracted, edition: Edition) -> tuple[dict, list[Problem]]:
    """Table 三 with every row of the edition (a missing row is blank, and reported)."""
    where = f"表三（{found.where.get('table3', '')}）"
    missing = [row for row in edition.table3_rows if row.key not in found.table3]
    table = {row.key: found.table3.get(row.key, [None] * 7) for row in edition.table3_rows}
    problems = []
    if missing:
        listed = "、".join(f"「{row.full_label}」" for row in missing[:3])
        more = f"等 {len(missing)} 行" if len(missing) > 3 else ""
        problems.append(Problem(where, f"未找到 {listed}{more}", "warning"))
    return table, problems


def facts_of(found: Extracted, edition: Edition) -> Facts:
    """The figures a published report's text can be checked against: its own tables."""
    table2 = None
    if found.table2:
        table2 = {}
        for item in edition.table2:
            values = next((found.table2[n] for n in item.names if n in found.table2), [])
            fields = [name for name, _ in item.fields]
            values = values[-len(fields) :] if len(values) >= len(fields) else values
            table2[item.key] = dict(zip(fields, values, strict=False))
    table3 = (
        {row.key: found.table3.get(row.key, [None] * 7) for row in edition.table3_rows}
        if found.table3
        else None
    )
    return Facts(
        edition=edition,
        table2=table2,
        table3=table3,
        table4=found.table4 or None,
        total=found.total,
        by_category=found.by_category,
        by_channel=found.by_channel,
        ledger=bool(found.by_channel or found.by_category),
        blank_is_zero=True,
    )


def audit_document(
    doc: SourceDocument, fmt: str | None = None, *, applicant_names: tuple[str, ...] = ()
) -> Audit:
    """Every table rule and claim check on one read report, and its personal data.

    `applicant_names`: the request ledger's applicants (when the office audits its own
    reports); ID and mobile numbers are looked for in any report.
    """
    year, office = _title(doc)
    found = extract(doc.grids)
    # Table 二's column headings may stand in prose lines (PDF text) rather than in a grid.
    found.headings |= {h for h in (*HEADINGS_2019, *HEADINGS_2021) if h in doc.text}
    edition, why = detect_edition(found, year)
    problems: list[Problem] = []
    if fmt:
        edition, why = formats.edition(fmt), "按指定格式核对"
    elif year is not None:
        due = formats.for_year(year)
        if due is not edition:
            problems.append(
                Problem(
                    "格式", f"{year}年度的报告应采用{due.name}，而本报告是{edition.name}", "warning"
                )
            )
    if found.skipped:
        shown = "；".join(found.skipped[:3]) + (
            f" 等 {len(found.skipped)} 行" if len(found.skipped) > 3 else ""
        )
        problems.append(
            Problem(
                "表三",
                f"有 {len(found.skipped)} 行的数字个数不对，未能对应到列，未核算"
                f"（PDF 等纯文字中的空白格无法定位）：{shown}",
                "warning",
            )
        )
    blank = place_blank_column(found, edition.table3_keys, edition.table3_outcome_keys)
    if blank is not None:
        problems.append(
            Problem(
                f"表三（{found.where['table3']}）",
                f"每行只有 6 个数字（文字中看不出空白格的位置）：按「{TABLE3_COLUMNS[blank]}」列"
                "留空读取，这是使勾稽关系成立最多的读法",
                "warning",
            )
        )
    if found.table3:
        table, missing = _complete(found, edition)
        problems += missing
        problems += blank_problems(f"表三（{found.where['table3']}）", table, TABLE3_COLUMNS)
        problems += table3_problems(edition, table)
    elif edition.has_tables:
        problems.append(
            Problem("表三", "报告中未找到表三（收到和处理政府信息公开申请情况）", "warning")
        )
    if found.table4:
        for group in TABLE4_GROUPS:
            found.table4.setdefault(group, [None] * 5)
        problems += blank_problems(f"表四（{found.where['table4']}）", found.table4, TABLE4_RESULTS)
        problems += table4_problems(found.table4)
    elif edition.has_tables:
        problems.append(Problem("表四", "报告中未找到表四（行政复议、行政诉讼情况）", "warning"))
    facts = facts_of(found, edition)
    reading = claims_mod.read(
        _narrative(doc), channels=found.by_channel, categories=found.by_category
    )
    claims = check_reading(reading, facts)
    problems += claim_problems(claims)
    problems += [
        Problem(f.where, f.message, f.severity)
        for f in privacy.find(doc.paragraphs, applicant_names)
    ]
    return Audit(doc.path, year, office, edition, why, found, problems, claims)


def audit_file(
    path: Path, fmt: str | None = None, *, applicant_names: tuple[str, ...] = ()
) -> Audit:
    """Read one report file and audit it (a file that cannot be read is a ValidationError)."""
    return audit_document(read_file(path), fmt, applicant_names=applicant_names)


def report_files(paths: list[Path]) -> list[Path]:
    """The files named, with a folder standing for the report files in it."""
    suffixes = (".html", ".htm", ".shtml", ".docx", ".pdf", ".txt", ".md")
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes)
        else:
            out.append(path)
    return out


def describe(a: Audit) -> list[str]:
    """One audit as lines for a person: what it is, every finding, every unchecked figure."""
    lines = [
        f"{a.path}: {a.year or '年度不明'}年度 {a.office or '发布机构不明'}",
        f"  格式：{a.edition.name}（{a.why}）",
    ]
    lines += [f"  {p}" for p in a.problems]
    lines.append(f"  {a.claims.summary()}")
    lines += [f"  {r}" for r in a.claims.results if r.status == "unchecked"]
    if not a.problems and not a.claims.count("unchecked"):
        lines.append("  全部校验通过")
    return lines
