"""The office's negative list (负面清单): terms and patterns with a reason and a severity."""

from __future__ import annotations

import re
from collections.abc import Iterator
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
    """Every match of every negative-list entry."""
    for entry in entries:
        for m in entry.regex.finditer(text):
            if m.end() > m.start():  # a pattern that can match nothing must not flood
                yield Hit(
                    m.start(), m.end(), "negative_list", entry.severity, f"负面清单：{entry.reason}"
                )
