"""Personal data in a report's text: applicants' names, ID numbers and phone numbers.

A published report (or the supplement a generated one is made from) must not name an
applicant nor print their ID or phone number (issue 14). Three sources, each reported once
per paragraph and value:
- the names of applicants the request ledger holds (exact text, two characters or more);
- the screening detectors for resident ID numbers (18- and 15-digit, spaced) and mobile
  numbers (`pubreview.screening.detectors`, decided by python-stdnum and phonenumbers);
- name patterns after a private role word (申请人黄某某 …, `checks.NAME_PATTERNS`).
A finding shows the value masked, so the check's own output does not spread it further.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.requests import DisclosureRequest
from pubreview.screening import detectors
from pubreview.screening.findings import WARN

NUMBER_DETECTORS = (
    detectors.find_resident_ids,
    detectors.find_spaced_ids,
    detectors.find_old_resident_ids,
    detectors.find_mobiles,
)
MIN_NAME = 2  # a one-character "name" would match everywhere


@dataclass(frozen=True)
class Finding:
    """One piece of personal data in one paragraph."""

    where: str
    what: str  # 申请人姓名, 居民身份证号码 …
    shown: str  # the value, masked
    # A mobile may be the office's published duty number: a warning (privacy.allow passes it).
    severity: str = "error"

    @property
    def message(self) -> str:
        """The finding in words, naming what to do."""
        hint = (
            "（如属公开的办事电话，列入补充材料 privacy.allow）"
            if self.severity == "warning"
            else ""
        )
        return (
            f"含有个人信息：{self.what}「{self.shown}」：公开报告不得出现申请人等私人的个人信息，"
            f"请删除{hint}"
        )


def applicant_names(session: Session) -> tuple[str, ...]:
    """Every applicant name the request ledger holds (longest first, so none hides another)."""
    name = func.trim(DisclosureRequest.applicant_name)
    found = session.scalars(
        select(name).where(DisclosureRequest.applicant_name.is_not(None)).distinct()
    ).all()
    return tuple(sorted({n for n in found if n and len(n) >= MIN_NAME}, key=len, reverse=True))


def mask_name(name: str) -> str:
    """黄耀锋 → 黄*锋, 王五 → 王*: enough to find it, not enough to spread it."""
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def find(
    paragraphs: Iterable[tuple[str, str]], names: Iterable[str] = (), allow: Iterable[str] = ()
) -> Iterator[Finding]:
    """Personal data in (where, text) paragraphs; values in `allow` pass."""
    names, allowed = tuple(names), set(allow)
    for where, text in paragraphs:
        seen: set[str] = set()
        for name in names:
            if name in text and name not in allowed and name not in seen:
                seen.add(name)
                yield Finding(where, "申请人姓名（依申请公开台帐登记）", mask_name(name))
        for detector in NUMBER_DETECTORS:
            for hit in detector(text):
                value = text[hit.start : hit.end]
                if value in seen or value in allowed:
                    continue
                seen.add(value)
                what = "手机号码" if hit.detector.startswith("mobile") else "居民身份证号码"
                severity = "warning" if hit.severity == WARN else "error"
                shown = hit.masked or detectors.mask_middle(value, 3, 2)
                yield Finding(where, what, shown, severity)
