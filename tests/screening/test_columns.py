"""栏目 health: stale and blank columns and their breach dates, computed by hand."""

from __future__ import annotations

import argparse
import datetime
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.cli import columns as columns_command
from pubreview.errors import ValidationError
from pubreview.publishing.catalog import Catalog, Channel
from pubreview.publishing.retraction import retract
from pubreview.screening.columns import Period, assess, column_health, load_rules
from tests.support.site import CENTER, seed_published

RULES = load_rules()  # the shipped defaults: home and 工作动态 14 days, 政务公开/部门职能 6 months
AS_OF = date(2026, 12, 1)
SITE_ONLY = Catalog(
    ("工作动态", "政务公开", "部门职能", "业务工作", "专题"), {"网站": Channel("网站", "site")}
)

# A synthetic year of publications on the site, and what each column's state is on AS_OF,
# worked out by hand: due = last + period, breach = due + 1 day, "due soon" within 7 days.
YEAR = {
    "工作动态": ["2025-12-08", "2026-03-02", "2026-07-20", "2026-11-20"],
    "政务公开": ["2025-12-10", "2026-05-29"],
    "部门职能": ["2026-02-27", "2026-08-31"],
    "业务工作": ["2026-03-01"],
}
RETRACTED = ("政务公开", "2026-10-01")  # published, then withdrawn: no longer an update
BY_HAND = {
    # column: (last, days since, due, breach on, status)
    "首页": ("2026-11-20", 11, "2026-12-04", "2026-12-05", "due_soon"),
    "工作动态": ("2026-11-20", 11, "2026-12-04", "2026-12-05", "due_soon"),
    "政务公开": ("2026-05-29", 186, "2026-11-29", "2026-11-30", "stale"),
    "部门职能": ("2026-08-31", 92, "2027-02-28", "2027-03-01", "ok"),  # 31 Aug + 6 months
    "业务工作": ("2026-03-01", 275, None, None, "no_period"),
    "专题": (None, None, None, None, "blank"),
}


def states(report) -> dict[str, tuple]:
    """Each column's (last, days since, due, breach on, status), dates as ISO strings."""
    return {
        c.category: (
            c.last and c.last.isoformat(),
            c.days_since,
            c.due and c.due.isoformat(),
            c.breach_on and c.breach_on.isoformat(),
            c.status,
        )
        for c in report.columns
    }


def test_a_synthetic_year_from_the_ledger_matches_the_hand_computation(engine: Engine) -> None:
    for category, days in YEAR.items():
        for day in days:
            when = datetime.datetime.fromisoformat(f"{day}T10:00:00+08:00")
            seed_published(engine, f"{category}{day}", "正文。", when, category=category)
    category, day = RETRACTED
    late = seed_published(
        engine,
        "撤回的",
        "正文。",
        datetime.datetime.fromisoformat(f"{day}T10:00:00+08:00"),
        category=category,
    )
    with db.transaction(engine) as session:
        retract(session, late, CENTER, "内容有误")
    with db.transaction(engine) as session:
        report = column_health(session, SITE_ONLY, rules=RULES, as_of=AS_OF)
    assert states(report) == BY_HAND
    assert [c.category for c in report.with_status("stale")] == ["政务公开"]
    assert not report.fails  # one stale and one blank column: within the limits


def test_publication_time_is_counted_in_the_office_time_zone(engine: Engine) -> None:
    # 23:30 UTC on 30 November is 07:30 on 1 December in Shanghai.
    when = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)
    seed_published(engine, "清晨发布", "正文。", when, category="工作动态")
    with db.transaction(engine) as session:
        report = column_health(session, SITE_ONLY, rules=RULES, as_of=AS_OF)
    assert states(report)["工作动态"][:2] == ("2026-12-01", 0)


CHANNELS = {"网站": "site", "微博": "manual"}


def test_the_inspection_limits_fail_a_site(tmp_path: Path) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text("home: {days: 14}\nrules:\n  - {name: 动态, days: 14}\n", encoding="utf-8")
    categories = [f"动态{n}" for n in range(7)]
    # Seven 14-day columns last updated on the site in October; none ever on 微博.
    last = {(c, "网站"): date(2026, 10, 1) for c in categories}
    report = assess(last, categories, CHANNELS, load_rules(path), AS_OF)
    assert report.fails
    assert report.failures == [
        "首页栏目超过14天未更新",
        "7个栏目超期未更新，超过5个",
        "空白栏目7个，超过5个",
    ]
    assert report.to_dict()["counts"] == {
        "stale": 7,
        "stale_limit": 5,
        "blank": 7,
        "blank_limit": 5,
        "due_soon": 0,
    }


