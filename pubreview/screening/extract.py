"""Text out of attachments: plain text, Markdown and DOCX; anything else is not screened."""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Iterator
from pathlib import PurePath

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from pubreview.errors import ValidationError

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
DOCX_SUFFIXES = {".docx"}
SCREENABLE_SUFFIXES = TEXT_SUFFIXES | DOCX_SUFFIXES

# Part of a table row: cells joined this way look like a table line to the marking
# detector, which treats "|" as a cell edge (a marking alone in a cell is a marking).
CELL_SEPARATOR = " | "


def is_screenable(filename: str) -> bool:
    """True when the file's type is one the screen can read."""
    return PurePath(filename).suffix.lower() in SCREENABLE_SUFFIXES


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        # Many office machines still save GBK/GB18030 text; UTF-8 is tried first
        # because a GB18030 decode of UTF-8 bytes would succeed as mojibake.
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise ValidationError("not a text file in UTF-8, UTF-16 or GB18030")


def _block_lines(blocks: Iterator[Paragraph | Table]) -> Iterator[str]:
    """Paragraphs as lines and table rows as " | "-joined lines, in document order."""
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text
            continue
        for row in block.rows:
            cells, seen = [], set()
            for cell in row.cells:
                # A merged cell is returned once per grid column it spans.
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
                cells.append(" ".join(_block_lines(cell.iter_inner_content())))
            yield CELL_SEPARATOR.join(cells)


def docx_parts(filename: str, data: bytes) -> list[tuple[str, str]]:
    """The body of a DOCX, then its own headers and footers, each as (location, text)."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError, etree.LxmlError) as exc:
        raise ValidationError(f"not a readable DOCX file: {exc}") from exc
    parts = [(filename, "\n".join(_block_lines(document.iter_inner_content())))]
    # Headers and footers are where 内部资料 注意保密 is usually printed; they get their own
    # location so body line numbers stay the body's paragraph numbers.
    for label, kinds in (
        ("页眉", ("header", "first_page_header", "even_page_header")),
        ("页脚", ("footer", "first_page_footer", "even_page_footer")),
    ):
        lines = []
        for section in document.sections:
            for kind in kinds:
                part = getattr(section, kind)
                if not part.is_linked_to_previous:
                    lines.extend(_block_lines(part.iter_inner_content()))
        if any(line.strip() for line in lines):
            parts.append((f"{filename} {label}", "\n".join(lines)))
    return parts


def extract_parts(filename: str, data: bytes) -> list[tuple[str, str]]:
    """The screenable text of one attachment as (location, text) pairs.

    Raises ValidationError when the type is screenable but the content cannot be read;
    callers check `is_screenable` first for the types that are not screened at all.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix in DOCX_SUFFIXES:
        return docx_parts(filename, data)
    if suffix in TEXT_SUFFIXES:
        return [(filename, decode_text(data))]
    raise ValidationError(f"{filename}: file type {suffix or '(none)'} is not screened")
