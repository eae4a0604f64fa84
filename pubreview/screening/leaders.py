"""The office's leader list (领导名单): a leader's name with a title not theirs, a near miss of
a leader's name, and names of people no longer in office are findings.

The administrator keeps the list (PUBREVIEW_LEADERS; `config/sample-leaders.yaml` is the
sample) on /admin/lists or in the YAML itself: each leader's name, current title and unit,
with former titles and the date each ended, so that "时任副主任曾翔" in a dated sentence about
an earlier year passes. The page's changes go through `put_entry` and `remove_entry` here.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pubreview import settings
from pubreview.errors import ValidationError
from pubreview.screening.findings import BLOCK, WARN, Hit, Severity
from pubreview.screening.homophones import one_off
from pubreview.screening.listfile import (
    Entry,
    ListChange,
    Record,
    edit_lists,
    no_record,
    read_lists,
    recorded,
)
from pubreview.screening.scanner import Match
from pubreview.settings import PROJECT_ROOT

# The shipped sample; the office's own list is PUBREVIEW_LEADERS (settings.leaders_file).
DEFAULT_LEADERS = PROJECT_ROOT / "config" / "sample-leaders.yaml"
WHAT = "领导名单"
SECTIONS = ("leaders", "departed", "titles")
# The fields as the administrator's form names them.
LABELS = {
    "name": "姓名",
    "title": "现任职务",
    "unit": "单位",
    "status": "情况",
    "since": "起始日期",
    "severity": "处理方式",
}
# A name as published: Chinese characters, a middle dot in a transcribed name (阿卜杜·热合曼).
NAME = re.compile(r"^[\u4e00-\u9fff][\u4e00-\u9fff·]{0,14}[\u4e00-\u9fff]$")

# Titles recognised next to a name whether or not the list uses them; the list's own titles
# (and its `titles:` section) are added to these.
COMMON_TITLES = [
    "书记",
    "副书记",
    "党组书记",
    "党组副书记",
    "党委书记",
    "党委副书记",
    "党组成员",
    "常委",
    "委员",
    "市长",
    "副市长",
    "常务副市长",
    "县长",
    "副县长",
    "常务副县长",
    "区长",
    "副区长",
    "镇长",
    "副镇长",
    "乡长",
    "副乡长",
    "主任",
    "副主任",
    "常务副主任",
    "局长",
    "副局长",
    "处长",
    "副处长",
    "科长",
    "副科长",
    "部长",
    "副部长",
    "主席",
    "副主席",
    "秘书长",
    "副秘书长",
    "厅长",
    "副厅长",
    "院长",
    "副院长",
    "检察长",
    "副检察长",
    "所长",
    "副所长",
    "站长",
    "副站长",
    "组长",
    "副组长",
    "巡视员",
    "副巡视员",
    "调研员",
    "副调研员",
    "一级巡视员",
    "二级巡视员",
    "一级调研员",
    "二级调研员",
    "三级调研员",
    "四级调研员",
    "主任科员",
]

# Words right before a title that place it in the past (时任副主任, 原主任).
HISTORICAL_MARKERS = ("时任", "曾任", "原任", "前任", "原")
SENTENCE_END = re.compile(r"[。！？；!?;\n]")
YEAR = re.compile(r"((?:19|20)[0-9]{2})\s*年")
# A title chain may join its titles with these (市委常委、副市长).
TITLE_JOINERS = "、，, "
TITLE_SPLIT = re.compile(r"[、，,\s]+")
HONORIFIC = "同志"
# What may follow a name directly: a pause or the end of a clause.
NAME_PAUSES = "，、。；：！？,;:!?（）() \n"
# Two-character names have too many ordinary same-pinyin neighbours (曾翔 → 曾想, 曾向): their
# near misses count only after a title or before 同志.
SHORT_NAME = 2

LEADER_KEYS = {"name", "title", "unit", "former"}
FORMER_KEYS = {"title", "until"}
DEPARTED_KEYS = {"name", "status", "since", "severity", "unit"}
TITLE_KEYS = {"title"}


@dataclass(frozen=True)
class FormerTitle:
    """A title a leader held, and the last day they held it (None: not known)."""

    title: str
    until: datetime.date | None


@dataclass(frozen=True)
class Leader:
    """A serving leader as the list has them."""

    name: str
    title: str  # as written for the public, e.g. 党组书记、主任
    unit: str
    former: tuple[FormerTitle, ...]

    @property
    def titles(self) -> tuple[str, ...]:
        """The current title's parts (党组书记、主任 → 党组书记, 主任)."""
        return tuple(t for t in TITLE_SPLIT.split(self.title) if t)

    def holds(self, title: str) -> bool:
        """True when `title` names one of the current titles (书记 for 党组书记, not 副书记)."""
        return any(_names(held, title) for held in self.titles)

    def held(self, title: str) -> FormerTitle | None:
        """The former title `title` names, if any."""
        return next((f for f in self.former if _names(f.title, title)), None)


