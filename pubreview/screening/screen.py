"""Screen a submission or files on disk; pure: no database, no Prefect.

One screen is the confidentiality pre-check (markings, personal numbers, the negative list)
and the 错敏 check (the lexicon, the leader list, links) over the same text, in one
Aho-Corasick pass plus the few regular expressions that run only where that pass says.
"""

from __future__ import annotations

import bisect
import datetime
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path, PurePath

from pubreview import inputs
from pubreview.errors import LimitExceeded, ValidationError
from pubreview.screening import leaders as leader_list
from pubreview.screening import lexicon as errata
from pubreview.screening.budget import TimeBudget
from pubreview.screening.detectors import EMAIL_TRIGGER, MARKING_TRIGGERS, find_in_text
from pubreview.screening.extract import extract, is_screenable
from pubreview.screening.findings import Finding, Hit, ScreeningResult
from pubreview.screening.leaders import LeaderList, find_leader_errors, load_leaders
from pubreview.screening.lexicon import DEFAULT_LEXICON, Lexicon, find_errata, load_lexicon
from pubreview.screening.links import TRIGGERS as LINK_TRIGGERS
from pubreview.screening.links import Site, default_site, find_links
from pubreview.screening.negative_list import NegativeEntry, NegativePlan, load_negative_list
from pubreview.screening.scanner import Match, Scanner

# Characters of context shown on each side of a finding in its excerpt.
EXCERPT_CONTEXT = 15

# Full-width digits, letters and the signs numbers and addresses use (０-９, ＠, ＋ …) are
# mapped to ASCII one for one, so offsets stay valid and "１３８…" is still a mobile.
# Full-width punctuation (，：（） …) is left alone: negative-list terms are written with it.
_FOLDED = "+-.@0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TO_ASCII = {ord(ch) + 0xFEE0: ord(ch) for ch in _FOLDED}
_FULL_WIDTH = tuple(map(chr, _TO_ASCII))


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


class ScreeningLists:
    """Everything a screen matches against, compiled once into one scanner."""

    def __init__(
        self,
        negative: Iterable[NegativeEntry] = (),
        lexicon: Lexicon | None = None,
        leaders: LeaderList | None = None,
    ) -> None:
        self.negative = tuple(negative)
        self.lexicon = lexicon
        self.leaders = leaders
        self._negative = NegativePlan.of(self.negative)
        # The scanner notices full-width forms too: folding costs a pass only where needed.
        keys = [("full_width", ch) for ch in _FULL_WIDTH]
        keys += [("marking", t) for t in MARKING_TRIGGERS]
        keys += [("email", EMAIL_TRIGGER)] + [("link", t) for t in LINK_TRIGGERS]
        keys += [("negative", prefix) for prefix in self._negative.by_prefix]
        if lexicon is not None:
            keys += [("erratum", wrong) for wrong in lexicon.errata]
        if leaders is not None:
            keys += leaders.keys()
        self.scanner = Scanner(keys)

    def hits(
        self, text: str, site: Site | None, written_on: datetime.date | None = None
    ) -> tuple[str, _Lines, list[Hit]]:
        """The text with full-width forms folded (same length), its lines, and every hit."""
        found = self.scanner.scan(text)
        if "full_width" in found:
            text = text.translate(_TO_ASCII)
            found = self.scanner.scan(text)
        lines = _Lines(text)
        hits = list(find_in_text(text, found.get("marking", ()), lines.around(found.get("email"))))
        hits += self._negative.hits(text, found.get("negative", ()))
        if self.lexicon is not None:
            hits += find_errata(text, self.lexicon, found.get("erratum", ()))
        if self.leaders is not None:
            hits += find_leader_errors(text, self.leaders, found, written_on)
        hits += find_links(text, site, lines.around(found.get("link")))
        return text, lines, hits


