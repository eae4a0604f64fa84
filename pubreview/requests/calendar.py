"""Working days on China's calendar (法定节假日 and 调休), with the office's own overrides.

`chinesecalendar` knows each year the State Council has published; it raises for a year it
does not cover yet. The office's YAML file (PUBREVIEW_WORKDAYS, default config/workdays.yaml)
corrects single days and describes whole years the library does not know. A date in a year
that neither describes is an explicit error (`CalendarGap`): a deadline is never guessed.

Counting follows the usual reading of 条例 第三十三条: the day of receipt is not counted; the
first working day after it is day 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import chinese_calendar
import yaml

from pubreview import settings
from pubreview.errors import PubreviewError, ValidationError

# chinesecalendar names holidays in English; people read the Chinese.
HOLIDAY_NAME = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
WEEKDAY = "一二三四五六日"


class CalendarGap(PubreviewError):
    """A date in a year whose holidays and 调休 nobody has described yet."""


@dataclass(frozen=True)
class Day:
    """One date as the office works it."""

    on: date
    working: bool
    name: str | None  # the holiday it belongs to (a 调休 working day names its holiday too)

    @property
    def weekend(self) -> bool:
        """Saturday or Sunday by the week, whatever the arrangement."""
        return self.on.weekday() >= 5

    @property
    def adjusted(self) -> bool:
        """A weekend made a working day (调休上班)."""
        return self.working and self.weekend

    @property
    def holiday(self) -> bool:
        """A weekday off (放假), as opposed to an ordinary weekend."""
        return not self.working and not self.weekend


@dataclass
class WorkCalendar:
    """China's calendar plus the office's overrides; asks chinesecalendar for the rest."""

    # date -> (working?, name) from the office file; these win over the library.
    overrides: dict[date, tuple[bool, str | None]] = field(default_factory=dict)
    # Years the office file describes completely (weekends off unless listed as working).
    described_years: frozenset[int] = frozenset()
    source: str = "config/workdays.yaml"

    def day(self, on: date) -> Day:
        """Whether `on` is a working day, and the holiday it belongs to."""
        if on in self.overrides:
            working, name = self.overrides[on]
            return Day(on, working, name)
        if on.year in self.described_years:
            return Day(on, on.weekday() < 5, None)
        try:
            holiday, name = chinese_calendar.get_holiday_detail(on)
        except NotImplementedError:
            raise CalendarGap(gap_message(on.year, on, self.source)) from None
        return Day(on, not holiday, HOLIDAY_NAME.get(name, name) if name else None)

    def is_working(self, on: date) -> bool:
        """Whether the office works on `on`."""
        return self.day(on).working

    def add(self, start: date, n: int) -> date:
        """The n-th working day after `start` (`start` itself is not counted; n=0 is start)."""
        if n < 0:
            raise ValueError("n must not be negative")
        on, left = start, n
        while left:
            on += timedelta(days=1)
            if self.is_working(on):
                left -= 1
        return on

    def count(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        total, on = 0, start
        while on < end:
            on += timedelta(days=1)
            total += self.is_working(on)
        return total

    def explain(self, start: date, n: int) -> list[str]:
        """How n working days after `start` were counted: first day, days off, 调休, last day."""
        parts: list[str] = []
        run: list[Day] = []

        def flush() -> None:
            if run:
                first, last = run[0].on, run[-1].on
                span = short(first) if first == last else f"{short(first)}…{short(last)}"
                # One stretch of days off may join two holidays (国庆节、中秋节 in 2025).
                names = "、".join(dict.fromkeys(d.name or "放假" for d in run))
                parts.append(f"{names} {span} 不计")
                run.clear()

        on, counted = start, 0
        while counted < n:
            on += timedelta(days=1)
            d = self.day(on)
            if not d.working:
                # Ordinary weekends go unmentioned; holidays (and their weekends) are listed.
                if d.name or not d.weekend:
                    run.append(d)
                continue
            flush()
            counted += 1
            if counted == 1:
                parts.append(f"第1个工作日 {short(on)}")
            if d.adjusted:
                parts.append(f"{short(on)}（周{WEEKDAY[on.weekday()]}调休上班）计入")
        flush()
        parts.append(f"截止 {on.isoformat()}（第{n}个工作日）" if n else f"截止 {on.isoformat()}")
        return parts


def gap_message(year: int, on: date, source: str) -> str:
    """What to write into the office's file so that `year` can be counted (the refusal's text)."""
    return (
        f"无法计算期限：{year}年的节假日和调休安排尚未录入（计算到 {on.isoformat()} 时需要）。"
        f"chinesecalendar 还没有收录{year}年；请按国务院办公厅公布的{year}年放假安排，"
        f"在 {source} 中写明该年的全部放假日（holidays）和调休上班日（workdays），"
        f"并把 {year} 加入 described_years，例如：\n"
        f"holidays:\n"
        f"  - {{date: {year}-01-01, name: 元旦}}\n"
        f"  - {{from: {year}-02-06, to: {year}-02-12, name: 春节}}\n"
        f"workdays:\n"
        f"  - {{date: {year}-02-20, name: 春节}}\n"
        f"described_years: [{year}]\n"
        f"（日期只是格式示例，须照公布的安排逐日填写；文件里已有这三项时，"
        f"把新的日期加进原有列表，不要重复写 holidays、workdays、described_years）"
    )


def short(on: date) -> str:
    """A date as 月-日, the way a deadline's explanation lists days."""
    return on.strftime("%m-%d")


