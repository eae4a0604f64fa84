"""The 错敏 lexicon: serious errors with their corrections, and fixed political formulas (提法).

The office edits `config/screening/errata.yaml`. Two lists:

- `errors`: a wrong text and the right one (扫黑险恶 → 扫黑除恶, 台湾总统 → 台湾地区领导人);
- `formulas`: a fixed formula written right, from which the screen derives its misspellings —
  each one-character same-pinyin substitution (what an input method types by mistake), the
  known misspellings listed under `variants`, and, for an enumeration given as `parts`, every
  other order of its parts (政治意识、大局意识、核心意识、看齐意识 has one order).

Every entry names its `source` (the national document that fixes the wording, or where the error
was reported), so a reviewer can check the correction and the office can defend it; an entry
whose source has not been checked says `verified: false`, and its findings say so.

The office's own additions (PUBREVIEW_ERRATA_OFFICE, edited on /admin/lists) are `errors` of
the same shape in a file of their own, so that a new shipped list never overwrites them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pubreview import settings
from pubreview.errors import ValidationError
from pubreview.screening.findings import BLOCK, WARN, Hit, Severity
from pubreview.screening.homophones import one_off
from pubreview.screening.listfile import (
    Entry,
    ListChange,
    Record,
    edit_lists,
    no_record,
    read_lists,
    recorded,
)
from pubreview.settings import PROJECT_ROOT

DEFAULT_LEXICON = PROJECT_ROOT / "config" / "screening" / "errata.yaml"

# Shorter formulas have too many ordinary same-pinyin neighbours to be misspellings of them.
MIN_HOMOPHONE_LENGTH = 4
# An enumeration of more parts has too many orders to list (6 parts: 719 wrong orders).
MAX_PARTS = 5
PART_SEPARATOR = "、"

ERROR_KEYS = {"wrong", "right", "reason", "source", "severity", "unless", "verified"}
FORMULA_KEYS = {
    "formula",
    "source",
    "severity",
    "variants",
    "parts",
    "homophones",
    "unless",
    "verified",
}
OFFICE_WHAT = "本办错敏词"
OFFICE_SECTIONS = ("errors",)
# The fields as the administrator's form names them.
LABELS = {
    "wrong": "错误写法",
    "right": "正确写法",
    "reason": "说明",
    "source": "依据",
    "severity": "处理方式",
    "unless": "例外（含错误写法的正确长词）",
}


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
    verified: bool = True  # False: the source is still to be checked
    office: bool = False  # one of the office's additions

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
        basis = "依据" if self.verified else "依据（尚未核实）"
        return Hit(
            start,
            end,
            self.kind,
            self.severity,
            f"{label}：「{self.wrong}」应为「{self.right}」（{self.reason}；{basis}：{self.source}）",
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
        shown = "请选择“阻止”或“提示”" if entry.labels else f"应为 block 或 warn，而不是 {value!r}"
        raise entry.fail("severity", shown)
    return value


def _verified(entry: Entry) -> bool:
    value = entry.fields.get("verified", True)
    if not isinstance(value, bool):
        raise entry.fail("verified", "应为 true 或 false")
    return value


def _erratum(entry: Entry, *, office: bool = False) -> Erratum:
    """One `errors` entry, checked (a listed error and an office addition alike)."""
    entry.check_keys(ERROR_KEYS)
    wrong, right = entry.text("wrong"), entry.text("right")
    if wrong == right:
        if entry.labels:
            raise entry.fail("right", "与错误写法相同")
        raise ValidationError(f"{entry.where}: wrong 与 right 相同")
    unless = tuple(entry.texts("unless"))
    for phrase in unless:
        if wrong not in phrase:
            raise entry.fail("unless", f"「{phrase}」不含错误写法「{wrong}」，不是它的例外")
    return Erratum(
        wrong,
        right,
        entry.text("reason"),
        entry.text("source"),
        _severity(entry),
        "erratum",
        entry.line,
        unless,
        _verified(entry),
        office,
    )


def _errors(entries: Iterable[Entry], *, office: bool = False) -> Iterator[Erratum]:
    for entry in entries:
        yield _erratum(entry, office=office)


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

        base = Erratum(
            "", formula, "", source, severity, "formula", entry.line, unless, _verified(entry)
        )
        for wrong in entry.texts("variants"):
            yield replace(base, wrong=wrong, reason="固定提法写错"), False
        for wrong in _orders(parts):
            yield replace(base, wrong=wrong, reason="固定提法顺序不能调换"), True
        if homophones and len(formula) >= MIN_HOMOPHONE_LENGTH:
            for wrong in sorted(one_off(formula)):
                yield replace(base, wrong=wrong, reason="同音错字"), True


def office_path() -> Path:
    """The office's additions to the lexicon (PUBREVIEW_ERRATA_OFFICE)."""
    path = settings.load().errata_office_file
    assert path is not None  # settings.load always sets it
    return path