class _Lines:
    """Where the lines of a text start and end."""

    def __init__(self, text: str) -> None:
        self.size = len(text)
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def index(self, offset: int) -> int:
        """The 0-based line an offset is on."""
        return bisect.bisect_left(self.newlines, offset)

    def span(self, line: int) -> tuple[int, int]:
        """(start, end) of a 0-based line, without its newline."""
        start = self.newlines[line - 1] + 1 if line else 0
        end = self.newlines[line] if line < len(self.newlines) else self.size
        return start, end

    def around(self, matches: Iterable[Match] | None) -> list[tuple[int, int]]:
        """The spans of the lines the matches are on, each once, in order."""
        return [self.span(n) for n in sorted({self.index(s) for _, s, _ in matches or ()})]


Stamp = tuple[str, int, int, int]


def _stamp(path: Path) -> Stamp:
    """A file's identity for caching: a saved edit changes it (an edit replaces the file, so
    its inode changes even when two edits of the same size fall in one clock tick)."""
    try:
        info = os.stat(path)
    except OSError:
        return (str(path), -1, -1, -1)  # the loader reports the missing file
    return (str(path), info.st_mtime_ns, info.st_size, info.st_ino)


@lru_cache(maxsize=8)
def _lexicon(stamp: Stamp, office: Stamp) -> Lexicon:
    return load_lexicon(Path(stamp[0]), office=Path(office[0]))


@lru_cache(maxsize=8)
def _leaders(stamp: Stamp) -> LeaderList:
    return load_leaders(Path(stamp[0]))


@lru_cache(maxsize=8)
def _compiled(
    negative: tuple[NegativeEntry, ...], lexicon: Stamp, office: Stamp, leaders: Stamp
) -> ScreeningLists:
    return ScreeningLists(negative, _lexicon(lexicon, office), _leaders(leaders))


def load_lists(
    negative: Iterable[NegativeEntry] | None = None,
    *,
    negative_list_path: Path | None = None,
    lexicon_path: Path | None = None,
    leaders_path: Path | None = None,
) -> ScreeningLists:
    """The office's lists, compiled; reloaded when a file changes, else reused.

    The lexicon is the shipped one (or `lexicon_path`) with the office's additions
    (PUBREVIEW_ERRATA_OFFICE); the leader list is PUBREVIEW_LEADERS unless `leaders_path`.
    Raises ValidationError naming the file and line for a missing or malformed list.
    """
    entries = tuple(negative if negative is not None else load_negative_list(negative_list_path))
    return _compiled(
        entries,
        _stamp(lexicon_path or DEFAULT_LEXICON),
        _stamp(errata.office_path()),
        _stamp(leaders_path or leader_list.default_path()),
    )


def screen_text(
    location: str,
    text: str,
    negative: list[NegativeEntry] | ScreeningLists,
    *,
    site: Site | None = None,
    written_on: datetime.date | None = None,
) -> list[Finding]:
    """Every finding in one text, in reading order, with masked excerpts.

    `negative` is either the negative list (then the office's lexicon and leader list are
    loaded beside it) or lists already loaded with `load_lists`. Links to our own site are
    checked against `site`; without one they are listed as unchecked. `written_on` is
    the publication day of a text already published (see `find_leader_errors`).
    """
    lists = negative if isinstance(negative, ScreeningLists) else load_lists(negative)
    text, lines, hits = lists.hits(text, site, written_on)
    if not hits:
        return []
    hits.sort(key=lambda h: (h.start, h.end, h.detector))
    shown = _masked(text, hits)
    findings = []
    for hit in hits:
        line = lines.index(hit.start)
        line_start, line_end = lines.span(line)
        start = max(line_start, hit.start - EXCERPT_CONTEXT)
        end = min(line_end, hit.end + EXCERPT_CONTEXT)
        excerpt = (
            ("…" if start > line_start else "")
            + shown[start:end].strip()
            + ("…" if end < line_end else "")
        )
        findings.append(
            Finding(
                hit.detector, hit.severity, hit.reason, location, line + 1, excerpt, hit.suggestion
            )
        )
    return findings


