"""Reading the office's screening lists (YAML) so that a bad entry is refused by its line."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pubreview.errors import ValidationError


@dataclass(frozen=True)
class Entry:
    """One mapping of a list, with the line of the file it starts on."""

    fields: dict[str, Any]
    path: str
    line: int  # 1-based; 0 for the fields of a form
    # A form's labels for its fields (name → 姓名): a form's errors name the field as shown.
    labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of_form(cls, fields: Mapping[str, Any], labels: Mapping[str, str]) -> Entry:
        """A form's fields, checked as a list entry is; blank fields count as missing."""
        kept = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
        return cls({k: v for k, v in kept.items() if v not in ("", None)}, "", 0, labels)

    @property
    def where(self) -> str:
        """The file and line, for error messages (nothing for a form)."""
        return f"{self.path} 第 {self.line} 行" if self.path else ""

    def fail(self, key: str, problem: str) -> ValidationError:
        """The error for one field: by its label on a form, by file and line in a list."""
        if self.labels:
            return ValidationError(f"{self.labels.get(key, key)}：{problem}")
        return ValidationError(f"{self.where}: “{key}”{problem}")

    def text(self, key: str, *, required: bool = True) -> str:
        """A string field, stripped; refused with its line when required and missing."""
        value = self.fields.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            if self.labels:
                raise self.fail(key, "请填写")
            raise ValidationError(f"{self.where}: 缺少“{key}”或不是文字")
        return value.strip()

    def texts(self, key: str) -> list[str]:
        """A list-of-strings field (a single string is taken as a list of one)."""
        value = self.fields.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValidationError(f"{self.where}: “{key}”应为文字列表")
        return [v.strip() for v in value]

    def children(self, key: str) -> list[Entry]:
        """A nested list of mappings (e.g. a leader's former titles), each with its own line."""
        value = self.fields.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ValidationError(f"{self.where}: “{key}”应为“字段: 值”形式的列表")
        return [_entry(self.path, v) for v in value]

    def check_keys(self, allowed: set[str]) -> None:
        """Refuse keys the list does not know (a typo would otherwise be silently ignored)."""
        unknown = sorted(set(self.fields) - allowed - {LINE_KEY})
        if unknown:
            raise ValidationError(
                f"{self.where}: 不认识的字段 {unknown}，可用字段：{sorted(allowed)}"
            )


LINE_KEY = "__line__"


def _entry(path: str, fields: dict[str, Any]) -> Entry:
    line = fields.pop(LINE_KEY, 0)
    return Entry(fields, path, line)


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built with it
    """A safe loader that remembers on which line each mapping starts."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def read_lists(path: Path, what: str, sections: tuple[str, ...]) -> dict[str, list[Entry]]:
    """The named top-level lists of a YAML file, each entry with its line.

    Raises ValidationError naming the file and line for unreadable YAML, a missing file, a
    section that is not a list or an entry that is not a mapping; nothing is half-loaded.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506
    except OSError as exc:
        raise ValidationError(f"无法读取{what} {path}：{exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{what} {path} 不是 UTF-8 文本：{exc}") from exc
    except yaml.YAMLError as exc:
        # Where the construct began (an unclosed bracket) says more than where parsing gave up.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = f" 第 {mark.line + 1} 行" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc
        raise ValidationError(f"{path}{line}: {what}格式错误（YAML：{problem}）") from exc
    if not isinstance(data, dict):
        raise ValidationError(f"{path}: {what}应以 {' / '.join(sections)} 等列表开头")
    unknown = sorted(set(data) - set(sections) - {LINE_KEY})
    if unknown:
        raise ValidationError(f"{path}: 不认识的栏目 {unknown}，可用：{list(sections)}")
    result: dict[str, list[Entry]] = {}
    for section in sections:
        raw = data.get(section) or []
        if isinstance(raw, dict):  # a section of settings rather than of entries
            raw = [raw]
        if not isinstance(raw, list):
            raise ValidationError(f"{path}: “{section}”应为列表")
        entries = []
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                # A scalar carries no mark of its own here: name its position instead.
                raise ValidationError(
                    f"{path}: {section} 第 {index + 1} 项应为“字段: 值”形式，而不是 {item!r}"
                )
            entries.append(_entry(str(path), item))
        result[section] = entries
    return result


@dataclass(frozen=True)
class ListChange:
    """One change to a screening list, as the access audit records it."""

    list: str  # leaders, departed, errata
    action: str  # added, changed, removed
    key: str  # the name, or the wrong text
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def detail(self) -> dict[str, Any]:
        """The audit entry's detail, keyed as the audit page shows it."""
        return {
            "名单": LIST_LABEL.get(self.list, self.list),
            "操作": ACTION_LABEL.get(self.action, self.action),
            "条目": self.key,
            "原为": _as_text(self.before),
            "改为": _as_text(self.after),
        }


# Called with a change before the file is replaced (the access audit, in the caller's
# transaction): a change the ledger cannot take is not made.
Record = Callable[[ListChange], object]


def no_record(change: ListChange) -> None:
    """Record nothing (the command line, tests of the list alone)."""


def recorded(record: Record, change: ListChange) -> ListChange:
    record(change)
    return change


LIST_LABEL = {"leaders": "领导名单", "departed": "不在任人员名单", "errata": "本办错敏词"}
ACTION_LABEL = {"added": "新增", "changed": "修改", "removed": "删除"}


def _as_text(entry: dict[str, Any] | None) -> str | None:
    return None if entry is None else json.dumps(entry, ensure_ascii=False, default=str)


def _header(text: str) -> str:
    """The comment lines a list file starts with (what each field means), kept on a rewrite."""
    lines = []
    for line in text.splitlines():
        if line.startswith("#") or (not line.strip() and lines):
            lines.append(line)
        else:
            break
    return "\n".join(lines).rstrip() + "\n\n" if lines else ""


@contextmanager
def edit_lists(
    path: Path, what: str, sections: tuple[str, ...], check: Callable[[Path], object]
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """The sections of a list file as plain lists to change in place; on leaving, the new file
    is checked with `check` (the list's own loader) and only then replaces the old one.

    A refused change raises ValidationError and leaves the file as it was. Edits of one file
    wait for each other (a lock file beside it), so two administrators lose nothing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = ""
        if path.exists():
            read_lists(path, what, sections)  # a malformed file is named by its line first
            text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text) or {}
        data = {s: [dict(e) for e in (raw.get(s) or [])] for s in sections}
        yield data
        body = yaml.safe_dump(
            {s: data[s] for s in sections},
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=False,
            width=1000,
        )
        trial = path.with_name(f".{path.name}.new")
        try:
            trial.write_text(_header(text) + body, "utf-8")
            check(trial)
            trial.replace(path)
        except ValidationError as exc:
            raise ValidationError(str(exc).replace(str(trial), path.name)) from None
        finally:
            trial.unlink(missing_ok=True)