@dataclass(frozen=True)
class Departed:
    """Someone no longer in office or under investigation (不再任职 / 接受审查调查)."""

    name: str
    status: str
    since: datetime.date | None
    severity: Severity


@dataclass(frozen=True)
class LeaderList:
    """The leader list, the departed list and the title words the screen recognises."""

    path: str
    leaders: dict[str, Leader]
    departed: dict[str, Departed]
    titles: frozenset[str]
    near_misses: dict[str, tuple[str, ...]]  # misspelling → the leaders' names it resembles

    def keys(self) -> Iterator[tuple[str, str]]:
        """(kind, key) pairs for the scanner."""
        yield from (("leader", name) for name in self.leaders)
        yield from (("departed", name) for name in self.departed)
        yield from (("near_leader", name) for name in self.near_misses)
        yield from (("title", title) for title in self.titles)
        yield from (("unit", leader.unit) for leader in self.leaders.values())


def _names(held: str, written: str) -> bool:
    """Whether `written` names the title `held`: equal, or its tail without dropping a 副."""
    if held == written:
        return True
    return held.endswith(written) and not held[: -len(written)].endswith("副")


def _date(entry: Entry, key: str) -> datetime.date | None:
    value = entry.fields.get(key)
    if value is None:
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as exc:
        raise entry.fail(key, "应为日期，如 2023-06-30") from exc


def _name(entry: Entry) -> str:
    name = entry.text("name")
    if not NAME.match(name):
        raise entry.fail(
            "name", f"「{name}」应为汉字姓名（少数民族姓名可含“·”），不含空格、职务或标点"
        )
    return name


def _title(entry: Entry) -> str:
    title = entry.text("title")
    if not any(TITLE_SPLIT.split(title)):
        raise entry.fail("title", "请填写")
    return title


def _leader(entry: Entry) -> Leader:
    entry.check_keys(LEADER_KEYS)
    former = []
    for item in entry.children("former"):
        item.check_keys(FORMER_KEYS)
        former.append(FormerTitle(item.text("title"), _date(item, "until")))
    return Leader(_name(entry), _title(entry), entry.text("unit"), tuple(former))


def _departed(entry: Entry) -> Departed:
    entry.check_keys(DEPARTED_KEYS)
    severity = entry.fields.get("severity", BLOCK)
    if severity not in (BLOCK, WARN):
        shown = f"应为 block 或 warn，而不是 {severity!r}"
        if entry.labels:
            shown = "请选择“阻止”或“提示”"
        raise entry.fail("severity", shown)
    return Departed(_name(entry), entry.text("status"), _date(entry, "since"), severity)


def _unique(items: Iterable[tuple[Entry, str]], what: str) -> None:
    seen: dict[str, Entry] = {}
    for entry, name in items:
        if name in seen:
            raise ValidationError(f"{entry.where}: {what}「{name}」已在第 {seen[name].line} 行列出")
        seen[name] = entry


def default_path() -> Path:
    """The office's leader list (PUBREVIEW_LEADERS; the shipped sample unless set)."""
    return settings.load().leaders_file


