"""Importing an office's old 台帐 (CSV or XLSX) as published items, chained like any entry.

Every row is checked before anything is written; a bad row is reported by its spreadsheet
row number (the header is row 1) and column, and nothing from the file is written. Each item
becomes a published Publication with revision 1, one `imported` entry, one `published` entry
per channel (marked imported) and an `adopted` entry per adoption the row names.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerKind, Person, Publication, Revision, Status, Unit
from pubreview import ledger, publishing
from pubreview.errors import ValidationError
from pubreview.ledger.content import fingerprint
from pubreview.publishing import catalog as catalog_mod
from pubreview.publishing.adoption import adopt
from pubreview.publishing.entries import Imported, imported_key
from pubreview.review.submission import MAX_TITLE
from pubreview.site.content import safe_url

# Header names an office may use, per column; the first is the one errors use.
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("日期", "发布日期", "date"),
    "title": ("标题", "title"),
    "category": ("分类", "内容分类", "类别", "category"),
    "channel": ("渠道", "发布渠道", "channel"),
    "unit": ("单位", "科室", "unit"),
    "url": ("网址", "链接", "url"),
    "adoption": ("采用", "采用情况", "adoption"),
}
REQUIRED = ("date", "title", "category", "channel", "unit")
SEPARATORS = re.compile(r"[、,，;；/／\s]+")
DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
LEVELS = {"中央": "central", "省": "provincial"}  # 中央级 / 省级, by prefix
LEVEL_OUTLETS = {"central": "中央级报刊或网站", "provincial": "省级报刊或网站"}
NO_ADOPTION = {"", "无", "否", "-", "—"}
# Imported items were submitted before pubreview; this person stands for "unknown author".
IMPORT_PERSON = ("import", "历史台帐导入")
MAX_ERRORS = 50


@dataclass(frozen=True)
class ImportRow:
    """One checked row, ready to write."""

    row: int
    published_at: datetime
    title: str
    category: str
    channels: list[tuple[str, str | None]]  # (channel, url)
    unit_id: int
    unit_code: str
    adoptions: list[tuple[str, str]]  # (level, outlet)


@dataclass
class ImportSummary:
    """What an import wrote."""

    file: str
    items: int = 0
    published: int = 0
    adoptions: int = 0
    first_entry: int | None = None
    last_entry: int | None = None
    years: dict[int, int] = field(default_factory=dict)


def read_rows(path: Path) -> list[list[object]]:
    """The file's rows (header first), from XLSX (first sheet) or CSV (UTF-8 or GB18030)."""
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            book = load_workbook(path, read_only=True, data_only=True)
            try:
                return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
            finally:
                book.close()
        raw = path.read_bytes()
    except (OSError, InvalidFileException) as exc:
        raise ValidationError(f"{path}: cannot read: {exc}") from exc
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China often saves CSV as GBK
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(f"{path}: neither UTF-8 nor GB18030 text")
    return [list(r) for r in csv.reader(text.splitlines())]


def _header(path: Path, header: list[object]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(header):
        name = str(cell or "").strip()
        for key, aliases in COLUMNS.items():
            if name.lower() in aliases:
                found[key] = (index, name)
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in found]
    if missing:
        raise ValidationError(f"{path}: row 1: missing column(s) {', '.join(missing)}")
    return found


