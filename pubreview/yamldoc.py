"""Reading a YAML file node by node: every error names the file, the line and the field, and all
of them are reported together.

The organisation file, the chains file and the report's supplement are read through `Doc`, so a
person fixing one sees every problem at once, each as `文件：第 N 行：字段：问题`. A check that
cannot go on after an error (the rest of that unit, chain or step depends on it) raises what
`Doc.fail` returns, and `Doc.part` catches it so the next unit, chain or step is still read.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import suppress
from pathlib import Path
from typing import NoReturn

import yaml

from pubreview.errors import ValidationError


class Skip(Exception):
    """The rest of the part being read is skipped; its error is already recorded."""


class Fields(dict[str, yaml.Node]):
    """A mapping's value nodes by name, with the key nodes beside them (for the key's line)."""

    def __init__(self, field: str = "") -> None:
        super().__init__()
        self.field = field  # the mapping's own path, e.g. chains.web.steps[0]
        self.keys_at: dict[str, yaml.Node] = {}

    def path(self, name: str) -> str:
        """The path of one of its fields, as errors name it."""
        return f"{self.field}.{name}".lstrip(".")

    def key(self, name: str) -> yaml.Node:
        """The node of the key `name` (its line is where the field starts)."""
        return self.keys_at[name]


def compose(text: str, source: Path | str) -> yaml.Node:
    """The root node of a YAML text; an empty or unparsable text is refused, naming `source`."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{source}：不是有效的 YAML：{exc}") from exc
    if root is None:
        raise ValidationError(f"{source}：文件是空的")
    return root


def read_text(path: Path) -> str:
    """A YAML file's text, or why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"{path}：无法读取：{exc.strerror}") from exc


def read(path: Path) -> yaml.Node:
    """The root node of a YAML file, or why it cannot be read or parsed."""
    return compose(read_text(path), path)


def _choices(allowed: Collection[str]) -> str:
    return "、".join(sorted(allowed) if isinstance(allowed, set | frozenset) else allowed)


class Doc:
    """The errors found in one file so far, and the readers that find them."""

    def __init__(self, source: Path | str, what: str = "") -> None:
        self.source = source
        self.what = what  # how the summary names the file, e.g. 补充材料
        self.errors: list[str] = []
        self.fields: list[str] = []

    def error(self, node: yaml.Node | None, field: str, message: str) -> None:
        """Record one problem at the node's line (no line when there is no node)."""
        line = f"第 {node.start_mark.line + 1} 行：" if node is not None else ""
        self.errors.append(f"{self.source}：{line}{field}：{message}")
        self.fields.append(field)

    def fail(self, node: yaml.Node | None, field: str, message: str) -> Skip:
        """Record one problem and return the exception that skips the rest of the part."""
        self.error(node, field, message)
        return Skip()

    def refuse(self, node: yaml.Node | None, field: str, message: str) -> NoReturn:
        """Record one problem and refuse the file now: nothing after it can be checked."""
        self.error(node, field, message)
        self.check()
        raise AssertionError("unreachable: check() raises once an error is recorded")

    def wrong(self, fields: Fields, name: str, message: str) -> Skip:
        """`fail` at a field of a mapping: its value's line, its path."""
        return self.fail(fields[name], fields.path(name), message)

    def part(self) -> suppress:
        """Read one unit, chain, step…: a `fail` inside skips only the rest of it."""
        return suppress(Skip)

    def check(self) -> None:
        """Refuse the file when anything was found: one error as it is, several listed."""
        if not self.errors:
            return
        if len(self.errors) == 1:
            message = self.errors[0]
        else:
            name = f"{self.what} {self.source}" if self.what else str(self.source)
            message = f"{name} 有 {len(self.errors)} 处问题：\n  " + "\n  ".join(self.errors)
        raise ValidationError(message, field=self.fields[0])

    def mapping(
        self,
        node: yaml.Node,
        field: str,
        allowed: Collection[str] | None = None,
        *,
        stop: bool = False,
    ) -> Fields:
        """The fields of a mapping; a field not `allowed`, or given twice, is an error.

        Not a mapping at all: an error and no fields, or with `stop` the rest of the part
        skipped (when every later check would only repeat that the fields are missing).
        """
        out = Fields(field)
        if not isinstance(node, yaml.MappingNode):
            self.error(node, field, "应为若干「名称: 值」行")
            if stop:
                raise Skip()
            return out
        for key, value in node.value:
            name = str(key.value)
            where = out.path(name)
            if allowed is not None and name not in allowed:
                self.error(key, where, f"没有这一项（可填：{_choices(allowed)}）")
                continue
            if name in out:
                self.error(key, where, "填了两次")
            out[name], out.keys_at[name] = value, key
        return out

    def sequence(self, node: yaml.Node, field: str, *, stop: bool = False) -> list[yaml.Node]:
        """The items of a list; anything else is an error (and no items, or with `stop` the
        rest of the part skipped)."""
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, field, "应为列表")
            if stop:
                raise Skip()
            return []
        return list(node.value)

    def texts(self, node: yaml.Node, field: str) -> list[tuple[str, yaml.Node]]:
        """One text or a list of texts, each with its node."""
        if isinstance(node, yaml.SequenceNode):
            return [(self.text(n, f"{field}[{i}]"), n) for i, n in enumerate(node.value)]
        return [(self.text(node, field), node)]

    def text(self, node: yaml.Node, field: str) -> str:
        """A non-empty text, stripped; anything else fails the part."""
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.fail(node, field, "应为非空文字")
        return str(node.value).strip()