def load_leaders(path: Path | None = None) -> LeaderList:
    """Read and check the leader list; a malformed entry is refused by its line."""
    path = path or default_path()
    sections = read_lists(path, WHAT, SECTIONS)
    leaders = [(e, _leader(e)) for e in sections["leaders"]]
    departed = [(e, _departed(e)) for e in sections["departed"]]
    _unique(((e, p.name) for e, p in leaders + departed), "姓名")
    titles = set(COMMON_TITLES)
    for entry in sections["titles"]:
        entry.check_keys(TITLE_KEYS)
        titles.add(entry.text("title"))
    for _, leader in leaders:
        titles.update(leader.titles)
        titles.update(t for f in leader.former for t in TITLE_SPLIT.split(f.title) if t)
    real = {p.name for _, p in leaders + departed}
    near: dict[str, list[str]] = defaultdict(list)
    for _, leader in leaders:
        for variant in one_off(leader.name, contextual=False):
            if variant not in real:
                near[variant].append(leader.name)
    return LeaderList(
        str(path),
        {p.name: p for _, p in leaders},
        {p.name: p for _, p in departed},
        frozenset(titles),
        {k: tuple(v) for k, v in near.items()},
    )


# --- the administrator's changes -----------------------------------------------------------


def _plain(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as JSON (dates as text)."""
    return {
        k: [_plain(i) for i in v]
        if isinstance(v, list)
        else str(v)
        if k in ("since", "until")
        else v
        for k, v in entry.items()
    }


def leader_fields(form: Mapping[str, Any]) -> dict[str, Any]:
    """A leader's entry from the form (name, title, unit), checked as the list file is."""
    entry = Entry.of_form({k: form.get(k, "") for k in ("name", "title", "unit")}, LABELS)
    leader = _leader(entry)
    return {"name": leader.name, "title": leader.title, "unit": leader.unit}


def departed_fields(form: Mapping[str, Any]) -> dict[str, Any]:
    """A departed person's entry from the form (name, status, since, severity), checked."""
    keys = ("name", "status", "since", "severity")
    entry = Entry.of_form({k: form.get(k, "") for k in keys}, LABELS)
    person = _departed(entry)
    fields: dict[str, Any] = {"name": person.name, "status": person.status}
    if person.since is not None:
        fields["since"] = person.since
    fields["severity"] = person.severity
    return fields


def _find(entries: list[dict[str, Any]], name: str) -> int | None:
    return next((i for i, e in enumerate(entries) if str(e.get("name", "")).strip() == name), None)


def _refuse_elsewhere(data: dict[str, list[dict[str, Any]]], section: str, name: str) -> None:
    """A name is on one list only: a leader who left is removed before being listed as departed."""
    other = "departed" if section == "leaders" else "leaders"
    if _find(data[other], name) is not None:
        where = "不在任人员名单" if other == "departed" else "领导名单"
        raise ValidationError(f"姓名：「{name}」已在{where}中，请先从{where}中删除")


def _retitled(old: dict[str, Any], new: dict[str, Any], today: datetime.date) -> list[dict]:
    """The former titles after a title change: the titles given up end yesterday.

    So that a sentence about the past may still use them (时任…, an earlier year), and the
    archive re-scan names the live pages that still give the old title.
    """
    former = [dict(f) for f in old.get("former") or []]
    held = set(TITLE_SPLIT.split(new["title"]))
    given_up = [t for t in TITLE_SPLIT.split(str(old.get("title", ""))) if t and t not in held]
    known = {str(f.get("title")) for f in former}
    until = today - datetime.timedelta(days=1)
    former += [{"title": t, "until": until} for t in given_up if t not in known]
    return former


def put_entry(
    section: str,
    fields: dict[str, Any],
    *,
    replacing: str | None = None,
    path: Path | None = None,
    today: datetime.date | None = None,
    record: Record = no_record,
) -> ListChange:
    """Add a leader or departed person (`section` leaders / departed), or change the one named
    `replacing`; the whole list is checked by `load_leaders` before the file is replaced.

    A leader whose title changes keeps the titles given up as former titles until yesterday.
    """
    if section not in ("leaders", "departed"):
        raise ValidationError(f"未知的名单「{section}」")
    path = path or default_path()
    name = fields["name"]
    with edit_lists(path, WHAT, SECTIONS, load_leaders) as data:
        entries = data[section]
        _refuse_elsewhere(data, section, name)
        same = _find(entries, name)
        if replacing is None:
            if same is not None:
                raise ValidationError(f"姓名：「{name}」已在名单中，请修改原有条目")
            entries.append(fields)
            return recorded(record, ListChange(section, "added", name, None, _plain(fields)))
        at = _find(entries, replacing)
        if at is None:
            raise ValidationError(f"名单中没有「{replacing}」，可能已被他人删除，请刷新页面")
        if same is not None and same != at:
            raise ValidationError(f"姓名：「{name}」已在名单中，不能改成与另一条相同的姓名")
        old = entries[at]
        new = dict(fields)
        if section == "leaders":
            today = today or settings_today()
            former = _retitled(old, new, today)
            if former:
                new["former"] = former
        if _plain(new) == _plain(old):
            raise ValidationError(f"「{name}」的内容没有变化，未作更改")
        entries[at] = new
        return recorded(record, ListChange(section, "changed", name, _plain(old), _plain(new)))


def remove_entry(
    section: str, name: str, *, path: Path | None = None, record: Record = no_record
) -> ListChange:
    """Take a leader or departed person off the list."""
    if section not in ("leaders", "departed"):
        raise ValidationError(f"未知的名单「{section}」")
    with edit_lists(path or default_path(), WHAT, SECTIONS, load_leaders) as data:
        at = _find(data[section], name)
        if at is None:
            raise ValidationError(f"名单中没有「{name}」，可能已被他人删除，请刷新页面")
        old = data[section].pop(at)
        return recorded(record, ListChange(section, "removed", name, _plain(old), None))


def settings_today() -> datetime.date:
    """Today in office time."""
    return datetime.datetime.now(settings.office_timezone()).date()


# --- finding them in a text -------------------------------------------------------------


class _Titles:
    """The title matches of one text, by where they end and where they start (longest first)."""

    def __init__(self, matches: Iterable[Match]) -> None:
        self.ending: dict[int, tuple[str, int]] = {}
        self.starting: dict[int, tuple[str, int]] = {}
        for title, start, end in matches:
            if len(title) > len(self.ending.get(end, ("",))[0]):
                self.ending[end] = (title, start)
            if len(title) > len(self.starting.get(start, ("",))[0]):
                self.starting[start] = (title, end)

    def before(self, text: str, at: int) -> tuple[list[str], int]:
        """The chain of titles that ends at `at` (市委常委、副市长), nearest last, and its start."""
        chain: list[str] = []
        while at in self.ending:
            title, at = self.ending[at]
            chain.insert(0, title)
            if at > 0 and text[at - 1] in TITLE_JOINERS and at - 1 in self.ending:
                at -= 1
        return chain, at

    def after(self, at: int) -> str | None:
        """The title that starts right at `at` (曾翔主任), if any."""
        return self.starting.get(at, (None,))[0]


def _part_of_longer_name(text: str, end: int, titles: _Titles) -> bool:
    """Whether a name found ends one character short of someone else's (曾祥 in 曾祥文同志).

    Chinese has no spaces, so a name is taken to go on when one more character is followed by
    同志, a title or a pause: 局长曾祥文同志 is 曾祥文, 主任曾祥主持会议 is 曾祥.
    """
    if end >= len(text) or not _is_han(text[end]) or titles.after(end) is not None:
        return False
    after = end + 1
    return (
        after == len(text)
        or text.startswith(HONORIFIC, after)
        or titles.after(after) is not None
        or text[after] in NAME_PAUSES
    )


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around a span."""
    left = max(
        (m.end() for m in SENTENCE_END.finditer(text, max(0, start - 200), start)), default=0
    )
    right = SENTENCE_END.search(text, end)
    return text[max(left, start - 200) : right.start() if right else min(len(text), end + 200)]


def _historical(text: str, chain_start: int, name_start: int, former: FormerTitle) -> bool:
    """Whether a former title is used of the past: 时任/原 before it, or an earlier year."""
    if any(text.endswith(m, 0, chain_start) for m in HISTORICAL_MARKERS):
        return True
    if former.until is None:
        return False
    years = [int(y) for y in YEAR.findall(_sentence(text, chain_start, name_start))]
    return bool(years) and max(years) <= former.until.year


def _title_hits(
    text: str,
    leader: Leader,
    span: tuple[int, int],
    titles: _Titles,
    units: dict[int, str],
    written_on: datetime.date | None,
) -> Iterator[Hit]:
    """A hit for a listed unit not theirs before the titles, and each title not theirs now."""
    start, end = span
    chain, chain_start = titles.before(text, start)
    unit = units.get(chain_start) if chain else None
    if unit is not None and unit != leader.unit:
        yield Hit(
            start,
            end,
            "leader_title",
            BLOCK,
            f"领导单位错误：{leader.name}任职于{leader.unit}，不是「{unit}」",
            suggestion=f"{leader.unit}{leader.title}{leader.name}",
        )
    after = titles.after(end)
    for title in chain + ([after] if after else []):
        if leader.holds(title):
            continue
        former = leader.held(title)
        if former is not None and _historical(text, chain_start, start, former):
            continue
        current = f"{leader.name}现任{leader.unit}{leader.title}"
        if former is not None and written_on and former.until and written_on <= former.until:
            # Right when it was published (a re-scan of the archive): news stays as it was,
            # but a page that must stay current (领导分工) needs the new title.
            severity = WARN
            reason = (
                f"领导职务已变更：{current}；发布时（{written_on.isoformat()}）「{title}」"
                "是其现职，如本页为领导分工等现行信息，请更正"
            )
        else:
            severity = BLOCK
            was = "为其原职务" if former is not None else "与领导名单不符"
            reason = f"领导职务错误：{current}，「{title}」{was}（史实叙述请写“时任”）"
        yield Hit(
            start,
            end,
            "leader_title",
            severity,
            reason,
            suggestion=f"{leader.title}{leader.name}",
        )


def find_leader_errors(
    text: str,
    leaders: LeaderList,
    found: dict[str, list[Match]],
    written_on: datetime.date | None = None,
) -> Iterator[Hit]:
    """Findings for names of the leader list in `text`, from the scanner's matches.

    `written_on` is the day the text was published, for a re-scan of the archive: a former
    title that was current on that day is then a warning, not an error.
    """
    titles = _Titles(found.get("title", ()))
    # Where a listed unit's name ends (the longest there): 市数据局 in 市数据局副局长….
    units: dict[int, str] = {}
    for unit, _, end in found.get("unit", ()):
        if len(unit) > len(units.get(end, "")):
            units[end] = unit
    for name, start, end in found.get("leader", ()):
        if not _part_of_longer_name(text, end, titles):
            leader = leaders.leaders[name]
            yield from _title_hits(text, leader, (start, end), titles, units, written_on)
    for name, start, end in found.get("departed", ()):
        if _part_of_longer_name(text, end, titles):
            continue
        person = leaders.departed[name]
        since = f"（{person.since.isoformat()}起）" if person.since else ""
        yield Hit(
            start,
            end,
            "departed_leader",
            person.severity,
            f"人员已不在任：{name}{person.status}{since}，核实是否应出现在拟发布内容中",
        )
    real = leaders.leaders.keys() | leaders.departed.keys()
    for variant, start, end in found.get("near_leader", ()):
        # A real name that contains the variant (王芳芳 for 王芳) is not a misspelling of it.
        if _part_of_longer_name(text, end, titles) or any(
            n in text[max(0, start - 3) : end + 3] for n in real if len(n) > len(variant)
        ):
            continue
        chain, _ = titles.before(text, start)
        after = titles.after(end)
        beside = chain + ([after] if after else [])
        honoured = text.startswith(HONORIFIC, end)
        # Only a title before (主任曾祥) or 同志 after: "曾向主任汇报" is ordinary prose.
        if len(variant) <= SHORT_NAME and not chain and not honoured:
            continue
        for name in leaders.near_misses[variant]:
            leader = leaders.leaders[name]
            own_title = any(leader.holds(t) for t in beside)
            yield Hit(
                start,
                end,
                "leader_name",
                BLOCK if own_title else WARN,
                f"疑似领导姓名错误：「{variant}」与{leader.unit}{leader.title}「{name}」同音仅差一字",
                suggestion=name,
            )