def test_within_the_limits_a_site_passes() -> None:
    categories = [f"动态{n}" for n in range(5)]
    last = {(c, "网站"): date(2026, 10, 1) for c in categories} | {("动态0", "网站"): AS_OF}
    rules = load_rules()
    report = assess(last, categories, {"网站": "site"}, rules, AS_OF)
    assert not report.fails, report.failures
    assert report.columns[0].status == "ok"  # the home page was updated today


def test_not_columns_and_uncounted_rules(tmp_path: Path) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text(
        "home: {days: 7}\n"
        "rules:\n"
        "  - {name: 微博, channels: [微博], days: 3, counts: false}\n"
        "  - {name: 其他, months: 1}\n"
        "not_columns:\n"
        "  - {category: 专题, channel: 微博}\n"
        "limits: {warn_days: 2, stale_limit: 0, blank_limit: 0}\n",
        encoding="utf-8",
    )
    rules = load_rules(path)
    last = {
        ("工作动态", "网站"): date(2026, 11, 1),
        ("工作动态", "微博"): date(2026, 11, 26),
        ("专题", "网站"): date(2026, 11, 30),
    }
    report = assess(last, ["工作动态", "专题"], CHANNELS, rules, AS_OF)
    assert [(c.name, c.status, c.breach_on) for c in report.columns] == [
        ("首页", "ok", date(2026, 12, 8)),
        # 1 Nov + 1 month is 1 Dec, the last day in date: one day left, within the 2-day warning.
        ("工作动态（网站）", "due_soon", date(2026, 12, 2)),
        ("工作动态（微博）", "stale", date(2026, 11, 30)),
        ("专题（网站）", "ok", date(2026, 12, 31)),
    ]
    # The stale 微博 column does not count and none is blank: nothing fails even at limit 0.
    assert report.failures == []


def test_due_soon_is_the_warn_window_before_a_breach() -> None:
    last = {("工作动态", "网站"): date(2026, 11, 20)}  # breaches on 5 December
    by_day = {
        day: assess(last, ["工作动态"], {"网站": "site"}, RULES, date(2026, 12, day)).columns[1]
        for day in (1, 4, 5)
    }
    assert by_day[1].status == "due_soon" and by_day[4].status == "due_soon"
    assert by_day[5].status == "stale"
    assert (
        assess(last, ["工作动态"], {"网站": "site"}, RULES, date(2026, 11, 27)).columns[1].status
        == "ok"
    )  # 8 days before the breach: beyond the 7-day warning


@pytest.mark.parametrize(
    ("last", "period", "due"),
    [
        (date(2026, 8, 31), Period(months=6), date(2027, 2, 28)),
        (date(2027, 8, 31), Period(months=6), date(2028, 2, 29)),  # a leap year
        (date(2026, 11, 20), Period(days=14), date(2026, 12, 4)),
        (date(2026, 12, 31), Period(months=1, days=1), date(2027, 2, 1)),
    ],
)
def test_period_arithmetic(last: date, period: Period, due: date) -> None:
    assert period.after(last) == due


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("rules:\n  - {name: 甲, days: -1}\n", 2, "days"),
        ("rules:\n  - {name: 甲, days: 两周}\n", 2, "days"),
        ("rules:\n  - {days: 14}\n", 2, "name"),
        ("rules:\n  - {name: 甲, counts: 是}\n", 2, "counts"),
        ("not_columns:\n  - {}\n", 2, "category"),
        ("limits: {stale_limt: 5}\n", 1, "stale_limt"),
    ],
)
def test_malformed_rules_are_refused_by_line(
    tmp_path: Path, text: str, line: int, says: str
) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=f"第 {line} 行") as caught:
        load_rules(path)
    assert says in str(caught.value)


def test_report_as_markdown_names_every_column() -> None:
    report = assess(
        {("工作动态", "网站"): date(2026, 11, 20)},
        ["工作动态", "专题"],
        {"网站": "site"},
        RULES,
        AS_OF,
    )
    text = report.to_markdown()
    assert (
        "| 工作动态（网站） | 14天 | 2026-11-20 | 11 | 2026-12-04 | 2026-12-05 | 即将超期 |" in text
    )
    assert "| 专题（网站） | — | 从未发布 | — | — | — | 空白栏目 |" in text
    assert "不触及栏目类单项否决指标" in text


def test_cli_prints_the_report(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_published(
        engine, "动态", "正文。", datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)
    )
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    parser = argparse.ArgumentParser(prog="pubreview")
    columns_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["columns", "--as-of", "2026-12-01", "--json"])
    assert args.handler(args) == 0
    data = json.loads(capsys.readouterr().out)
    home = data["columns"][0]
    assert (home["category"], home["last"], home["breach_on"]) == (
        "首页",
        "2026-11-20",
        "2026-12-05",
    )
    assert data["as_of"] == "2026-12-01"
    with pytest.raises(SystemExit):
        parser.parse_args(["columns", "--as-of", "12月1日"])
