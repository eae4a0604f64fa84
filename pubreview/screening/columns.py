"""栏目 health: how long each column of the site has gone without a publication.

A column is a content category on a channel. The inspection (《政府网站与政务新媒体检查指标》,
国办秘函〔2019〕19号) fails a site outright when its home page has had nothing new for two
weeks, when more than five 动态/要闻 (2 weeks) and 通知公告/政策文件 (6 months) columns are out
of date, or when more than five columns are blank. The periods are the office's to set
(`config/screening/columns.yaml`; a province may be stricter).

For each column the report gives its last publication, the last day it is still in date and
the day it breaches, so the center can publish before the inspector looks.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Publication, Status
from pubreview.errors import ValidationError
from pubreview.publishing import OFFICE_TIMEZONE, local_now
from pubreview.publishing.catalog import Catalog
from pubreview.publishing.entries import Published
from pubreview.screening.listfile import Entry, read_lists
from pubreview.settings import PROJECT_ROOT

DEFAULT_RULES = PROJECT_ROOT / "config" / "screening" / "columns.yaml"
HOME = "首页"  # the home column: any publication on a site channel updates it
SITE_KIND = "site"

ColumnStatus = Literal["blank", "stale", "due_soon", "ok", "no_period"]
STATUS_LABEL: dict[str, str] = {
    "blank": "空白栏目",
    "stale": "已超期未更新",
    "due_soon": "即将超期",
    "ok": "正常",
    "no_period": "无更新要求",
}


@dataclass(frozen=True)
class Period:
    """How long a column may go without a publication."""

    days: int = 0
    months: int = 0

    def after(self, day: datetime.date) -> datetime.date:
        """The last day still in date for a column last updated on `day`."""
        month = day.month - 1 + self.months
        year, month = day.year + month // 12, month % 12 + 1
        # 8月31日 + 6 months is the end of February, not a day in March.
        clamped = min(day.day, calendar.monthrange(year, month)[1])
        return datetime.date(year, month, clamped) + datetime.timedelta(days=self.days)

    def __str__(self) -> str:
        return "".join(
            [f"{self.months}个月" if self.months else "", f"{self.days}天" if self.days else ""]
        )


@dataclass(frozen=True)
class Rule:
    """The update period of the columns it matches (by category and/or channel)."""

    name: str
    categories: frozenset[str] | None  # None: any category
    channels: frozenset[str] | None  # None: any channel
    period: Period | None  # None: no period (a blank column still counts)
    counts: bool  # counts towards the inspection's limit of stale columns

    def matches(self, category: str, channel: str) -> bool:
        """Whether the column (category on channel) falls under this rule."""
        return (self.categories is None or category in self.categories) and (
            self.channels is None or channel in self.channels
        )


@dataclass(frozen=True)
class HealthRules:
    """The office's update periods and the inspection's limits."""

    home: Period | None
    rules: tuple[Rule, ...]
    not_columns: tuple[tuple[str | None, str | None], ...]  # (category, channel); None = any
    warn_days: int  # "due soon" this many days before a breach
    stale_limit: int  # the inspection fails a site with more stale columns than this
    blank_limit: int  # … or more blank columns than this

    def rule_for(self, category: str, channel: str) -> Rule | None:
        """The first rule that matches the column."""
        return next((r for r in self.rules if r.matches(category, channel)), None)

    def is_column(self, category: str, channel: str) -> bool:
        """Whether the office counts this category on this channel as a column."""
        return not any(
            (cat is None or cat == category) and (chan is None or chan == channel)
            for cat, chan in self.not_columns
        )


# --- reading the rules ---------------------------------------------------------------------


def _int(entry: Entry, key: str, default: int = 0) -> int:
    value = entry.fields.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{entry.where}: {key} 应为不小于 0 的整数，而不是 {value!r}")
    return value


def _period(entry: Entry) -> Period | None:
    days, months = _int(entry, "days"), _int(entry, "months")
    return Period(days, months) if days or months else None


def _names(entry: Entry, key: str) -> frozenset[str] | None:
    return frozenset(entry.texts(key)) if key in entry.fields else None


def load_rules(path: Path | None = None) -> HealthRules:
    """Read and check the column rules; a malformed entry is refused by its line."""
    path = path or DEFAULT_RULES
    sections = read_lists(path, "栏目更新要求", ("home", "rules", "not_columns", "limits"))
    home = None
    for entry in sections["home"]:
        entry.check_keys({"days", "months"})
        home = _period(entry)
    rules = []
    for entry in sections["rules"]:
        entry.check_keys({"name", "categories", "channels", "days", "months", "counts"})
        counts = entry.fields.get("counts", True)
        if not isinstance(counts, bool):
            raise ValidationError(f"{entry.where}: counts 应为 true 或 false")
        rules.append(
            Rule(
                entry.text("name"),
                _names(entry, "categories"),
                _names(entry, "channels"),
                _period(entry),
                counts,
            )
        )
    not_columns = []
    for entry in sections["not_columns"]:
        entry.check_keys({"category", "channel"})
        category = entry.text("category", required=False) or None
        channel = entry.text("channel", required=False) or None
        if category is None and channel is None:
            raise ValidationError(f"{entry.where}: 至少写明 category 或 channel")
        not_columns.append((category, channel))
    limits = {"warn_days": 7, "stale_limit": 5, "blank_limit": 5}
    for entry in sections["limits"]:
        entry.check_keys(set(limits))
        limits.update({key: _int(entry, key) for key in entry.fields})
    return HealthRules(home, tuple(rules), tuple(not_columns), **limits)


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnHealth:
    """One column's state on the report's date."""

    category: str
    channel: str
    rule: str | None
    period: str | None
    last: datetime.date | None  # last publication (office time zone)
    days_since: int | None
    due: datetime.date | None  # the last day still in date
    breach_on: datetime.date | None  # the first day out of date
    status: ColumnStatus
    counts: bool  # counts towards the inspection's stale limit

    @property
    def name(self) -> str:
        """How the column is named to a person."""
        return self.category if self.category == HOME else f"{self.category}（{self.channel}）"

    def to_dict(self) -> dict[str, Any]:
        """Plain data with dates as ISO strings."""
        data = asdict(self)
        for key in ("last", "due", "breach_on"):
            data[key] = data[key].isoformat() if data[key] else None
        return data | {"status_label": STATUS_LABEL[self.status]}


@dataclass
class HealthReport:
    """Every column's state and what the inspection would make of them."""

    as_of: datetime.date
    columns: list[ColumnHealth]
    rules: HealthRules
    failures: list[str] = field(default_factory=list)  # 单项否决 reasons, in Chinese

    def with_status(self, *statuses: str) -> list[ColumnHealth]:
        """The columns in any of these states."""
        return [c for c in self.columns if c.status in statuses]

    @property
    def fails(self) -> bool:
        """True when the inspection would fail the site on its columns today."""
        return bool(self.failures)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for --json, an artifact or a page."""
        stale = [c for c in self.with_status("stale") if c.counts and c.category != HOME]
        return {
            "as_of": self.as_of.isoformat(),
            "fails": self.fails,
            "failures": self.failures,
            "counts": {
                "stale": len(stale),
                "stale_limit": self.rules.stale_limit,
                "blank": len(self.with_status("blank")),
                "blank_limit": self.rules.blank_limit,
                "due_soon": len(self.with_status("due_soon")),
            },
            "columns": [c.to_dict() for c in self.columns],
        }

    def to_markdown(self) -> str:
        """The report as a Markdown table (a Prefect artifact, a message, the admin page)."""
        lines = [
            f"# 栏目更新情况（{self.as_of.isoformat()}）",
            "",
            "**检查结论：** "
            + ("；".join(self.failures) if self.fails else "不触及栏目类单项否决指标"),
            "",
            "| 栏目 | 更新要求 | 最近发布 | 距今天数 | 最迟更新日 | 超期日 | 状态 |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for c in self.columns:
            lines.append(
                f"| {c.name} | {c.period or '—'} | {c.last or '从未发布'} | "
                f"{'—' if c.days_since is None else c.days_since} | {c.due or '—'} | "
                f"{c.breach_on or '—'} | {STATUS_LABEL[c.status]} |"
            )
        return "\n".join(lines)


def _column(
    category: str,
    channel: str,
    rule: Rule | None,
    period: Period | None,
    last: datetime.date | None,
    as_of: datetime.date,
    warn_days: int,
) -> ColumnHealth:
    name = rule.name if rule else None
    counts = bool(rule and rule.counts)
    if last is None:
        return ColumnHealth(
            category, channel, name, period and str(period), None, None, None, None, "blank", counts
        )
    days_since = (as_of - last).days
    if period is None:
        return ColumnHealth(
            category, channel, name, None, last, days_since, None, None, "no_period", counts
        )
    due = period.after(last)
    breach_on = due + datetime.timedelta(days=1)
    status: ColumnStatus = (
        "stale"
        if as_of >= breach_on
        else "due_soon"
        if (breach_on - as_of).days <= warn_days
        else "ok"
    )
    return ColumnHealth(
        category, channel, name, str(period), last, days_since, due, breach_on, status, counts
    )


def assess(
    last_published: Mapping[tuple[str, str], datetime.date],
    categories: Iterable[str],
    channels: Mapping[str, str],
    rules: HealthRules,
    as_of: datetime.date,
) -> HealthReport:
    """The report for one day, from each column's last publication date.

    `channels` maps each channel to its kind ("site" for the site pubreview renders); the
    home column is the site channels' latest publication of any category.
    """
    columns = []
    site = [name for name, kind in channels.items() if kind == SITE_KIND]
    if site and rules.home is not None:
        dates = [d for (_, chan), d in last_published.items() if chan in site]
        last = max(dates, default=None)
        columns.append(_column(HOME, site[0], None, rules.home, last, as_of, rules.warn_days))
    for category in categories:
        for channel in channels:
            if not rules.is_column(category, channel):
                continue
            rule = rules.rule_for(category, channel)
            last = last_published.get((category, channel))
            period = rule.period if rule else None
            columns.append(_column(category, channel, rule, period, last, as_of, rules.warn_days))
    report = HealthReport(as_of, columns, rules)
    if columns and columns[0].category == HOME and columns[0].status in ("stale", "blank"):
        report.failures.append(f"首页栏目超过{rules.home}未更新")
    stale = [c for c in columns if c.category != HOME and c.counts and c.status == "stale"]
    if len(stale) > rules.stale_limit:
        report.failures.append(f"{len(stale)}个栏目超期未更新，超过{rules.stale_limit}个")
    blank = report.with_status("blank")
    if len(blank) > rules.blank_limit:
        report.failures.append(f"空白栏目{len(blank)}个，超过{rules.blank_limit}个")
    return report


# --- from the ledger -------------------------------------------------------------------------


def last_publications(session: Session) -> dict[tuple[str, str], datetime.date]:
    """Each (category, channel)'s latest publication date, from the ledger's `published` entries.

    Items since retracted do not count: their pages are gone from the site.
    """
    latest: dict[tuple[str, str], datetime.date] = {}
    rows = session.execute(
        select(Publication.category, LedgerEntry.payload)
        .join(Publication, Publication.id == LedgerEntry.publication_id)
        .where(LedgerEntry.kind == LedgerKind.PUBLISHED, Publication.status != Status.RETRACTED)
    )
    for category, payload in rows:
        published = Published.from_payload(payload)
        if not published.published_at:
            continue
        when = datetime.datetime.fromisoformat(published.published_at)
        day = when.astimezone(OFFICE_TIMEZONE).date()
        key = (category, published.channel)
        if key not in latest or day > latest[key]:
            latest[key] = day
    return latest


def column_health(
    session: Session,
    catalog: Catalog,
    *,
    rules: HealthRules | None = None,
    as_of: datetime.date | None = None,
) -> HealthReport:
    """The report for the site's columns as the ledger has them (today by default)."""
    return assess(
        last_publications(session),
        catalog.categories,
        {name: spec.kind for name, spec in catalog.channels.items()},
        rules or load_rules(),
        as_of or local_now().date(),
    )
