"""The input boundary's size rules: one typed value, a body file, the attachments of a revision."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubreview import inputs
from pubreview.errors import LimitExceeded, ValidationError


def test_a_typed_value_over_four_megabytes_is_refused_saying_the_limit() -> None:
    assert inputs.text_problem("正" * (inputs.MAX_TEXT_BYTES // 3)) is None
    problem = inputs.text_problem("正" * (inputs.MAX_TEXT_BYTES // 3 + 1))
    assert problem is not None and "超过上限 4 MB" in problem


def test_a_body_file_is_read_as_typed_text(tmp_path: Path) -> None:
    path = tmp_path / "修改稿.md"
    path.write_bytes("\ufeff第一段。\n\n第二段。\n".encode())
    assert inputs.read_text_file(path, "正文", "body") == "第一段。\n\n第二段。\n"
    path.write_bytes("第一段。\n第二段\x1b[2J。".encode())
    with pytest.raises(ValidationError, match="正文：文件“修改稿.md”含有不可见的控制字符") as bad:
        inputs.read_text_file(path, "正文", "body")
    assert bad.value.field == "body" and "（第 2 行）" in str(bad.value)
    with pytest.raises(ValidationError, match="正文：文件“.*没有.md”无法读取"):
        inputs.read_text_file(tmp_path / "没有.md", "正文", "body")


def test_the_attachment_count_is_one_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs.check_attachment_count(20)
    with pytest.raises(LimitExceeded, match="附件：共 21 个，超过上限 20 个"):
        inputs.check_attachment_count(21)
    monkeypatch.setenv("PUBREVIEW_MAX_ATTACHMENTS", "1")
    with pytest.raises(LimitExceeded, match="上限 1 个"):
        inputs.check_attachment_count(2)
