"""Tables 三 and 四 from the request ledger, and the supplement's cells laid over them.

For a year whose disclosure requests are tracked (`YearTables.has_requests`), the report
prints the ledger's Tables 三 and 四 (`pubreview.requests.tables.year_tables`). A cell the
supplement also gives is compared with the ledger's: an equal one is fine; a different one
is taken only when the supplement states why (`table3_reason` / `table4_reason`), as a
warning that names both figures; without a reason the ledger's figure stands and the
difference is an error, so a typed figure can never silently replace a counted one.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from pubreview.report.checks import Problem
from pubreview.report.formats import Edition
from pubreview.report.supplement import LEDGER_TABLES, TABLE_NAMES, Supplement
from pubreview.report.tables import TABLE3_COLUMNS, TABLE4_RESULTS
from pubreview.requests.tables import YearTables, year_tables


def for_year(session: Session, year: int, edition: Edition) -> YearTables | None:
    """The year's Tables 三 and 四 from the ledger; None when it has no tracked requests."""
    if not edition.has_tables:
        return None
    tables = year_tables(session, year, rows=edition.table3_rows)
    return tables if tables.has_requests else None


def supplied(tables: YearTables | None) -> frozenset[str]:
    """The supplement parts the ledger supplies (what `supplement.load` need not ask for)."""
    return frozenset(LEDGER_TABLES) if tables is not None else frozenset()


def merge(sup: Supplement, tables: YearTables | None) -> list[Problem]:
    """Lay the supplement's cells over the ledger's tables in `sup`; what differs, reported."""
    if tables is None:
        return []
    labels = {row.key: row.full_label for row in sup.edition.table3_rows}
    problems = _merge(sup, "table3", tables.table3, TABLE3_COLUMNS, labels)
    problems += _merge(sup, "table4", tables.table4, TABLE4_RESULTS, {})
    return problems


def _merge(
    sup: Supplement,
    part: str,
    ledger: dict[str, list[int]],
    columns: tuple[str, ...],
    labels: dict[str, str],
) -> list[Problem]:
    typed: dict[str, list[int | None]] = getattr(sup, part) or {}
    reason = sup.reasons.get(part)
    merged: dict[str, list[int | None]] = {key: list(row) for key, row in ledger.items()}
    problems = []
    name = TABLE_NAMES[part]
    for key, row in typed.items():
        for i, value in enumerate(row):
            counted = ledger[key][i]
            if value is None or value == counted:
                continue
            where = f"{name} 行「{labels.get(key, key)}」 列「{columns[i]}」"
            if reason:
                merged[key][i] = value
                problems.append(
                    Problem(
                        where,
                        f"采用补充材料填报的 {value}（依申请公开台帐为 {counted}），理由：{reason}",
                        "warning",
                    )
                )
            else:
                problems.append(
                    Problem(
                        where,
                        f"补充材料填报 {value}，而依申请公开台帐为 {counted}：报告采用台帐数字；"
                        f"如确需采用补充材料的数字，请在补充材料 {part}_reason 中写明理由",
                    )
                )
    setattr(sup, part, merged)
    return problems
