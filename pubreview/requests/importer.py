"""Importing a request list kept elsewhere (CSV or XLSX), so Table 三 counts it like tracked ones.

One row per request, with the columns 收到日期, 渠道, 申请人类型, 办理结果, 答复日期 (申请内容
optional). 收到日期 is the counted receipt date (第三十一条); 办理结果 is a Table 三 row key such
as 三（一） or 三（三）4. A row with neither 办理结果 nor 答复日期 is a request still being handled:
it is loaded open, with its deadline, and followed up here. Every row is checked first and
every problem reported by row and column; if there is any, nothing is loaded. Each request is
written as the same REQUEST_RECEIVED / REQUEST_CLOSED entries a tracked one gets, the entry's
comment naming the file (by its SHA-256) and row, and the same file is refused a second time.

Reading (`read`, `parse`) needs no session, so the command line and the import page parse the
file before their write transaction; inside it, `import_list` is `check_list` then `load`.
An .xlsx is measured as a zip before openpyxl unpacks it (a zip bomb is refused).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import DisclosureRequest, LedgerEntry, LedgerKind
from models.requests import ApplicantType, RequestChannel, RequestStatus
from pubreview.errors import DecisionRefused, PubreviewError, ValidationError
from pubreview.requests import access, calendar, deadlines, entries, outcome, receipt, store, years
from pubreview.requests.calendar import WorkCalendar
from pubreview.screening import archive

RECEIVED, CHANNEL, APPLICANT, OUTCOME, REPLIED, CONTENT = (
    "收到日期",
    "渠道",
    "申请人类型",
    "办理结果",
    "答复日期",
    "申请内容",
)
REQUIRED = (RECEIVED, CHANNEL, APPLICANT, OUTCOME, REPLIED)
NO_CONTENT = "（自其他台帐导入，未录入申请内容）"


@dataclass(frozen=True)
class Row:
    """One checked row of the list."""

    line: int  # as a spreadsheet numbers it: the header is row 1
    received_on: date
    channel: RequestChannel
    applicant_type: ApplicantType
    outcome: str | None
    replied_on: date | None
    content: str


def _cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class ListFile:
    """A request list as read, before any row is checked: its name, rows and fingerprint."""

    name: str
    rows: list[dict[str, str]]  # column name -> cell text, from the second line on
    sha256: str

    @property
    def mark(self) -> str:
        """What each loaded entry's comment carries, so the same file is refused a second time."""
        return f"SHA-256 {self.sha256}"


def read(path: Path) -> ListFile:
    """The list in a .csv or .xlsx file on disk."""
    if not path.is_file():
        raise ValidationError(f"找不到文件「{path}」")
    return parse(path.name, path.read_bytes())


def parse(name: str, data: bytes) -> ListFile:
    """The list in a .csv (UTF-8 or GB18030, as Excel saves it) or .xlsx file's bytes."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        archive.check_archive(name, data, field="file")  # before openpyxl unpacks anything
        import openpyxl  # only for spreadsheets: it is slow to import

        try:
            sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
            raise ValidationError(f"「{name}」不是可读取的 XLSX 文件：{exc}") from None
        values = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    elif suffix == ".csv":
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(f"「{name}」不是 UTF-8 或 GBK 编码的 CSV 文件")
        values = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise ValidationError(f"「{name}」应为 .csv 或 .xlsx 文件")
    values = [row for row in values if any(row)] if values else []
    if not values:
        raise ValidationError(f"「{name}」是空的：第 1 行应为列名 {'、'.join(REQUIRED)}")
    header = values[0]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationError(
            f"「{name}」第 1 行缺少列：{'、'.join(missing)}（应有 {'、'.join(REQUIRED)}）"
        )
    rows = [
        dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)) for row in values[1:]
    ]
    return ListFile(name, rows, hashlib.sha256(data).hexdigest())


def _date(text: str) -> date:
    """YYYY-MM-DD, or YYYY/M/D as a spreadsheet writes it."""
    try:
        if "/" in text:
            year, month, day = (int(p) for p in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"「{text}」不是日期，应为 YYYY-MM-DD") from None


def check_row(line: int, raw: dict[str, str]) -> tuple[Row | None, list[str]]:
    """The row checked, or None and every problem in it, each naming its row and column."""
    problems: list[str] = []

    def field(column: str, parse):
        text = (raw.get(column) or "").strip()
        try:
            return parse(text)
        except PubreviewError as exc:
            problems.append(f"第 {line} 行「{column}」：{exc}")
            return None

    def required(text: str) -> str:
        if not text:
            raise ValidationError("未填写")
        return text

    received_on = field(RECEIVED, lambda t: store.check_day(_date(required(t)), "收到日期"))
    channel = field(CHANNEL, lambda t: receipt.channel_of(required(t)))
    applicant = field(APPLICANT, lambda t: receipt.applicant_type_of(required(t)))
    key = field(OUTCOME, lambda t: outcome.outcome_row(t).key if t else None)
    replied_on = field(REPLIED, lambda t: store.check_day(_date(t), "答复日期") if t else None)
    content = field(
        CONTENT, lambda t: store.text_of(t, "申请内容", required=False, limit=store.CONTENT_LIMIT)
    )
    has_outcome = (raw.get(OUTCOME) or "").strip() != ""
    has_reply = (raw.get(REPLIED) or "").strip() != ""
    if has_outcome != has_reply:
        column = REPLIED if has_outcome else OUTCOME
        problems.append(
            f"第 {line} 行「{column}」：办理结果和答复日期应同时填写（仍在办理的申请两者都不填）"
        )
    if received_on and replied_on and replied_on < received_on:
        problems.append(
            f"第 {line} 行「{REPLIED}」：答复日期（{replied_on.isoformat()}）"
            f"不能早于收到日期（{received_on.isoformat()}）"
        )
    if problems:
        return None, problems
    return Row(line, received_on, channel, applicant, key, replied_on, content or NO_CONTENT), []


def _check_open(row: Row, cal: WorkCalendar) -> tuple[date | None, str | None]:
    """The row's deadline (20 working days), or the problem computing it."""
    try:
        return cal.add(row.received_on, deadlines.REPLY_DAYS), None
    except PubreviewError as exc:  # a year the calendar data does not cover
        if row.outcome is not None:
            return None, None  # answered long ago: the deadline is not needed to count it
        return None, f"第 {row.line} 行「{RECEIVED}」：{exc}"


