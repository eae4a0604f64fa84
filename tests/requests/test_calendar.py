"""The working-day calendar against the State Council's real 2024–2026 arrangements."""

from __future__ import annotations

from datetime import date

import pytest

from pubreview.errors import ValidationError
from pubreview.requests import calendar
from pubreview.requests.calendar import CalendarGap, WorkCalendar

CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("on", "working"),
    [
        (date(2025, 9, 28), True),  # Sunday, 国庆 调休上班
        (date(2025, 10, 1), False),
        (date(2025, 10, 8), False),  # 国庆 and 中秋 together: 10-01…10-08
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, 调休上班
        (date(2025, 10, 12), False),  # an ordinary Sunday
        (date(2024, 2, 4), True),  # Sunday before 春节 2024
        (date(2024, 2, 9), True),  # 除夕 2024 was a working day
        (date(2024, 2, 12), False),
        (date(2024, 2, 18), True),  # Sunday after 春节 2024
        (date(2024, 5, 1), False),
        (date(2026, 2, 14), True),  # Saturday, 春节 调休上班
        (date(2026, 2, 16), False),
        (date(2026, 2, 28), True),
        (date(2026, 10, 10), True),
        (date(2026, 10, 7), False),
        (date(2026, 12, 1), True),
    ],
)
def test_working_days_follow_the_published_arrangement(on: date, working: bool) -> None:
    assert CAL.is_working(on) is working


def test_a_make_up_day_counts_and_a_holiday_does_not() -> None:
    # Received Friday 2025-09-26: the Sunday 09-28 is day 1, 09-29 day 2, 09-30 day 3,
    # 10-01…10-08 are off, 10-09 day 4, 10-10 day 5, Saturday 10-11 day 6.
    assert CAL.add(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert CAL.add(date(2025, 9, 26), 4) == date(2025, 10, 9)
    assert CAL.add(date(2025, 9, 26), 6) == date(2025, 10, 11)
    assert CAL.add(date(2025, 9, 26), 20) == date(2025, 10, 30)
    assert CAL.add(date(2025, 9, 26), 0) == date(2025, 9, 26)


def test_counting_is_the_inverse_of_adding() -> None:
    start = date(2026, 1, 28)
    for n in (1, 7, 15, 20, 40):
        assert CAL.count(start, CAL.add(start, n)) == n
    assert CAL.count(date(2025, 9, 30), date(2025, 10, 8)) == 0
    assert CAL.count(date(2025, 10, 9), date(2025, 10, 1)) == 0


def test_spring_festival_2026_deadline_explains_itself() -> None:
    steps = CAL.explain(date(2026, 2, 10), 20)
    assert steps == [
        "第1个工作日 02-11",
        "02-14（周六调休上班）计入",
        "春节 02-15…02-23 不计",
        "02-28（周六调休上班）计入",
        "截止 2026-03-16（第20个工作日）",
    ]
    assert CAL.add(date(2026, 2, 10), 20) == date(2026, 3, 16)


def test_national_day_2026_deadline_explains_itself() -> None:
    steps = CAL.explain(date(2026, 9, 25), 20)
    assert steps[1:] == [
        "第1个工作日 09-28",
        "国庆节 10-01…10-07 不计",
        "10-10（周六调休上班）计入",
        "截止 2026-10-29（第20个工作日）",
    ]


def test_a_year_nobody_described_is_an_error_not_a_guess() -> None:
    with pytest.raises(CalendarGap, match="2027年的节假日和调休安排尚未录入"):
        CAL.add(date(2026, 12, 10), 20)


def test_the_office_file_describes_a_new_year_and_corrects_a_day() -> None:
    cal = calendar.parse(
        """
holidays:
  - {from: 2027-01-01, to: 2027-01-03, name: 元旦}
  - {date: 2026-12-31, name: 本机关安排}
workdays:
  - {date: 2027-01-09, name: 元旦}
described_years: [2027]
"""
    )
    assert not cal.is_working(date(2026, 12, 31))
    assert not cal.is_working(date(2027, 1, 1))
    assert cal.is_working(date(2027, 1, 4))
    assert not cal.is_working(date(2027, 1, 2))
    assert cal.is_working(date(2027, 1, 9))  # Saturday made a working day
    assert not cal.is_working(date(2027, 1, 10))
    # 12-30 → (12-31 off, 01-01…01-03 off) 01-04 is day 1.
    assert cal.add(date(2026, 12, 30), 1) == date(2027, 1, 4)
    assert cal.explain(date(2026, 12, 30), 6) == [
        "本机关安排、元旦 12-31…01-03 不计",
        "第1个工作日 01-04",
        "01-09（周六调休上班）计入",
        "截止 2027-01-09（第6个工作日）",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("holidays: [{date: 2027-13-01}]", "YYYY-MM-DD"),
        ("holidays: [{from: 2027-01-03, to: 2027-01-01}]", "to 不早于 from"),
        ("workdays: [2027-01-09]", "每一项应写成"),
        ("described_years: [二〇二七]", "年份列表"),
        ("weekends: []", "不认识的项 weekends"),
        (
            "holidays: [{date: 2027-01-09}]\nworkdays: [{date: 2027-01-09}]",
            "既是放假日又是上班日",
        ),
    ],
)
def test_a_bad_office_file_says_what_to_fix(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        calendar.parse(text)


def test_the_shipped_file_loads(tmp_path) -> None:
    from pubreview.settings import PROJECT_ROOT

    cal = calendar.load(PROJECT_ROOT / "config" / "workdays.yaml")
    assert cal.is_working(date(2025, 9, 28))
    missing = calendar.load(tmp_path / "none.yaml")
    assert missing.is_working(date(2025, 9, 28))
