"""Uploads: a .docx body as Markdown (mammoth), attachments accepted by content and size."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from pubreview.errors import ValidationError
from pubreview.review.drafts import check_attachment, docx_to_markdown


def _docx(build) -> bytes:
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_docx_becomes_markdown_with_headings_emphasis_and_lists() -> None:
    def build(d):
        d.add_heading("关于会议的通知", 1)
        p = d.add_paragraph("会议")
        p.add_run("时间").bold = True
        p.add_run("如下。")
        d.add_paragraph("第一项", style="List Number")

    converted = docx_to_markdown("通知.docx", _docx(build))
    assert converted.markdown.startswith("# 关于会议的通知\n")
    assert "会议__时间__如下。" in converted.markdown
    assert "1. 第一项" in converted.markdown
    assert converted.notes == []


def test_a_docx_that_is_not_one_is_refused_for_the_body_field() -> None:
    with pytest.raises(ValidationError, match="内容与扩展名 .docx 不符") as caught:
        docx_to_markdown("通知.docx", b"%PDF-1.4\n")
    assert caught.value.field == "body_docx"
    with pytest.raises(ValidationError, match="须为 .docx"):
        docx_to_markdown("通知.doc", b"\xd0\xcf\x11\xe0")


def test_a_broken_docx_is_unreadable_not_a_crash() -> None:
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "garbage<<")
    with pytest.raises(ValidationError, match="无法作为 Word 文件打开") as caught:
        docx_to_markdown("坏.docx", broken.getvalue())
    assert caught.value.field == "body_docx"
    with pytest.raises(ValidationError, match="无法作为 Word 文件打开"):
        check_attachment("坏.docx", broken.getvalue())


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("会议.pdf", b"%PDF-1.7\n1 0 obj\n"),
        ("说明.txt", "中文说明".encode("gb18030")),
        ("名单.csv", "姓名,科室\n".encode()),
        ("图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
        ("文件.docx", _docx(lambda d: d.add_paragraph("正文"))),
    ],
)
def test_files_whose_content_matches_their_name_are_accepted(name: str, content: bytes) -> None:
    accepted = check_attachment(name, content)
    assert (accepted.filename, accepted.content) == (name, content)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("会议.pdf", b"MZ\x90\x00" + b"\x00" * 64, "内容与扩展名 .pdf 不符"),
        ("图.png", b"%PDF-1.7\n", "内容与扩展名 .png 不符"),
        ("说明.txt", b"\x00\xff" * 64, "内容与扩展名 .txt 不符"),
        ("run.sh", b"#!/bin/sh\n", "不允许上传"),
        ("无扩展名", b"text", "不允许上传"),
        ("空.txt", b"", "空文件"),
        ("a\x00b.txt", b"x", "文件名不可用"),
    ],
)
def test_files_are_refused_by_content_type_name_and_emptiness(
    name: str, content: bytes, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        check_attachment(name, content)
    assert caught.value.field == "attachments"


def test_the_size_limit_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBREVIEW_MAX_ATTACHMENT_BYTES", "100")
    check_attachment("小.txt", b"a" * 100)
    with pytest.raises(ValidationError, match="超过上限 100 字节"):
        check_attachment("大.txt", b"a" * 101)


def test_a_path_in_the_name_is_reduced_to_the_file_name() -> None:
    assert check_attachment("C:\\Users\\张\\会议.txt", b"x").filename == "会议.txt"
