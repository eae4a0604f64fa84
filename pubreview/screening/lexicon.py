"""The 错敏 lexicon: serious errors with their corrections, and fixed political formulas (提法).

The office edits `config/screening/errata.yaml`. Two lists:

- `errors`: a wrong text and the right one (扫黑险恶 → 扫黑除恶, 台湾总统 → 台湾地区领导人);
- `formulas`: a fixed formula written right, from which the screen derives its misspellings —
  each one-character same-pinyin substitution (what an input method types by mistake), the
  known misspellings listed under `variants`, and, for an enumeration given as `parts`, every
  other order of its parts (政治意识、大局意识、核心意识、看齐意识 has one order).

Every entry names its `source` (the national document that fixes the wording, or where the error
was reported), so a reviewer can check the correction and the office can defend it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from pubreview.errors import ValidationError
from pubreview.screening.findings import BLOCK, WARN, Hit, Severity
from pubreview.screening.homophones import one_off
from pubreview.screening.listfile import Entry, read_lists
from pubreview.settings import PROJECT_ROOT

DEFAULT_LEXICON = PROJECT_ROOT / "config" / "screening" / "errata.yaml"

# Shorter formulas have too many ordinary same-pinyin neighbours to be misspellings of them.
MIN_HOMOPHONE_LENGTH = 4
# An enumeration of more parts has too many orders to list (6 parts: 719 wrong orders).
MAX_PARTS = 5
PART_SEPARATOR = "、"

ERROR_KEYS = {"wrong", "right", "reason", "source", "severity", "unless"}
FORMULA_KEYS = {"formula", "source", "severity", "variants", "parts", "homophones", "unless"}


@dataclass(frozen=True)
class Erratum:
    """One wrong text the screen looks for, what to write instead, and on what authority."""

    wrong: str
    right: str
    reason: str
    source: str
    severity: Severity
    kind: str  # "erratum" (a listed error) or "formula" (a misspelt fixed formula)
    line: int  # where the entry is in the lexicon file
    # Longer texts that contain `wrong` and are correct as written (a place name, a quotation).
    unless: tuple[str, ...] = ()

    def allowed_at(self, text: str, start: int) -> bool:
        """True when the match at `start` is part of one of the entry's `unless` texts."""
        for phrase in self.unless:
            at = phrase.find(self.wrong)
            while at >= 0:
                if text.startswith(phrase, start - at):
                    return True
                at = phrase.find(self.wrong, at + 1)
        return False

    def hit(self, start: int, end: int) -> Hit:
        """The finding for a match of this entry."""
        label = "严重表述错误" if self.kind == "formula" else "严重错误"
        return Hit(
            start,
            end,
            self.kind,
            self.severity,
            f"{label}：「{self.wrong}」应为「{self.right}」（{self.reason}；依据：{self.source}）",
            suggestion=self.right,
        )


@dataclass(frozen=True)
class Lexicon:
    """Every wrong text of the lexicon, keyed by the text itself (one entry per text)."""

    path: str
    errata: dict[str, Erratum]

    def __len__(self) -> int:
        return len(self.errata)


def _severity(entry: Entry) -> Severity:
    value = entry.fields.get("severity", BLOCK)
    if value not in (BLOCK, WARN):
        raise ValidationError(f"{entry.where}: severity 应为 block 或 warn，而不是 {value!r}")
    return value


def _errors(entries: Iterable[Entry]) -> Iterator[Erratum]:
    for entry in entries:
        entry.check_keys(ERROR_KEYS)
        wrong, right = entry.text("wrong"), entry.text("right")
        if wrong == right:
            raise ValidationError(f"{entry.where}: wrong 与 right 相同")
        yield Erratum(
            wrong,
            right,
            entry.text("reason"),
            entry.text("source"),
            _severity(entry),
            "erratum",
            entry.line,
            tuple(entry.texts("unless")),
        )


