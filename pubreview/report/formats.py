"""The three editions of the annual report, as data: sections, tables and supplement parts.

- narrative: the pre-2019 report of the 2008 Regulation (the seed), headings and prose only;
- national-2019: 国办公开办函〔2019〕60号, for the reports on 2019 and 2020;
- national: 国办公开办函〔2021〕30号, for 2021 on.

The renderer, the supplement template, the checks and `report audit` read an Edition; none of
them branches on its name.
"""

from __future__ import annotations

from dataclasses import dataclass

from pubreview.errors import ValidationError
from pubreview.report.tables import (
    TABLE2_ITEMS_2019,
    TABLE2_ITEMS_2021,
    TABLE3_ROWS_2019,
    TABLE3_ROWS_2021,
    Table2Item,
    Table3Row,
)

NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Section:
    """One section of the report: its supplement paragraphs, its heading, what it shows."""

    key: str  # the supplement's narrative key
    title: str  # the heading without its number
    # What pubreview adds to the office's paragraphs: "ledger" (the 台帐 sentence), "table2",
    # "table3", "table4", "requests", "consultations", "reviews", "spending" (sentences built
    # only when every figure they state exists).
    shows: tuple[str, ...] = ()
    optional: bool = False  # omitted when it would be empty


@dataclass(frozen=True)
class Edition:
    """One edition of the report: which years, which sections and tables, which supplement."""

    key: str
    name: str
    first_year: int | None
    last_year: int | None
    sections: tuple[Section, ...]
    table2: tuple[Table2Item, ...] = ()
    table3_rows: tuple[Table3Row, ...] = ()
    table4: bool = False
    # Supplement parts the template asks for; those in `required` must be present.
    supplement_parts: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    extra_sections: bool = False  # whether an office may add sections of its own

    @property
    def has_tables(self) -> bool:
        """Whether the edition prints Tables 二, 三 and 四."""
        return bool(self.table3_rows)

    @property
    def table3_keys(self) -> tuple[str, ...]:
        """Table 三's row keys, in order."""
        return tuple(row.key for row in self.table3_rows)

    @property
    def table3_outcome_keys(self) -> tuple[str, ...]:
        """The rows （七）总计 adds up: every outcome row except the total itself."""
        return tuple(k for k in self.table3_keys if k.startswith("三") and k != "三（七）")

    def covers(self, year: int) -> bool:
        """Whether reports on `year` use this edition."""
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )


def numbered(index: int, title: str) -> str:
    """A heading with its Chinese ordinal (一、 … 十、)."""
    return f"{NUMERALS[index]}、{title}"


NARRATIVE = Edition(
    key="narrative",
    name="2019年以前的文字版年度报告（《政府信息公开条例》国务院令第492号）",
    first_year=None,
    last_year=2018,
    sections=(
        Section("overview", "概述"),
        Section("proactive", "主动公开政府信息情况", ("ledger",)),
        Section("requests", "依申请公开政府信息情况", ("requests",)),
        Section("consultations", "政府信息公开咨询处理情况", ("consultations",), optional=True),
        Section("reviews", "政府信息公开行政复议、行政诉讼情况", ("reviews",), optional=True),
        Section("spending", "政府信息公开支出情况", ("spending",), optional=True),
        Section("other", "其它相关工作情况", optional=True),
        Section("problems", "存在的主要问题和改进措施"),
    ),
    supplement_parts=("consultations", "site_visits_per_day", "spending"),
    extra_sections=True,
)

_NATIONAL_SECTIONS = (
    Section("overview", "总体情况", ("ledger",)),
    Section("proactive", "主动公开政府信息情况", ("table2", "ledger_tables")),
    Section("requests", "收到和处理政府信息公开申请情况", ("table3",)),
    Section("reviews", "政府信息公开行政复议、行政诉讼情况", ("table4",)),
    Section("problems", "存在的主要问题及改进情况"),
    Section("other", "其他需要报告的事项"),
)

NATIONAL_2019 = Edition(
    key="national-2019",
    name="国办公开办函〔2019〕60号格式",
    first_year=2019,
    last_year=2020,
    sections=_NATIONAL_SECTIONS,
    table2=TABLE2_ITEMS_2019,
    table3_rows=TABLE3_ROWS_2019,
    table4=True,
    supplement_parts=("table2", "table3", "table4"),
    required=("table2", "table3", "table4"),
)

NATIONAL = Edition(
    key="national",
    name="国办公开办函〔2021〕30号格式",
    first_year=2021,
    last_year=None,
    sections=_NATIONAL_SECTIONS,
    table2=TABLE2_ITEMS_2021,
    table3_rows=TABLE3_ROWS_2021,
    table4=True,
    supplement_parts=("table2", "table3", "table4"),
    required=("table2", "table3", "table4"),
)

EDITIONS: dict[str, Edition] = {e.key: e for e in (NARRATIVE, NATIONAL_2019, NATIONAL)}
ALIASES = {"2019": "national-2019", "60": "national-2019", "2021": "national", "30": "national"}


def edition(key: str) -> Edition:
    """An edition by its key (or an alias such as 2019 / 2021)."""
    key = ALIASES.get(key, key)
    if key not in EDITIONS:
        raise ValidationError(
            f"未知的年报格式「{key}」，可选：{'、'.join(EDITIONS)}（或按年度自动选择）"
        )
    return EDITIONS[key]


def for_year(year: int) -> Edition:
    """The edition reports on `year` were due in."""
    return next(e for e in EDITIONS.values() if e.covers(year))
