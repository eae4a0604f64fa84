"""The input boundary shared by the command line and the web app: numbers and typed text.

An id beyond PostgreSQL's `integer` used to reach the database and come back as a traceback
(OverflowError on SQLite, DataError on PostgreSQL), and a NUL in a field a DataError on
PostgreSQL only. Both entry points check here first, so both backends refuse the same input
the same way. Text decision: control characters (NUL, ESC, BEL, …; tab and line breaks are
fine) and the bidi overrides that reorder what a reader sees (U+202A–E, U+2066–9) are refused
in every typed field, never silently stripped, so what is recorded is what was typed.

Sizes are bounded here too: one typed value (a body is the largest) at `MAX_TEXT_BYTES`,
whether it is typed into the web form, given as an argument or read from a file
(`read_text_file`, the command line's `--body-file`), and the attachments of one revision at
PUBREVIEW_MAX_ATTACHMENTS (`check_attachment_count`, asked by the screen both entry points run).
"""

from __future__ import annotations

import re
from pathlib import Path

from pubreview import settings
from pubreview.errors import LimitExceeded, ValidationError

MAX_NUMBER = 2**31 - 1  # PostgreSQL's integer; SQLite's is wider
# One typed value: four megabytes is far beyond any notice (its page, its mail) and still bounded.
MAX_TEXT_BYTES = 4 * 1024 * 1024
_INTEGER = re.compile(r"[+-]?[0-9]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Bytes that were not UTF-8 reach Python as lone surrogates (command-line arguments).
_UNDECODED = re.compile(r"[\ud800-\udfff]")


def in_range(value: int) -> bool:
    """Whether a number fits every column and argument that takes one."""
    return -MAX_NUMBER <= value <= MAX_NUMBER


def out_of_range(text: str) -> bool:
    """Whether typed text is a whole number too large to be any record's."""
    return bool(_INTEGER.fullmatch(text.strip())) and not in_range(int(text))


# Typed fields that are one line wherever they are shown (a status line, a list, a header).
ONE_LINE_FIELDS = frozenset(
    {"title", "user", "username", "name", "email", "unit", "category", "channel", "channels"}
    | {"url", "outlet", "code", "role"}
)


def text_problem(text: str, *, one_line: bool = False) -> str | None:
    """What is wrong with typed text (in Chinese, to follow the field's name), or None."""
    if len(text) * 4 > MAX_TEXT_BYTES and _utf8_size(text) > MAX_TEXT_BYTES:
        return (
            f"有 {_utf8_size(text) / 2**20:.1f} MB，超过上限 {MAX_TEXT_BYTES // 2**20} MB，"
            "请删减或分成几条后再提交"
        )
    if one_line and ("\n" in text or "\r" in text):
        return "不能换行，请写在一行内"
    if _UNDECODED.search(text):
        return "含有无法识别的字节（不是 UTF-8 编码的文字），请改用 UTF-8 后重新输入"
    if _CONTROL.search(text):
        return "含有不可见的控制字符（如 NUL、ESC），请删除后重新填写"
    if _BIDI.search(text):
        return "含有改变文字显示方向的字符（如 U+202E），请删除后重新填写"
    return None


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _line_of(text: str) -> str:
    """Where in a file the first unusable character is, as a reader counts lines."""
    found = _UNDECODED.search(text) or _CONTROL.search(text) or _BIDI.search(text)
    return f"（第 {text.count(chr(10), 0, found.start()) + 1} 行）" if found else ""


def read_text_file(path: Path, label: str, field: str) -> str:
    """A file that stands for one typed value (the command line's body file), checked as typed.

    Refused, naming the field by `label` (e.g. 正文) and the file: a file that cannot be read,
    one over `MAX_TEXT_BYTES`, one not in UTF-8, and one holding what a typed value may not
    (NUL and other control characters, bidi overrides), with the line it is on.
    """
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise ValidationError(
            f"{label}：文件“{path}”无法读取（{exc.strerror or exc}）", field=field
        ) from exc
    if len(data) > MAX_TEXT_BYTES:
        raise ValidationError(
            f"{label}：文件“{path.name}”超过上限 {MAX_TEXT_BYTES // 2**20} MB，"
            "请删减或分成几条后再提交",
            field=field,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{label}：文件“{path.name}”不是 UTF-8 编码的文字（第 {exc.start} 字节起），"
            "请转为 UTF-8 后重试",
            field=field,
        ) from exc
    if problem := text_problem(text):
        raise ValidationError(f"{label}：文件“{path.name}”{problem}{_line_of(text)}", field=field)
    return text


def check_attachment_count(count: int, field: str = "attachments") -> None:
    """Refuse more attachments than one revision may carry (PUBREVIEW_MAX_ATTACHMENTS)."""
    limit = settings.load().max_attachments
    if count > limit:
        raise LimitExceeded(
            f"附件：共 {count} 个，超过上限 {limit} 个，请合并或删减后再提交", field=field
        )


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Stored text made safe for one line of a terminal: controls and bidi shown as escapes."""
    # Older entries (and other routes in) may hold them: a newline would forge a status line,
    # an ESC sequence would drive the terminal.
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)


def terminal_safe(text: str) -> str:
    """Output for a terminal: every control but newline and tab shown as an escape."""
    return "\n".join("\t".join(printable(p) for p in line.split("\t")) for line in text.split("\n"))
