"""The screen before 初审: confidentiality (保密预审) and 错敏 (lexicon, leader list, links).

`columns` (栏目 health) and `rescan` (the live archive against changed lists) are imported
by name: they read the ledger.
"""

from pubreview.screening.findings import BLOCK, WARN, Finding, ScreeningResult, Severity
from pubreview.screening.links import Site
from pubreview.screening.negative_list import DEFAULT_NEGATIVE_LIST
from pubreview.screening.screen import (
    ScreeningLists,
    load_lists,
    screen_document,
    screen_files,
    screen_text,
    screen_with,
)

__all__ = [
    "BLOCK",
    "DEFAULT_NEGATIVE_LIST",
    "WARN",
    "Finding",
    "ScreeningLists",
    "ScreeningResult",
    "Severity",
    "Site",
    "load_lists",
    "screen_document",
    "screen_files",
    "screen_text",
    "screen_with",
]
