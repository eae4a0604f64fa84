"""Zip bombs: a .docx or .xlsx that would expand past the limits is refused by name, at once."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import docx
import pytest

from pubreview.cli.parser import main
from pubreview.errors import ArchiveRefused
from pubreview.review.drafts import check_attachment
from pubreview.screening import screen_document, screen_files
from pubreview.screening.archive import check_archive

MB = 1024 * 1024


def small_docx(text: str = "本单位召开工作会议。") -> bytes:
    """A real, small Word file."""
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def bomb(expanded: int, base: bytes | None = None) -> bytes:
    """A real Word (or Excel) file plus one member of zeros that inflates to `expanded` bytes.

    Written in 1 MB chunks, so building it costs little memory; it compresses about 1000:1.
    """
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base or small_docx())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item))
        with target.open("word/media/padding.bin", "w", force_zip64=True) as padding:
            chunk = bytes(MB)
            for _ in range(expanded // MB):
                padding.write(chunk)
    return out.getvalue()


@pytest.fixture(scope="module")
def big_bomb() -> bytes:
    """A .docx of about 150 KB that inflates to 150 MB."""
    return bomb(150 * MB)


def test_an_upload_that_inflates_to_150_mb_is_refused_by_name_in_bounded_memory(big_bomb):
    assert len(big_bomb) < 1 * MB
    tracemalloc.start()
    try:
        with pytest.raises(ArchiveRefused, match=r"附件“通知.docx”解压后有 150\.\d MB") as refused:
            check_attachment("通知.docx", big_bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "压缩炸弹" in str(refused.value) and refused.value.field == "attachments"
    assert peak < 2 * MB  # only the zip's directory was read, nothing unpacked


def test_the_screen_refuses_a_bomb_instead_of_listing_it_as_unread(big_bomb, tmp_path, capsys):
    with pytest.raises(ArchiveRefused, match="通知.docx"):
        screen_document("标题", "正文", [("通知.docx", big_bomb)])
    path = tmp_path / "通知.docx"
    path.write_bytes(big_bomb)
    with pytest.raises(ArchiveRefused, match="通知.docx"):
        screen_files([path])
    assert main(["screen", str(path)]) != 0
    assert "附件“通知.docx”解压后有 150" in capsys.readouterr().err


def test_an_xlsx_bomb_is_refused_by_the_ratio_limit():
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "统计表"
    out = io.BytesIO()
    book.save(out)
    # 40 MB is under the size limit but far past 100:1.
    with pytest.raises(ArchiveRefused, match=r"压缩比 \d+ 倍"):
        screen_document("标题", "正文", [("统计.xlsx", bomb(40 * MB, out.getvalue()))])


def repetitive_docx(paragraphs: int) -> bytes:
    """A real Word file whose one paragraph repeats: the shape of a long form or register."""
    base = small_docx("本单位召开工作会议，研究部署下一阶段工作。")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                xml = data.decode()
                start, end = xml.index("<w:p>"), xml.index("</w:p>") + len("</w:p>")
                data = (xml[:start] + xml[start:end] * paragraphs + xml[end:]).encode()
            target.writestr(item, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_a_repetitive_real_document_passes_and_a_bomb_of_its_size_does_not():
    # About 80 KB inflating to 15 MB (some 180 times): what a register of identical rows does.
    real = repetitive_docx(150_000)
    with zipfile.ZipFile(io.BytesIO(real)) as package:
        expanded = sum(m.file_size for m in package.infolist())
    assert expanded > 12 * MB and expanded / len(real) > 150
    check_archive("登记表.docx", real)
    assert check_attachment("登记表.docx", real).filename == "登记表.docx"
    # The same inflated size as zeros is no worse, and passes too; above the floor it is refused.
    check_archive("登记表.docx", bomb(15 * MB))
    with pytest.raises(ArchiveRefused, match="登记表.docx"):
        check_archive("登记表.docx", bomb(40 * MB))


def test_small_or_ordinary_files_pass(monkeypatch):
    # Highly compressible but small: below the floor the ratio does not matter.
    check_archive("短.docx", bomb(4 * MB))
    assert check_attachment("通知.docx", small_docx()).filename == "通知.docx"
    monkeypatch.setenv("PUBREVIEW_MAX_EXPANDED_BYTES", str(2 * MB))
    with pytest.raises(ArchiveRefused, match="解压后不超过 2.0 MB"):
        check_archive("短.docx", bomb(4 * MB))


def zipped(members: dict[str, bytes], base: bytes | None = None) -> bytes:
    """A zip of these members, added to the members of `base` (a real .docx) if given."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        if base is not None:
            with zipfile.ZipFile(io.BytesIO(base)) as source:
                for item in source.infolist():
                    target.writestr(item, source.read(item))
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


def test_a_zip_inside_a_docx_counts_against_the_expansion_budget(monkeypatch):
    monkeypatch.setenv("PUBREVIEW_MAX_EXPANDED_BYTES", str(2 * MB))
    # 4 MB of zeros inside a zip of about 4 KB, embedded in an ordinary Word file: the
    # outer directory alone says a few kilobytes.
    inner = zipped({"zeros.bin": bytes(4 * MB)})
    nested = zipped({"word/embeddings/package.zip": inner}, small_docx())
    assert len(inner) < 64 * 1024
    with pytest.raises(ArchiveRefused, match=r"解压后有 4\.\d MB（含其中 1 个嵌套的压缩文件）"):
        check_attachment("通知.docx", nested)
    with pytest.raises(ArchiveRefused, match="通知.docx"):
        screen_document("标题", "正文", [("通知.docx", nested)])


def test_nesting_deeper_than_three_levels_is_refused():
    deepest = zipped({"a.txt": b"x" * 100})
    for _ in range(3):
        deepest = zipped({"inner.zip": deepest})
    with pytest.raises(ArchiveRefused, match="嵌套超过 3 层"):
        check_archive("材料.docx", zipped({"word/embeddings/p.zip": deepest}, small_docx()))


def test_an_embedded_workbook_in_a_docx_passes():
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "统计表"
    out = io.BytesIO()
    book.save(out)
    embedded = zipped(
        {"word/embeddings/Microsoft_Excel_Worksheet.xlsx": out.getvalue()}, small_docx()
    )
    check_archive("通知.docx", embedded)
    assert check_attachment("通知.docx", embedded).filename == "通知.docx"
