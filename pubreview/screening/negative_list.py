"""The office's negative list (负面清单): terms and patterns with a reason and a severity."""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from pubreview.errors import ValidationError
from pubreview.screening.findings import BLOCK, WARN, Hit, Severity
from pubreview.settings import PROJECT_ROOT

DEFAULT_NEGATIVE_LIST = PROJECT_ROOT / "config" / "negative-list.yaml"


@dataclass(frozen=True)
class NegativeEntry:
    """One entry of the negative list: what to look for, why, and how serious."""

    regex: re.Pattern[str]
    reason: str
    severity: Severity

    def hit(self, start: int, end: int) -> Hit:
        """The finding for one match of this entry."""
        return Hit(start, end, "negative_list", self.severity, f"负面清单：{self.reason}")


def _entry(raw: object, index: int, path: Path) -> NegativeEntry:
    """One validated entry; a malformed one is refused with its position in the file."""
    where = f"{path}: entry {index + 1}"
    if not isinstance(raw, dict):
        raise ValidationError(f"{where}: expected a mapping with term or pattern")
    unknown = set(raw) - {"term", "pattern", "reason", "severity"}
    if unknown:
        raise ValidationError(f"{where}: unknown keys {sorted(unknown)}")
    if ("term" in raw) == ("pattern" in raw):
        raise ValidationError(f"{where}: give exactly one of term or pattern")
    reason, severity = raw.get("reason"), raw.get("severity")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(f"{where}: a reason is required")
    if severity not in (BLOCK, WARN):
        raise ValidationError(f"{where}: severity must be block or warn, not {severity!r}")
    text = raw.get("term", raw.get("pattern"))
    if not isinstance(text, str) or not text:
        raise ValidationError(f"{where}: term or pattern must be a non-empty string")
    try:
        regex = re.compile(re.escape(text) if "term" in raw else text)
    except re.error as exc:
        raise ValidationError(f"{where}: bad pattern {text!r}: {exc}") from exc
    return NegativeEntry(regex, reason.strip(), severity)


def load_negative_list(path: Path | None = None) -> list[NegativeEntry]:
    """Read and check the negative list YAML (`entries:` of term|pattern, reason, severity)."""
    path = path or DEFAULT_NEGATIVE_LIST
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(f"cannot read negative list {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ValidationError(f"{path}: expected a top-level 'entries:' list")
    return [_entry(raw, i, path) for i, raw in enumerate(data["entries"])]


def find_negative(text: str, entries: list[NegativeEntry]) -> Iterator[Hit]:
    """Every match of every negative-list entry, one regular expression pass per entry."""
    for entry in entries:
        for m in entry.regex.finditer(text):
            if m.end() > m.start():  # a pattern that can match nothing must not flood
                yield entry.hit(m.start(), m.end())


# --- one pass for the whole list ---------------------------------------------------------

# Beyond this many literal prefixes an entry is searched on its own (a pass of its own).
MAX_PREFIXES = 256
# A character class of up to this many characters still extends a prefix ([:：]).
MAX_CLASS = 4


def _extend(prefixes: set[str], items: list) -> tuple[set[str], bool]:
    """The prefixes after matching `items`, and whether all of `items` was literal."""
    for op, av in items:
        if op is sre.LITERAL:
            prefixes = {p + chr(av) for p in prefixes}
        elif op is sre.IN and len(av) <= MAX_CLASS and all(o is sre.LITERAL for o, _ in av):
            prefixes = {p + chr(c) for p in prefixes for _, c in av}
        elif op is sre.SUBPATTERN and not av[1] & re.IGNORECASE:
            prefixes, complete = _extend(prefixes, list(av[3]))
            if not complete:
                return prefixes, False
        elif op is sre.BRANCH:
            results = [_extend(prefixes, list(alt)) for alt in av[1]]
            prefixes = set().union(*(r[0] for r in results))
            if not all(r[1] for r in results):
                return prefixes, False
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
            # At least one repetition is required: its prefixes are required too.
            return _extend(prefixes, list(av[2]))[0], False
        else:
            return prefixes, False
        if len(prefixes) > MAX_PREFIXES:
            return prefixes, False
    return prefixes, True


def literal_prefixes(regex: re.Pattern[str]) -> frozenset[str] | None:
    """Texts one of which every match of `regex` starts with, or None when there are none.

    This lets the scanner's one Aho-Corasick pass find where an entry can match; the entry's
    own expression is then tried only there.
    """
    if regex.flags & re.IGNORECASE:
        return None
    prefixes, _ = _extend({""}, list(sre_parse.parse(regex.pattern).data))
    if not prefixes or "" in prefixes or len(prefixes) > MAX_PREFIXES:
        return None
    return frozenset(prefixes)


@dataclass(frozen=True)
class NegativePlan:
    """How the screen finds a list's matches: by prefix from the one pass, or one pass each."""

    by_prefix: dict[str, tuple[NegativeEntry, ...]]
    searched: tuple[NegativeEntry, ...]  # entries with no usable prefix

    @classmethod
    def of(cls, entries: Iterable[NegativeEntry]) -> NegativePlan:
        """Split the entries by whether they have literal prefixes."""
        by_prefix: dict[str, list[NegativeEntry]] = {}
        searched = []
        for entry in entries:
            prefixes = literal_prefixes(entry.regex)
            if prefixes is None:
                searched.append(entry)
                continue
            for prefix in prefixes:
                by_prefix.setdefault(prefix, []).append(entry)
        return cls({k: tuple(v) for k, v in by_prefix.items()}, tuple(searched))

    def hits(self, text: str, matches: Iterable[tuple[str, int, int]]) -> Iterator[Hit]:
        """The entries' matches, given where the scanner found their prefixes."""
        # As finditer would: an entry's match never starts inside its previous match.
        reach: dict[int, int] = {}
        for prefix, start, _ in sorted(matches, key=lambda m: m[1]):
            for entry in self.by_prefix[prefix]:
                if start < reach.get(id(entry), 0):
                    continue
                m = entry.regex.match(text, start)
                if m is not None and m.end() > m.start():
                    reach[id(entry)] = m.end()
                    yield entry.hit(start, m.end())
        yield from find_negative(text, list(self.searched))
