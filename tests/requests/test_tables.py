"""Tables 三 and 四 computed from the ledger for a year of requests built step by step."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from models.requests import ApplicantType
from pubreview import db
from pubreview.report import formats
from pubreview.report.checks import table3_problems, table4_problems
from pubreview.report.tables import TABLE3_COLUMNS, TABLE3_ROWS_2019, TABLE3_ROWS_2021
from pubreview.requests import cases, outcome, tables
from tests.support.requests import HANDLER, answer, receive

COLUMNS = TABLE3_COLUMNS[:-1]
ROWS = list(outcome.OUTCOME_ROWS)  # the 21 outcome rows of 〔2021〕30号


def _plan() -> list[dict]:
    """A year's requests: every applicant column and every outcome row, some carried over.

    Received from 2024-11 to 2025-12; answered 5–40 days later, or not at all.
    """
    plan = []
    start = date(2024, 11, 4)
    for i in range(300):
        received = start + timedelta(days=(i * 3) % 420)
        row = ROWS[i % len(ROWS)]
        # Every 9th request is still open at its year's end (carried over), else answered.
        closed = None if i % 9 == 4 else received + timedelta(days=5 + (i * 7) % 36)
        if closed is not None and closed > date(2025, 12, 31):
            closed = None
        plan.append(
            {"type": COLUMNS[(i // 2) % 6], "received": received, "row": row, "closed": closed}
        )
    return plan


def _build(engine, plan: list[dict]) -> list[int]:
    ids = []
    for p in plan:
        rid = receive(engine, p["received"], p["type"])
        if p["closed"] is not None:
            answer(engine, rid, p["row"], p["closed"])
        ids.append(rid)
    return ids


def _hand_count(path: Path, year: int) -> dict[str, list[int]]:
    """Count Table 三 from the CSV the way a clerk would, row by row."""
    counts: dict[str, Counter] = {key: Counter() for key in ("一", "二", "三（七）", "四", *ROWS)}
    with path.open(encoding="utf-8") as f:
        for line in csv.DictReader(f):
            received = date.fromisoformat(line["received"])
            closed = date.fromisoformat(line["closed"]) if line["closed"] else None
            column = line["type"]
            if received.year == year:
                counts["一"][column] += 1
            elif received.year < year and (closed is None or closed.year >= year):
                counts["二"][column] += 1
            else:
                continue
            if closed is not None and closed.year == year:
                counts[line["row"]][column] += 1
                counts["三（七）"][column] += 1
            else:
                counts["四"][column] += 1
    return {k: [c[col] for col in COLUMNS] + [sum(c.values())] for k, c in counts.items()}


def test_a_year_of_requests_gives_table_3_cell_by_cell(engine, tmp_path: Path) -> None:
    plan = _plan()
    assert {p["type"] for p in plan} == set(COLUMNS)
    assert {p["row"] for p in plan if p["closed"] and p["closed"].year == 2025} == set(ROWS)
    ids = _build(engine, plan)
    path = tmp_path / "requests.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, ["id", "type", "received", "row", "closed"])
        writer.writeheader()
        for rid, p in zip(ids, plan, strict=True):
            writer.writerow(
                {
                    "id": rid,
                    "type": p["type"],
                    "received": p["received"].isoformat(),
                    "row": p["row"] if p["closed"] else "",
                    "closed": p["closed"].isoformat() if p["closed"] else "",
                }
            )
    with db.transaction(engine) as s:
        t2025 = tables.year_tables(s, 2025)
        t2024 = tables.year_tables(s, 2024)
        t2019_shape = tables.year_tables(s, 2025, rows=TABLE3_ROWS_2019)
    expected = _hand_count(path, 2025)
    assert [r.key for r in TABLE3_ROWS_2021] == list(t2025.table3)
    assert len(t2025.table3) == 25
    for row in TABLE3_ROWS_2021:
        got = t2025.table3[row.key]
        if row.key.startswith("三（") and row.key != "三（七）" or row.key in expected:
            want = expected[row.key]
        else:
            raise AssertionError(f"unexpected row {row.key}")
        assert got == want, row.key
        assert got[-1] == sum(got[:-1])
    # 勾稽: 一 + 二 = （七）+ 四 in every column, and （七） is the sum of the outcome rows.
    assert t2025.balance_problems() == []
    for i in range(7):
        assert t2025.table3["三（七）"][i] == sum(t2025.table3[k][i] for k in ROWS)
    assert t2025.table3["二"] == t2024.table3["四"]
    assert t2024.table3["一"][-1] == sum(1 for p in plan if p["received"].year == 2024)
    assert t2025.table3["一"][-1] + t2024.table3["一"][-1] == len(plan)
    assert any(t2025.table3["二"]) and any(t2025.table3["四"])
    # The 〔2019〕60号 shape has （六） as one row: the sum of its three.
    assert len(t2019_shape.table3) == len(TABLE3_ROWS_2019) == 23
    assert t2019_shape.table3["三（六）"] == [
        sum(t2025.table3[f"三（六）{n}"][i] for n in (1, 2, 3)) for i in range(7)
    ]
    # The report's own checks (勾稽, sums) accept the computed tables in both editions …
    assert list(table3_problems(formats.NATIONAL, t2025.table3)) == []
    assert list(table3_problems(formats.NATIONAL_2019, t2019_shape.table3)) == []
    assert list(table4_problems(t2025.table4)) == []
    # … and would catch a cell typed by hand that breaks them.
    typed = {k: list(v) for k, v in t2025.table3.items()}
    typed["一"][0] += 1
    typed["一"][-1] += 1
    found = [p.where for p in table3_problems(formats.NATIONAL, typed)]
    assert found == ["表三 列「自然人」", "表三 列「总计」"]
    # Every cell can be drilled down to its requests.
    assert len(t2025.cells[("一", "自然人")]) == t2025.table3["一"][0]
    assert set(t2025.cells[("三（一）", "商业企业")]) <= set(ids)


def test_table_4_counts_cases_filed_in_the_year_by_their_result_at_year_end(engine) -> None:
    rid = receive(engine, date(2025, 1, 6), ApplicantType.PERSON.value)
    answer(engine, rid, "三（三）4", date(2025, 1, 20))
    filed = [
        ("行政复议", date(2025, 2, 10), ("维持", date(2025, 4, 1))),
        ("行政复议", date(2025, 3, 10), ("纠正", date(2025, 5, 1))),
        ("行政复议", date(2025, 11, 10), ("结果维持", date(2026, 1, 20))),  # 尚未审结 in 2025
        ("未经复议直接起诉", date(2025, 6, 2), ("其他结果", date(2025, 9, 1))),
        ("未经复议直接起诉", date(2025, 7, 2), None),
        ("复议后起诉", date(2025, 8, 4), ("维持", date(2025, 10, 9))),
        ("复议后起诉", date(2024, 12, 4), ("维持", date(2025, 3, 9))),  # filed in 2024
    ]
    with db.transaction(engine) as s:
        for kind, on, result in filed:
            # The 2024 case is over a request kept before pubreview (no request here).
            linked = rid if on.year == 2025 else None
            case = cases.file(s, actor=HANDLER, kind=kind, filed_on=on, request_id=linked)
            if result:
                cases.decide(s, case.id, actor=HANDLER, result=result[0], decided_on=result[1])
        t = tables.year_tables(s, 2025)
    assert t.table4 == {
        "行政复议": [1, 1, 0, 1, 3],
        "未经复议直接起诉": [0, 0, 1, 1, 2],
        "复议后起诉": [1, 0, 0, 0, 1],
    }
    assert t.has_requests
