"""The input boundary shared by the command line and the web app: numbers and typed text.

An id beyond PostgreSQL's `integer` used to reach the database and come back as a traceback
(OverflowError on SQLite, DataError on PostgreSQL), and a NUL in a field a DataError on
PostgreSQL only. Both entry points check here first, so both backends refuse the same input
the same way. Text decision: control characters (NUL, ESC, BEL, …; tab and line breaks are
fine) and the bidi overrides that reorder what a reader sees (U+202A–E, U+2066–9) are refused
in every typed field, never silently stripped, so what is recorded is what was typed.
"""

from __future__ import annotations

import re

MAX_NUMBER = 2**31 - 1  # PostgreSQL's integer; SQLite's is wider
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
    if one_line and ("\n" in text or "\r" in text):
        return "不能换行，请写在一行内"
    if _UNDECODED.search(text):
        return "含有无法识别的字节（不是 UTF-8 编码的文字），请改用 UTF-8 后重新输入"
    if _CONTROL.search(text):
        return "含有不可见的控制字符（如 NUL、ESC），请删除后重新填写"
    if _BIDI.search(text):
        return "含有改变文字显示方向的字符（如 U+202E），请删除后重新填写"
    return None


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Stored text made safe for one line of a terminal: controls and bidi shown as escapes."""
    # Older entries (and other routes in) may hold them: a newline would forge a status line,
    # an ESC sequence would drive the terminal.
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)


def terminal_safe(text: str) -> str:
    """Output for a terminal: every control but newline and tab shown as an escape."""
    return "\n".join("\t".join(printable(p) for p in line.split("\t")) for line in text.split("\n"))