def _orders(parts: list[str]) -> Iterator[str]:
    """Every order of an enumeration's parts but the right one."""
    right = tuple(parts)
    for order in itertools.permutations(parts):
        if order != right:
            yield PART_SEPARATOR.join(order)


def _formulas(entries: Iterable[Entry]) -> Iterator[tuple[Erratum, bool]]:
    """(misspelling, derived?) for every formula; derived ones give way to listed ones."""
    for entry in entries:
        entry.check_keys(FORMULA_KEYS)
        formula, source = entry.text("formula"), entry.text("source")
        severity, unless = _severity(entry), tuple(entry.texts("unless"))
        parts = entry.texts("parts")
        if parts and PART_SEPARATOR.join(parts) != formula:
            raise ValidationError(f"{entry.where}: parts 用“、”连起来应与 formula 相同")
        if len(parts) > MAX_PARTS:
            raise ValidationError(f"{entry.where}: parts 最多 {MAX_PARTS} 项")
        homophones = entry.fields.get("homophones", True)
        if not isinstance(homophones, bool):
            raise ValidationError(f"{entry.where}: homophones 应为 true 或 false")

        base = Erratum("", formula, "", source, severity, "formula", entry.line, unless)
        for wrong in entry.texts("variants"):
            yield replace(base, wrong=wrong, reason="固定提法写错"), False
        for wrong in _orders(parts):
            yield replace(base, wrong=wrong, reason="固定提法顺序不能调换"), True
        if homophones and len(formula) >= MIN_HOMOPHONE_LENGTH:
            for wrong in sorted(one_off(formula)):
                yield replace(base, wrong=wrong, reason="同音错字"), True


def load_lexicon(path: Path | None = None) -> Lexicon:
    """Read and check the lexicon; a malformed entry is refused by its line, nothing loaded."""
    path = path or DEFAULT_LEXICON
    sections = read_lists(path, "错敏词库", ("errors", "formulas"))
    errata: dict[str, Erratum] = {}
    for erratum in _errors(sections["errors"]):
        if erratum.wrong in errata:
            first = errata[erratum.wrong].line
            raise ValidationError(
                f"{path} 第 {erratum.line} 行: 「{erratum.wrong}」已在第 {first} 行列出"
            )
        errata[erratum.wrong] = erratum
    # A right text is never reported as wrong, whatever a derivation produces.
    formulas = list(_formulas(sections["formulas"]))
    rights = {e.right for e in errata.values()} | {e.right for e, _ in formulas}
    for erratum in errata.values():
        if erratum.wrong in rights:
            raise ValidationError(
                f"{path} 第 {erratum.line} 行: 「{erratum.wrong}」是另一条的正确写法，不能列为错误"
            )
    for erratum, derived in formulas:
        if erratum.wrong in rights:
            if derived:
                continue
            raise ValidationError(
                f"{path} 第 {erratum.line} 行: 「{erratum.wrong}」是另一条的正确写法，不能列为错误"
            )
        # A listed error keeps its own correction; the first formula wins a shared misspelling.
        errata.setdefault(erratum.wrong, erratum)
    return Lexicon(str(path), errata)


def find_errata(text: str, lexicon: Lexicon, matches: Iterable[tuple[str, int, int]]) -> list[Hit]:
    """The findings for the lexicon's matches (wrong text, start, end) in `text`.

    A match inside a longer one is dropped: 习近平新时代中国特色社会主意思想 is one error, not
    also a misspelt 中国特色社会主义.
    """
    found = sorted(
        (start, -end, wrong)
        for wrong, start, end in matches
        if not lexicon.errata[wrong].allowed_at(text, start)
    )
    hits: list[Hit] = []
    reach = -1
    for start, neg_end, wrong in found:
        if -neg_end <= reach:
            continue
        reach = -neg_end
        hits.append(lexicon.errata[wrong].hit(start, -neg_end))
    return hits