def _screen_attachment(
    result: ScreeningResult,
    name: str,
    data: bytes,
    lists: ScreeningLists,
    site: Site | None,
    written_on: datetime.date | None = None,
) -> None:
    """Add one attachment's findings; raises ValidationError when its content is unreadable.

    Raises ScreeningTooSlow (naming the file) when reading and matching it outlast the
    per-file budget (PUBREVIEW_SCREEN_SECONDS_PER_FILE).
    """
    if not is_screenable(name):
        result.not_screened[name] = "文件类型不支持文本提取，未筛查，请人工审查"
        return
    budget = TimeBudget(PurePath(name).name)
    extracted = extract(name, data, budget)
    for location, text in extracted.parts:
        budget.check()
        result.findings += screen_text(location, text, lists, site=site, written_on=written_on)
    budget.check()  # the last part's matching counts too
    if extracted.gaps:
        result.not_screened[name] = "部分未筛查，请人工审查：" + "；".join(extracted.gaps)


def screen_with(
    lists: ScreeningLists,
    title: str,
    body: str,
    attachments: Iterable[tuple[str, bytes]],
    *,
    site: Site | None,
    written_on: datetime.date | None = None,
) -> ScreeningResult:
    """Screen title, body and attachments against lists already loaded (see `screen_document`)."""
    result = ScreeningResult()
    for location, text in (("title", title), ("body", body)):
        result.findings += screen_text(location, text, lists, site=site, written_on=written_on)
    for name, data in attachments:
        try:
            _screen_attachment(result, name, data, lists, site, written_on)
        except LimitExceeded:
            raise  # a zip bomb or a file too slow to screen is refused, not passed as "unread"
        except ValidationError as exc:
            result.not_screened[name] = f"无法读取，未筛查，请人工审查：{exc}"
    return result


def screen_document(
    title: str,
    body: str,
    attachments: list[tuple[str, bytes]],
    negative_list_path: Path | None = None,
    *,
    lexicon_path: Path | None = None,
    leaders_path: Path | None = None,
    site: Site | None = None,
) -> ScreeningResult:
    """Screen a submission: title, body and each (filename, content) attachment.

    Links to the office's site are checked against `site` (default: the built site).
    An attachment that cannot be read is listed in `not_screened`, never skipped silently.
    Raises ValidationError only for a missing or malformed list (negative list, lexicon,
    leader list), naming the file and line, and LimitExceeded for more attachments than a
    revision may carry, a zip bomb (ArchiveRefused) or a file too slow to screen.
    """
    inputs.check_attachment_count(len(attachments))
    lists = load_lists(
        negative_list_path=negative_list_path, lexicon_path=lexicon_path, leaders_path=leaders_path
    )
    return screen_with(lists, title, body, attachments, site=site or default_site())


def screen_files(
    paths: Iterable[str | Path],
    negative_list_path: Path | None = None,
    *,
    lexicon_path: Path | None = None,
    leaders_path: Path | None = None,
    site: Site | None = None,
) -> ScreeningResult:
    """Screen files on disk, each under its path as given (for `pubreview screen`).

    Raises ValidationError naming the file when one cannot be read or parsed, because a
    draft the submitter believes was checked must not pass unread.
    """
    lists = load_lists(
        negative_list_path=negative_list_path, lexicon_path=lexicon_path, leaders_path=leaders_path
    )
    site = site or default_site()
    result = ScreeningResult()
    for path in paths:
        name = str(path)
        try:
            data = Path(path).read_bytes()
            _screen_attachment(result, name, data, lists, site)
        except LimitExceeded:
            raise  # its message already names the file and says what to do
        except (OSError, ValidationError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise ValidationError(f"cannot read {name}: {reason}") from exc
    return result