def _date(value: object) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        m = DATE_TEXT.match(str(value or "").strip())
        try:
            if m is None:
                raise ValueError
            moment = datetime(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:  # no date shape, or a day the month does not have
            raise ValueError(f"not a date: {value!r} (write 2018-03-05)") from None
    return moment.replace(tzinfo=publishing.OFFICE_TIMEZONE) if moment.tzinfo is None else moment


def _adoptions(text: str) -> list[tuple[str, str]]:
    out = []
    for token in SEPARATORS.split(text.strip()):
        if token in NO_ADOPTION:
            continue
        level_text, _, outlet = token.replace("：", ":").partition(":")
        level = next((v for k, v in LEVELS.items() if level_text.startswith(k)), None)
        if level is None:
            raise ValueError(f"{token!r}: write 中央级 or 省级, optionally 中央级：媒体名")
        out.append((level, outlet.strip() or LEVEL_OUTLETS[level]))
    return out


class _RowChecker:
    """Checks rows one by one, collecting errors that name the row and the column."""

    def __init__(self, session: Session, path: Path, columns: dict[str, tuple[int, str]]) -> None:
        self.path, self.columns = path, columns
        self.errors: list[str] = []
        self.catalog = catalog = catalog_mod.load()
        self.channels = set(catalog.channels)
        self.units: dict[str, Unit] = {}
        for unit in session.scalars(select(Unit)):
            self.units[unit.code] = self.units[unit.name] = unit

    def cell(self, values: list[object], key: str) -> object:
        index = self.columns[key][0] if key in self.columns else None
        return values[index] if index is not None and index < len(values) else None

    def fail(self, row: int, key: str, message: str) -> None:
        self.errors.append(f"{self.path.name}: row {row}, column {self.columns[key][1]}: {message}")

    def check(self, row: int, values: list[object]) -> ImportRow | None:
        before = len(self.errors)
        text = {k: str(self.cell(values, k) or "").strip() for k in COLUMNS if k != "date"}
        try:
            published_at = _date(self.cell(values, "date"))
        except ValueError as exc:
            self.fail(row, "date", str(exc))
        if not text["title"]:
            self.fail(row, "title", "empty")
        elif len(text["title"]) > MAX_TITLE:
            self.fail(row, "title", f"longer than {MAX_TITLE} characters")
        channels = [c for c in SEPARATORS.split(text["channel"]) if c]
        # A channel's own categories (or none) decide; the message names the catalog file.
        known = [c for c in channels if c in self.channels] or list(self.channels)
        if problem := self.catalog.category_error(text["category"], known):
            self.fail(row, "category", problem)
        if not channels or any(c not in self.channels for c in channels):
            self.fail(
                row,
                "channel",
                f"{text['channel']!r}: one or more of {', '.join(sorted(self.channels))}",
            )
        elif len(set(channels)) != len(channels):
            self.fail(row, "channel", "a channel is named twice")
        urls = [u for u in re.split(r"\s+", text["url"]) if u]
        if any(safe_url(u) is None for u in urls):
            self.fail(row, "url", f"{text['url']!r} is not an http(s) address")
        elif urls and len(urls) != len(channels):
            self.fail(
                row,
                "url",
                f"{len(urls)} address(es) for {len(channels)} channel(s): "
                "give one per channel, in the channel column's order, or none",
            )
        unit = self.units.get(text["unit"])
        if unit is None:
            self.fail(row, "unit", f"unknown unit {text['unit']!r} (a unit code or name)")
        try:
            adoptions = _adoptions(text["adoption"])
        except ValueError as exc:
            self.fail(row, "adoption", str(exc))
        if len(self.errors) > before:
            return None
        return ImportRow(
            row,
            published_at,
            text["title"],
            text["category"],
            list(zip(channels, urls or [None] * len(channels), strict=True)),
            unit.id,
            unit.code,
            adoptions,
        )


def _import_person(session: Session) -> Person:
    username, name = IMPORT_PERSON
    person = session.scalars(select(Person).where(Person.username == username)).first()
    if person is None:
        person = Person(username=username, name=name)
        session.add(person)
        session.flush()
    return person


def _row_key(item: ImportRow) -> str:
    """What makes two rows the same item: date, title and unit."""
    return imported_key(item.published_at.date(), item.title, item.unit_code)


def _check_all(session: Session, path: Path) -> list[ImportRow]:
    rows = read_rows(path)
    if not rows:
        raise ValidationError(f"{path}: the file is empty")
    checker = _RowChecker(session, path, _header(path, rows[0]))
    items: list[ImportRow] = []
    seen: dict[str, int] = {}
    for number, values in enumerate(rows[1:], start=2):
        if all(str(v or "").strip() == "" for v in values):
            continue
        item = checker.check(number, values)
        if item is None:
            continue
        if (first := seen.setdefault(_row_key(item), number)) != number:
            checker.fail(number, "title", f"same date, title and unit as row {first}")
        items.append(item)
    if checker.errors:
        shown = checker.errors[:MAX_ERRORS]
        more = len(checker.errors) - len(shown)
        raise ValidationError(
            f"{path}: {len(checker.errors)} problem(s), nothing imported:\n  "
            + "\n  ".join(shown)
            + (f"\n  … and {more} more" if more else "")
        )
    return items


def import_file(session: Session, path: Path, actor: str) -> ImportSummary:
    """Import every row of a 台帐 file in the caller's transaction, or refuse the whole file."""
    items = _check_all(session, path)
    person = _import_person(session)
    summary = ImportSummary(file=str(path))
    for item in items:
        publication = Publication(
            title=item.title,
            category=item.category,
            channels=[c for c, _ in item.channels],
            unit_id=item.unit_id,
            submitter_id=person.id,
            status=Status.PUBLISHED,
            stage=None,
            current_revision=1,
            waiting_since=item.published_at,
        )
        session.add(publication)
        session.flush()
        content = fingerprint(item.title, "", [])
        session.add(
            Revision(
                publication_id=publication.id,
                number=1,
                title=item.title,
                body="",
                fingerprint=content,
                author_id=person.id,
            )
        )
        entry, recorded = ledger.append_once(
            session,
            kind=LedgerKind.IMPORTED,
            publication_id=publication.id,
            revision=1,
            actor=actor,
            outcome="imported",
            payload=Imported(
                content,
                item.title,
                item.category,
                publication.channels,
                item.unit_code,
                path.name,
                item.row,
            ).to_payload(),
            dedupe_key=_row_key(item),
        )
        if not recorded:
            earlier = Imported.from_payload(entry.payload)
            raise ValidationError(
                f"{path.name}: row {item.row}: already imported (ledger entry {entry.id}, "
                f"{earlier.file} row {earlier.row}); nothing imported"
            )
        summary.first_entry = summary.first_entry or entry.id
        for channel, url in item.channels:
            entry, recorded = publishing.record_published(
                session,
                publication,
                channel=channel,
                url=url,
                actor=actor,
                published_at=item.published_at,
                imported=True,
            )
            summary.published += int(recorded)
        for level, outlet in item.adoptions:
            adopted = adopt(session, publication.id, level, outlet, None)
            summary.adoptions += int(adopted.recorded)
            summary.last_entry = adopted.entry_id
        summary.last_entry = max(summary.last_entry or 0, entry.id)
        summary.items += 1
        year = item.published_at.year
        summary.years[year] = summary.years.get(year, 0) + 1
    return summary
