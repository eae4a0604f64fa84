"""A tracked year of requests and a supplement without Tables 三/四, for the report's tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import Engine

from pubreview import db
from pubreview.requests import cases
from tests.support.report import national_supplement
from tests.support.requests import HANDLER, answer, receive


def year_of_requests(engine: Engine) -> None:
    """Five requests of 2025 (one carried over from 2024, one still open) and two cases."""
    carried = receive(engine, date(2024, 12, 23), "商业企业")
    answer(engine, carried, "三（一）", date(2025, 1, 10))
    for on, kind, row in [
        (date(2025, 3, 3), "自然人", "三（一）"),
        (date(2025, 3, 4), "自然人", "三（二）"),
        (date(2025, 5, 6), "法律服务机构", "三（四）1"),
        (date(2025, 6, 9), "自然人", "三（五）2"),
    ]:
        answer(engine, receive(engine, on, kind), row, date(on.year, on.month, 20))
    receive(engine, date(2025, 12, 22), "自然人")
    with db.transaction(engine) as s:
        case = cases.file(s, actor=HANDLER, kind="行政复议", filed_on=date(2025, 7, 1))
        cases.decide(s, case.id, actor=HANDLER, result="维持", decided_on=date(2025, 9, 1))
        cases.file(s, actor=HANDLER, kind="复议后起诉", filed_on=date(2025, 10, 8))


def tracked_supplement(path: Path, **changes: object) -> Path:
    """A consistent 2025 supplement without Tables 三 and 四, with `changes` over it."""
    national_supplement(path, 2025)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    del doc["table3"], doc["table4"]
    doc["narrative"]["overview"] = "本年度依法办理政府信息公开申请。"
    doc.update(changes)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