def _dates(entry: object, where: str) -> list[date]:
    if not isinstance(entry, dict):
        raise ValidationError(f"{where}：每一项应写成 {{date: 2027-01-01, name: 元旦}}")
    if "date" in entry:
        single = entry["date"]
        if not isinstance(single, date):
            raise ValidationError(f"{where}：date 应为 YYYY-MM-DD 格式的日期")
        return [single]
    start, end = entry.get("from"), entry.get("to")
    if not isinstance(start, date) or not isinstance(end, date) or end < start:
        raise ValidationError(f"{where}：请写 date，或 from/to 两个日期（to 不早于 from）")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def parse(text: str, source: str = "config/workdays.yaml") -> WorkCalendar:
    """Read the office's workdays YAML (holidays, workdays, described_years)."""
    try:
        data = yaml.safe_load(text) or {}
    except (yaml.YAMLError, ValueError) as exc:
        # PyYAML raises ValueError for a date such as 2027-13-01.
        raise ValidationError(f"{source}：无法读取（{exc}）；日期应为 YYYY-MM-DD") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{source}：应为 holidays / workdays / described_years 三项")
    unknown = set(data) - {"holidays", "workdays", "described_years"}
    if unknown:
        raise ValidationError(f"{source}：不认识的项 {'、'.join(sorted(map(str, unknown)))}")
    overrides: dict[date, tuple[bool, str | None]] = {}
    for key, working in (("holidays", False), ("workdays", True)):
        for i, entry in enumerate(data.get(key) or []):
            name = entry.get("name") if isinstance(entry, dict) else None
            for on in _dates(entry, f"{source} {key} 第{i + 1}项"):
                if on in overrides and overrides[on][0] != working:
                    raise ValidationError(f"{source}：{on.isoformat()} 既是放假日又是上班日")
                overrides[on] = (working, str(name) if name else None)
    years = data.get("described_years") or []
    if not all(isinstance(y, int) for y in years):
        raise ValidationError(f"{source}：described_years 应为年份列表，如 [2027]")
    return WorkCalendar(overrides, frozenset(years), source)


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int) -> WorkCalendar:
    return parse(path.read_text(encoding="utf-8"), str(path))


def load(path: Path | None = None) -> WorkCalendar:
    """The office's calendar (PUBREVIEW_WORKDAYS; no file: chinesecalendar alone)."""
    path = path or settings.load().workdays_file
    if not path.exists():
        return WorkCalendar(source=str(path))
    return _load(path, path.stat().st_mtime_ns)
