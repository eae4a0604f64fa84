"""The time one file may take to screen (PUBREVIEW_SCREEN_SECONDS_PER_FILE).

The readers ask between pages, paragraphs, rows and parts, so a file that would take minutes is
refused a moment after its budget runs out, without a thread to kill or a process to start.
One step the readers cannot split (a parser opening the file, one page's text) is not cut
short; it is measured when it returns.
"""

from __future__ import annotations

import math
import time

from pubreview import settings
from pubreview.errors import LimitExceeded


class ScreeningTooSlow(LimitExceeded):
    """A file whose screening ran past its time budget: refused, never passed as unread."""


class TimeBudget:
    """A deadline for screening one file; `check()` refuses the file once it has passed."""

    def __init__(self, filename: str, seconds: float | None = None) -> None:
        self.filename = filename
        self.seconds = settings.load().screen_seconds_per_file if seconds is None else seconds
        start = time.monotonic()
        self._deadline = start + self.seconds if self.seconds > 0 else math.inf

    @classmethod
    def unlimited(cls, filename: str = "") -> TimeBudget:
        """A budget that never runs out (a reader called on its own)."""
        return cls(filename, 0)

    def check(self) -> None:
        """Raise ScreeningTooSlow, naming the file, when the budget has run out."""
        if time.monotonic() > self._deadline:
            raise ScreeningTooSlow(
                f"附件“{self.filename}”筛查超过 {self.seconds:g} 秒仍未完成，未予接收："
                "请拆分文件，或删去不需发布的页、表后再上传",
                field="attachments",
            )