def load_lexicon(path: Path | None = None, *, office: Path | None = None) -> Lexicon:
    """Read and check the lexicon and the office's additions (`office`, if the file exists);
    a malformed entry is refused by its file and line, and nothing is loaded."""
    path = path or DEFAULT_LEXICON
    sections = read_lists(path, "错敏词库", ("errors", "formulas"))
    errata: dict[str, Erratum] = {}
    added = []
    if office is not None and office.exists():
        added = list(
            _errors(read_lists(office, OFFICE_WHAT, OFFICE_SECTIONS)["errors"], office=True)
        )
    for erratum in [*_errors(sections["errors"]), *added]:
        if erratum.wrong in errata:
            first = errata[erratum.wrong]
            where = "本办补充词表" if first.office else "内置词库"
            raise ValidationError(
                f"{office if erratum.office else path} 第 {erratum.line} 行: "
                f"「{erratum.wrong}」已在{where}第 {first.line} 行列出"
            )
        errata[erratum.wrong] = erratum
    # A right text is never reported as wrong, whatever a derivation produces.
    formulas = list(_formulas(sections["formulas"]))
    rights = {e.right for e in errata.values()} | {e.right for e, _ in formulas}
    for erratum in errata.values():
        if erratum.wrong in rights:
            raise ValidationError(
                f"{office if erratum.office else path} 第 {erratum.line} 行: "
                f"「{erratum.wrong}」是另一条的正确写法，不能列为错误"
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


# --- the administrator's additions ----------------------------------------------------------


def office_fields(form: Mapping[str, Any]) -> dict[str, Any]:
    """An office addition from the form (wrong, right, reason, source, severity, unless)."""
    unless = [u.strip() for u in str(form.get("unless", "")).replace("，", "\n").splitlines()]
    fields = {k: form.get(k, "") for k in ("wrong", "right", "reason", "source", "severity")}
    fields["unless"] = [u for u in unless if u] or ""
    erratum = _erratum(Entry.of_form(fields, LABELS), office=True)
    entry: dict[str, Any] = {
        "wrong": erratum.wrong,
        "right": erratum.right,
        "reason": erratum.reason,
        "source": erratum.source,
        "severity": erratum.severity,
    }
    if erratum.unless:
        entry["unless"] = list(erratum.unless)
    return entry


def _check_with_shipped(office: Path) -> Lexicon:
    """The shipped lexicon with these additions: a clash with a shipped entry is refused."""
    return load_lexicon(office=office)


def _at(entries: list[dict[str, Any]], wrong: str) -> int | None:
    return next(
        (i for i, e in enumerate(entries) if str(e.get("wrong", "")).strip() == wrong), None
    )


def put_office_entry(
    fields: dict[str, Any],
    *,
    replacing: str | None = None,
    path: Path | None = None,
    record: Record = no_record,
) -> ListChange:
    """Add an office entry, or change the one whose wrong text is `replacing`; the additions are
    checked together with the shipped lexicon before the file is replaced."""
    wrong = fields["wrong"]
    with edit_lists(
        path or office_path(), OFFICE_WHAT, OFFICE_SECTIONS, _check_with_shipped
    ) as data:
        entries = data["errors"]
        same = _at(entries, wrong)
        if replacing is None:
            if same is not None:
                raise ValidationError(f"错误写法：「{wrong}」已在本办补充词表中，请修改原有条目")
            entries.append(fields)
            return recorded(record, ListChange("errata", "added", wrong, None, fields))
        at = _at(entries, replacing)
        if at is None:
            raise ValidationError(
                f"本办补充词表中没有「{replacing}」，可能已被他人删除，请刷新页面"
            )
        if same is not None and same != at:
            raise ValidationError(f"错误写法：「{wrong}」已在本办补充词表中，不能与另一条相同")
        old = entries[at]
        if old == fields:
            raise ValidationError(f"「{wrong}」的内容没有变化，未作更改")
        entries[at] = fields
        return recorded(record, ListChange("errata", "changed", wrong, old, fields))


def remove_office_entry(
    wrong: str, *, path: Path | None = None, record: Record = no_record
) -> ListChange:
    """Take an entry off the office's additions."""
    with edit_lists(
        path or office_path(), OFFICE_WHAT, OFFICE_SECTIONS, _check_with_shipped
    ) as data:
        at = _at(data["errors"], wrong)
        if at is None:
            raise ValidationError(f"本办补充词表中没有「{wrong}」，可能已被他人删除，请刷新页面")
        old = data["errors"].pop(at)
        return recorded(record, ListChange("errata", "removed", wrong, old, None))


def office_entries(path: Path | None = None) -> list[Erratum]:
    """The office's additions as loaded (for the administrator's page)."""
    path = path or office_path()
    if not path.exists():
        return []
    return list(_errors(read_lists(path, OFFICE_WHAT, OFFICE_SECTIONS)["errors"], office=True))
