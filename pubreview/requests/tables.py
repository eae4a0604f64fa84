"""Tables 三 and 四 of the annual report, computed from the ledger for one year.

Counting rules (a year is the office's calendar year; dates are counted receipt and reply dates):
- 一、本年新收: requests whose counted receipt date falls in the year.
- 二、上年结转: requests received before the year and not closed before it began.
- 三、办理结果: requests closed in the year, each under exactly one outcome row; （七）总计 is
  their sum.
- 四、结转下年度继续办理: requests of 一 or 二 not closed by the year's end.
So 一 + 二 = （七）+ 四 in every column by construction, and this year's 二 is last year's 四.
- Table 四: cases filed in the year, under their kind; the result recorded by the year's end,
  else 尚未审结.
Columns are the applicant types, then 总计 (their sum). Only ledger entries are read: the
REQUEST_RECEIVED entry gives a request's column and receipt date, REQUEST_CLOSED its row and
date, CASE_FILED / CASE_DECIDED the cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from pubreview.report.tables import (
    TABLE3_COLUMNS,
    TABLE3_ROWS_2021,
    TABLE4_GROUPS,
    TABLE4_RESULTS,
    Table3Row,
)
from pubreview.requests import entries

PENDING = "尚未审结"
TOTAL = "总计"  # the last column of both tables: the sum of the others


@dataclass(frozen=True)
class YearTables:
    """Table 三 and Table 四 for one year, and which requests (cases) make each cell."""

    year: int
    table3: dict[str, list[int]]  # row key -> 7 counts (the six columns, then 总计)
    table4: dict[str, list[int]]  # group -> 5 counts (维持, 纠正, 其他, 尚未审结, 总计)
    cells: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (row, column) -> ids
    case_cells: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    @property
    def has_requests(self) -> bool:
        """Whether any request or case counts in this year (else the supplement's figures stand)."""
        return any(row[-1] for row in (*self.table3.values(), *self.table4.values()))

    def requests_in(self, row: str, column: str) -> list[int]:
        """The requests counted in one Table 三 cell (总计: every column's); KeyError if none."""
        if column == TOTAL:
            return sorted(i for c in TABLE3_COLUMNS[:-1] for i in self.cells[(row, c)])
        return sorted(self.cells[(row, column)])

    def cases_in(self, group: str, result: str) -> list[int]:
        """The cases counted in one Table 四 cell (总计: every result's); KeyError if none."""
        if result == TOTAL:
            return sorted(i for r in TABLE4_RESULTS[:-1] for i in self.case_cells[(group, r)])
        return sorted(self.case_cells[(group, result)])

    def balance_problems(self) -> list[str]:
        """Every column where 一 + 二 ≠ （七）+ 四 (none, unless the ledger is inconsistent)."""
        t = self.table3
        return [
            f"表三「{column}」列：一({t['一'][i]}) + 二({t['二'][i]}) ≠ "
            f"（七）({t['三（七）'][i]}) + 四({t['四'][i]})"
            for i, column in enumerate(TABLE3_COLUMNS)
            if t["一"][i] + t["二"][i] != t["三（七）"][i] + t["四"][i]
        ]


def _in(on: date, year: int) -> bool:
    return on.year == year


def year_tables(
    session: Session, year: int, *, rows: tuple[Table3Row, ...] = TABLE3_ROWS_2021
) -> YearTables:
    """Tables 三 and 四 for `year` from the ledger, in an edition's rows (`Edition.table3_rows`).

    〔2021〕30号 splits （六）其他处理 into three rows; 〔2019〕60号's one row is their sum.
    """
    other_as_one_row = any(r.key == "三（六）" for r in rows)
    columns = TABLE3_COLUMNS[:-1]
    received = {p.request_id: p for _, p in entries.of_kind(session, entries.Received)}
    closed = {p.request_id: p for _, p in entries.of_kind(session, entries.Closed)}
    cells: dict[tuple[str, str], list[int]] = {(r.key, c): [] for r in rows for c in columns}
    start = date(year, 1, 1)
    for request_id, r in received.items():
        column = r.applicant_type
        outcome = closed.get(request_id)
        if _in(r.received_on, year):
            cells[("一", column)].append(request_id)
        elif r.received_on < start and (outcome is None or outcome.closed_on >= start):
            cells[("二", column)].append(request_id)
        else:
            continue
        if outcome is not None and _in(outcome.closed_on, year):
            key = outcome.outcome
            if other_as_one_row and key.startswith("三（六）"):
                key = "三（六）"
            cells[(key, column)].append(request_id)
            cells[("三（七）", column)].append(request_id)
        else:
            cells[("四", column)].append(request_id)
    table3 = {}
    for row in rows:
        counts = [len(cells[(row.key, c)]) for c in columns]
        table3[row.key] = [*counts, sum(counts)]
    case_cells, table4 = _table4(session, year)
    return YearTables(year, table3, table4, cells, case_cells)


def _table4(session: Session, year: int):
    decided = {p.case_id: p for _, p in entries.of_kind(session, entries.CaseDecided)}
    results = TABLE4_RESULTS[:-1]
    cells: dict[tuple[str, str], list[int]] = {(g, r): [] for g in TABLE4_GROUPS for r in results}
    for _, case in entries.of_kind(session, entries.CaseFiled):
        if not _in(case.filed_on, year):
            continue
        outcome = decided.get(case.case_id)
        result = outcome.result if outcome and outcome.decided_on.year <= year else PENDING
        cells[(case.case_kind, result)].append(case.case_id)
    table4 = {}
    for group in TABLE4_GROUPS:
        counts = [len(cells[(group, r)]) for r in results]
        table4[group] = [*counts, sum(counts)]
    return cells, table4
