"""The one YAML reader: every error with its line and field, all of them reported together."""

from __future__ import annotations

import pytest

from pubreview.errors import ValidationError
from pubreview.yamldoc import Doc, compose

TEXT = "a: 1\nb:\n  - x\n  - {c: 2}\nz: 3\n"


def test_a_failed_part_skips_only_itself_and_every_error_is_listed() -> None:
    doc = Doc("f.yaml", "测试文件")
    top = doc.mapping(compose(TEXT, "f.yaml"), "", ("a", "b"))
    for i, node in enumerate(doc.sequence(top["b"], "b")):
        with doc.part():
            f = doc.mapping(node, f"b[{i}]", ("c",), stop=True)
            raise doc.wrong(f, "c", "不对")
    with pytest.raises(ValidationError) as caught:
        doc.check()
    assert str(caught.value) == (
        "测试文件 f.yaml 有 3 处问题：\n"
        "  f.yaml：第 5 行：z：没有这一项（可填：a、b）\n"
        "  f.yaml：第 3 行：b[0]：应为若干「名称: 值」行\n"
        "  f.yaml：第 4 行：b[1].c：不对"
    )
    assert caught.value.field == "z"


def test_one_error_is_given_as_it_is_and_none_passes() -> None:
    doc = Doc("f.yaml")
    doc.check()
    with doc.part():
        doc.text(compose("a: ''\n", "f.yaml").value[0][1], "a")
    with pytest.raises(ValidationError, match="^f.yaml：第 1 行：a：应为非空文字$"):
        doc.check()
    with pytest.raises(ValidationError, match="^f.yaml：文件是空的$"):
        compose("", "f.yaml")
