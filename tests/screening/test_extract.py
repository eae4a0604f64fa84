"""Attachments: PDF pages and XLSX sheets are screened; what cannot be read is listed."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from pypdf import PdfWriter
from pypdf.annotations import Link
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject
from stdnum.cn import ric

from pubreview.screening import Site, screen_document

VALID_ID = "43070219800101123" + ric.calc_check_digit("430702198001011230")


def png() -> bytes:
    """A 1x1 white PNG, for pictures inside attachments."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def make_pdf(*pages: str, links: tuple[str, ...] = ()) -> bytes:
    """A PDF of these ASCII pages ("" has no text layer), its first page linking to `links`."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    for text in pages:
        page = writer.add_blank_page(width=595, height=842)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        if text:
            stream = DecodedStreamObject()
            stream.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
            page.replace_contents(stream)
    for url in links:
        writer.add_annotation(0, Link(rect=(72, 700, 300, 730), url=url))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_xlsx(sheets: dict[str, list[list[object]]], *, hidden: str = "") -> bytes:
    """A workbook with these sheets (rows of values); `hidden` names a hidden one."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title == hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_picture(xlsx: bytes) -> bytes:
    """The workbook with a picture in its media folder, where Excel keeps pasted pictures."""
    buffer = io.BytesIO(xlsx)
    with zipfile.ZipFile(buffer, "a") as package:
        package.writestr("xl/media/image1.png", png())
    return buffer.getvalue()


# --- PDF ------------------------------------------------------------------------------------


def test_pdf_pages_are_screened_and_pages_without_text_listed() -> None:
    data = make_pdf("Annual report 2018", "", f"Applicant ID {VALID_ID}", "")
    result = screen_document("通知", "正文", [("报告.pdf", data)])
    assert [(f.detector, f.location, f.line) for f in result.findings] == [
        ("resident_id", "报告.pdf 第3页", 1)
    ]
    assert result.blocked
    assert result.not_screened == {
        "报告.pdf": "部分未筛查，请人工审查：第 2、4 页没有文字层（可能是扫描件），未筛查"
    }


def test_a_clean_pdf_has_no_finding_and_no_gap() -> None:
    result = screen_document("通知", "正文", [("报告.pdf", make_pdf("Tel 0736-7786510"))])
    assert (result.findings, result.not_screened) == ([], {})


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (make_pdf("", ""), "全部 2 页都没有文字层"),  # a scan
        (b"%PDF-1.7 truncated", "无法读取"),
    ],
)
def test_a_pdf_with_nothing_readable_is_not_screened(data: bytes, says: str) -> None:
    result = screen_document("通知", "正文", [("扫描.pdf", data)])
    assert result.findings == []
    assert says in result.not_screened["扫描.pdf"]


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_sheets_are_screened_row_by_row_hidden_ones_too() -> None:
    data = make_xlsx(
        {
            "名单": [["姓名", "单位"], ["张三", "综合科"], ["李四", "业务科"]],
            "底稿": [["姓名", "身份证号"], ["张三", VALID_ID]],
        },
        hidden="底稿",
    )
    result = screen_document("公示", "正文", [("名单.xlsx", data)])
    found = [(f.detector, f.location, f.line) for f in result.findings]
    # Row 2 of the hidden sheet: the negative list's 身份证号 label is on row 1.
    assert ("resident_id", "名单.xlsx 工作表「底稿」（隐藏）", 2) in found
    assert {loc for _, loc, _ in found} == {"名单.xlsx 工作表「底稿」（隐藏）"}
    assert result.not_screened == {}


def test_xlsx_numbers_and_formulas_are_read_as_values() -> None:
    data = make_xlsx({"表": [["手机", 13812345678], ["合计", 42]]})
    result = screen_document("公示", "正文", [("表.xlsx", data)])
    assert [(f.detector, f.line) for f in result.findings] == [("mobile_number", 1)]


def test_a_picture_in_a_sheet_is_listed_as_not_screened() -> None:
    data = with_picture(make_xlsx({"表": [["项目", "金额"]]}))
    result = screen_document("公示", "正文", [("表.xlsx", data)])
    assert result.not_screened == {
        "表.xlsx": "部分未筛查，请人工审查：含 1 张图片，图片中的文字未筛查"
    }


def test_a_broken_xlsx_is_not_screened() -> None:
    result = screen_document("公示", "正文", [("表.xlsx", b"PK\x03\x04 broken")])
    assert "无法读取" in result.not_screened["表.xlsx"]


# --- DOCX pictures --------------------------------------------------------------------------


def test_pictures_in_a_docx_are_listed_as_not_screened() -> None:
    document = docx.Document()
    document.add_paragraph("正文")
    document.add_picture(io.BytesIO(png()))
    buffer = io.BytesIO()
    document.save(buffer)
    result = screen_document("通知", "正文", [("通知.docx", buffer.getvalue())])
    assert result.not_screened == {
        "通知.docx": "部分未筛查，请人工审查：含 1 张图片，图片中的文字未筛查"
    }


# --- links inside attachments ---------------------------------------------------------------


def test_hyperlinks_in_docx_and_pdf_are_checked(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "articles").mkdir(parents=True)
    (root / "articles" / "7.html").write_text("<html></html>", encoding="utf-8")
    site = Site("http://www.example.gov.cn/", root)
    document = docx.Document()
    document.add_paragraph("详见上一篇")
    for url in ("http://www.example.gov.cn/articles/7.html", "/articles/8.html"):
        document.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    buffer = io.BytesIO()
    document.save(buffer)
    pdf = make_pdf("See the notice", links=("http://www.example.gov.cn/articles/9.html",))
    result = screen_document(
        "通知", "正文", [("通知.docx", buffer.getvalue()), ("报告.pdf", pdf)], site=site
    )
    assert [(f.detector, f.location, f.line) for f in result.findings] == [
        ("dead_link", "通知.docx 超链接", 2),
        ("dead_link", "报告.pdf 超链接", 1),
    ]
    assert "articles/8.html" in result.findings[0].reason