@dataclass(frozen=True)
class Checked:
    """Every row of a list checked: the rows to load (with their deadlines), or the problems."""

    listed: ListFile
    rows: list[tuple[Row, date | None]]
    problems: list[str]  # each names its row and column; any one means nothing is loaded

    def refusal(self) -> ValidationError:
        """The error that says what to fix, every problem named (the first 50 in full)."""
        shown = "；".join(self.problems[:50])
        more = f"；另有 {len(self.problems) - 50} 处" if len(self.problems) > 50 else ""
        return ValidationError(
            f"「{self.listed.name}」有 {len(self.problems)} 处错误，未导入任何申请：{shown}{more}"
        )


def check_list(
    session: Session, listed: ListFile, *, actor: str, cal: WorkCalendar | None = None
) -> Checked:
    """Check every row against the rules and the closed years; writes nothing."""
    access.handler(session, actor)
    already = session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.kind == LedgerKind.REQUEST_RECEIVED)
        .where(LedgerEntry.comment.like(f"%{listed.mark}%"))
    )
    if already:
        raise DecisionRefused(f"「{listed.name}」已经导入过（{already} 件），不能重复导入")
    if not listed.rows:
        raise ValidationError(f"「{listed.name}」除列名外没有数据行")
    cal = cal or calendar.load()
    checked: list[tuple[Row, date | None]] = []
    problems: list[str] = []
    for line, raw in enumerate(listed.rows, start=2):
        row, found = check_row(line, raw)
        if row is not None:
            due_on, gap = _check_open(row, cal)
            found += [gap] if gap else []
            for on, label in ((row.received_on, RECEIVED), (row.replied_on, REPLIED)):
                if on is not None and years.closed(session, on.year) is not None:
                    found.append(f"第 {line} 行「{label}」：{on.year} 年已办理年度结转")
            if not found:
                checked.append((row, due_on))
        problems += found
    return Checked(listed, checked, problems)


def load(session: Session, checked: Checked, *, actor: str) -> list[int]:
    """Load a list checked without problems (their new numbers)."""
    if checked.problems:
        raise checked.refusal()
    person = access.handler(session, actor)
    name, mark = checked.listed.name, checked.listed.mark
    return [
        _load(session, row, due_on, person.username, f"自「{name}」第 {row.line} 行导入（{mark}）")
        for row, due_on in checked.rows
    ]


def import_list(
    session: Session, listed: ListFile, *, actor: str, cal: WorkCalendar | None = None
) -> list[int]:
    """Load the list's requests (their new numbers); ValidationError listing every problem."""
    return load(session, check_list(session, listed, actor=actor, cal=cal), actor=actor)


def _load(session: Session, row: Row, due_on: date | None, actor: str, comment: str) -> int:
    req = DisclosureRequest(
        channel=row.channel,
        applicant_type=row.applicant_type,
        content=row.content,
        arrived_on=row.received_on,
        received_on=row.received_on,
        clock_from=row.received_on,
        status=RequestStatus.CLOSED if row.outcome else RequestStatus.OPEN,
        due_on=due_on,
        extension_days=0,
        excluded_days=0,
        outcome=row.outcome,
        closed_on=row.replied_on,
        registered_by=actor,
    )
    session.add(req)
    session.flush()
    entries.record(
        session,
        entries.Received(
            request_id=req.id,
            channel=row.channel.value,
            applicant_type=row.applicant_type.value,
            arrived_on=row.received_on,
            received_on=row.received_on,
            basis=store.BASIS[row.channel.value],
            due_on=due_on,
            personal_digest=entries.digest(None, None, row.content),
        ),
        actor=actor,
        comment=comment,
    )
    if row.outcome is not None:
        overdue = due_on is not None and row.replied_on > due_on
        entries.record(
            session,
            entries.Closed(req.id, row.outcome, row.replied_on, due_on, overdue),
            actor=actor,
            outcome=row.outcome,
            comment=comment,
        )
    return req.id
