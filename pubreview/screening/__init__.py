"""Confidentiality pre-screen (保密预审): a machine's first look before the section head's 初审."""

from pubreview.screening.findings import BLOCK, WARN, Finding, ScreeningResult, Severity
from pubreview.screening.negative_list import DEFAULT_NEGATIVE_LIST
from pubreview.screening.screen import screen_document, screen_files, screen_text

__all__ = [
    "BLOCK",
    "DEFAULT_NEGATIVE_LIST",
    "WARN",
    "Finding",
    "ScreeningResult",
    "Severity",
    "screen_document",
    "screen_files",
    "screen_text",
]
