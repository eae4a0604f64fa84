"""Screen a submission or files on disk; pure: no database, no Prefect."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from pathlib import Path

from pubreview.errors import ValidationError
from pubreview.screening.detectors import BUILT_IN
from pubreview.screening.extract import extract_parts, is_screenable
from pubreview.screening.findings import Finding, Hit, ScreeningResult
from pubreview.screening.negative_list import NegativeEntry, find_negative, load_negative_list

# Characters of context shown on each side of a finding in its excerpt.
EXCERPT_CONTEXT = 15

# Full-width digits, letters and the signs numbers and addresses use (０-９, ＠, ＋ …) are
# mapped to ASCII one for one, so offsets stay valid and "１３８…" is still a mobile.
# Full-width punctuation (，：（） …) is left alone: negative-list terms are written with it.
_FOLDED = "+-.@0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TO_ASCII = {ord(ch) + 0xFEE0: ord(ch) for ch in _FOLDED}
_FULL_WIDTH = re.compile("[" + "".join(map(chr, _TO_ASCII)) + "]")


def _normalise(text: str) -> str:
    """Text with full-width ASCII forms folded, same length; untouched when there are none."""
    return text.translate(_TO_ASCII) if _FULL_WIDTH.search(text) else text


def _masked(text: str, hits: list[Hit]) -> str:
    """The text with every personal number replaced by its mask (same length)."""
    pieces, at = [], 0
    for hit in sorted((h for h in hits if h.masked is not None), key=lambda h: h.start):
        if hit.start < at:  # overlapping masks: the earlier one already covers it
            continue
        pieces += [text[at : hit.start], hit.masked]
        at = hit.end
    pieces.append(text[at:])
    return "".join(pieces)


def screen_text(location: str, text: str, negative: list[NegativeEntry]) -> list[Finding]:
    """Every finding in one text, in reading order, with masked excerpts."""
    text = _normalise(text)
    hits = [hit for detector in BUILT_IN for hit in detector(text)]
    hits += find_negative(text, negative)
    if not hits:
        return []
    hits.sort(key=lambda h: (h.start, h.end, h.detector))
    shown = _masked(text, hits)
    newlines = [m.start() for m in re.finditer("\n", text)]
    findings = []
    for hit in hits:
        line = bisect.bisect_left(newlines, hit.start)
        line_start = newlines[line - 1] + 1 if line else 0
        line_end = newlines[line] if line < len(newlines) else len(text)
        start = max(line_start, hit.start - EXCERPT_CONTEXT)
        end = min(line_end, hit.end + EXCERPT_CONTEXT)
        excerpt = (
            ("…" if start > line_start else "")
            + shown[start:end].strip()
            + ("…" if end < line_end else "")
        )
        findings.append(
            Finding(hit.detector, hit.severity, hit.reason, location, line + 1, excerpt)
        )
    return findings


def _screen_attachment(
    result: ScreeningResult, name: str, data: bytes, negative: list[NegativeEntry]
) -> None:
    """Add one attachment's findings; raises ValidationError when its content is unreadable."""
    if not is_screenable(name):
        result.not_screened[name] = "文件类型不支持文本提取，未筛查，请人工审查"
        return
    for location, text in extract_parts(name, data):
        result.findings += screen_text(location, text, negative)


def screen_document(
    title: str,
    body: str,
    attachments: list[tuple[str, bytes]],
    negative_list_path: Path | None = None,
) -> ScreeningResult:
    """Screen a submission: title, body and each (filename, content) attachment.

    An attachment that cannot be read is listed in `not_screened`, never skipped silently.
    Raises ValidationError only for a missing or malformed negative list.
    """
    negative = load_negative_list(negative_list_path)
    result = ScreeningResult()
    result.findings += screen_text("title", title, negative)
    result.findings += screen_text("body", body, negative)
    for name, data in attachments:
        try:
            _screen_attachment(result, name, data, negative)
        except ValidationError as exc:
            result.not_screened[name] = f"无法读取，未筛查，请人工审查：{exc}"
    return result


def screen_files(
    paths: Iterable[str | Path], negative_list_path: Path | None = None
) -> ScreeningResult:
    """Screen files on disk, each under its path as given (for `pubreview screen`).

    Raises ValidationError naming the file when one cannot be read or parsed, because a
    draft the submitter believes was checked must not pass unread.
    """
    negative = load_negative_list(negative_list_path)
    result = ScreeningResult()
    for path in paths:
        name = str(path)
        try:
            data = Path(path).read_bytes()
            _screen_attachment(result, name, data, negative)
        except (OSError, ValidationError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ValidationError(f"cannot read {name}: {reason}") from exc
    return result
