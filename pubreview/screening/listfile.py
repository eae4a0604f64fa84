"""Reading the office's screening lists (YAML) so that a bad entry is refused by its line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pubreview.errors import ValidationError


@dataclass(frozen=True)
class Entry:
    """One mapping of a list, with the line of the file it starts on."""

    fields: dict[str, Any]
    path: str
    line: int  # 1-based

    @property
    def where(self) -> str:
        """The file and line, for error messages."""
        return f"{self.path} 第 {self.line} 行"

    def text(self, key: str, *, required: bool = True) -> str:
        """A string field, stripped; refused with its line when required and missing."""
        value = self.fields.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
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
