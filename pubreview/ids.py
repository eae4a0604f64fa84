"""Record numbers as people type them: only numbers every ledger database can hold.

An id, year or count beyond PostgreSQL's `integer` used to reach the database and come back as
a traceback (OverflowError on SQLite, DataError on PostgreSQL); the command line and the web
app check against this one range first, so both backends refuse the same numbers the same way.
"""

from __future__ import annotations

import re

MAX_NUMBER = 2**31 - 1  # PostgreSQL's integer; SQLite's is wider
_INTEGER = re.compile(r"[+-]?[0-9]+")


def in_range(value: int) -> bool:
    """Whether a number fits every column and argument that takes one."""
    return -MAX_NUMBER <= value <= MAX_NUMBER


def out_of_range(text: str) -> bool:
    """Whether typed text is a whole number too large to be any record's."""
    return bool(_INTEGER.fullmatch(text.strip())) and not in_range(int(text))
