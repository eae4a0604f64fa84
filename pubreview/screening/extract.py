"""Text out of attachments: plain text, Markdown, DOCX, PDF and XLSX; anything else is not screened.

Besides the text, extraction says what in a file it could not read (a PDF page with no text
layer, pictures in a DOCX): the screen lists that per attachment, never passes it silently.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING

from pubreview.errors import ValidationError
from pubreview.screening.archive import check_archive
from pubreview.screening.budget import TimeBudget

# The readers are imported where a file of their kind is read: together they take a tenth of a
# second to load, which every command importing screening would otherwise pay.
if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from pypdf import PageObject

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
DOCX_SUFFIXES = {".docx"}
PDF_SUFFIXES = {".pdf"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
SCREENABLE_SUFFIXES = TEXT_SUFFIXES | DOCX_SUFFIXES | PDF_SUFFIXES | XLSX_SUFFIXES


@dataclass
class Extracted:
    """The text of one file as (location, text) parts, and what in it could not be read."""

    parts: list[tuple[str, str]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)  # in Chinese, for the reviewer


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


def _block_lines(
    blocks: Iterator[Paragraph | Table], budget: TimeBudget | None = None
) -> Iterator[str]:
    """Paragraphs as lines and table rows as " | "-joined lines, in document order."""
    from docx.text.paragraph import Paragraph

    budget = budget or TimeBudget.unlimited()
    for block in blocks:
        budget.check()
        if isinstance(block, Paragraph):
            yield block.text
            continue
        for row in block.rows:
            budget.check()
            cells, seen = [], set()
            for cell in row.cells:
                # A merged cell is returned once per grid column it spans.
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
                cells.append(" ".join(_block_lines(cell.iter_inner_content(), budget)))
            yield CELL_SEPARATOR.join(cells)


def docx_parts(filename: str, data: bytes, budget: TimeBudget | None = None) -> Extracted:
    """The body of a DOCX, then its own headers and footers; pictures in it are a gap."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError, etree.LxmlError) as exc:
        raise ValidationError(f"not a readable DOCX file: {exc}") from exc
    budget = budget or TimeBudget.unlimited()
    budget.check()  # parsing the XML is one step: measured when it returns
    parts = [(filename, "\n".join(_block_lines(document.iter_inner_content(), budget)))]
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
                    lines.extend(_block_lines(part.iter_inner_content(), budget))
        if any(line.strip() for line in lines):
            parts.append((f"{filename} {label}", "\n".join(lines)))
    hyperlinks = [
        rel.target_ref
        for rel in document.part.rels.values()
        if rel.reltype == RELATIONSHIP_TYPE.HYPERLINK
    ]
    extracted = Extracted(parts + _links_part(filename, hyperlinks))
    # Text inside pictures (a scanned page pasted in, a photo of a form) is not read.
    if pictures := len(document.inline_shapes):
        extracted.gaps.append(f"含 {pictures} 张图片，图片中的文字未筛查")
    return extracted


def _links_part(filename: str, targets: list[str]) -> list[tuple[str, str]]:
    """A file's hyperlink targets as one part, one Markdown link a line, for the link check.

    A link's address is not in the text a reader sees, so without this the check would
    never see where an attachment's links lead.
    """
    if not targets:
        return []
    return [(f"{filename} 超链接", "\n".join(f"[{LINK_LABEL}]({t})" for t in targets))]


LINK_LABEL = "链接"


def _page_list(pages: list[int]) -> str:
    return "、".join(str(n) for n in pages)


def pdf_parts(filename: str, data: bytes, budget: TimeBudget | None = None) -> Extracted:
    """Each page of a PDF with a text layer as its own part; pages without one are gaps."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    budget = budget or TimeBudget.unlimited()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError("加密的 PDF，无法提取文字")
        texts, uris = [], []
        for page in reader.pages:
            budget.check()  # between pages: one page's text is one step
            texts.append(page.extract_text() or "")
            uris.extend(_page_uris(page))
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ValidationError(f"not a readable PDF file: {exc}") from exc
    extracted = Extracted()
    blank = []
    for number, text in enumerate(texts, start=1):
        if text.strip():
            extracted.parts.append((f"{filename} 第{number}页", text))
        else:
            blank.append(number)
    if blank and len(blank) == len(texts):
        raise ValidationError(f"全部 {len(texts)} 页都没有文字层（可能是扫描件）")
    if blank:
        extracted.gaps.append(f"第 {_page_list(blank)} 页没有文字层（可能是扫描件），未筛查")
    extracted.parts += _links_part(filename, uris)
    return extracted


def _page_uris(page: PageObject) -> Iterator[str]:
    """The web addresses of a page's link annotations."""
    for annotation in page.get("/Annots") or ():
        action = annotation.get_object().get("/A")
        uri = action.get_object().get("/URI") if action is not None else None
        if isinstance(uri, str):
            yield uri


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def xlsx_parts(filename: str, data: bytes, budget: TimeBudget | None = None) -> Extracted:
    """Each worksheet as a part, one line per spreadsheet row (so a line number is a row)."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError(f"not a readable XLSX file: {exc}") from exc
    budget = budget or TimeBudget.unlimited()
    extracted = Extracted()
    for sheet in book.worksheets:
        # Hidden sheets go out with the file: screened, and named so the reviewer knows.
        hidden = "（隐藏）" if sheet.sheet_state != "visible" else ""
        lines = []
        for row in sheet.iter_rows(values_only=True):
            budget.check()
            cells = [_cell(v) for v in row]
            while cells and not cells[-1]:
                cells.pop()
            lines.append(CELL_SEPARATOR.join(cells))
        if any(lines):
            location = f"{filename} 工作表「{sheet.title}」{hidden}"
            extracted.parts.append((location, "\n".join(lines)))
    # Pictures live in the package's media folder (openpyxl reads them only with Pillow).
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        pictures = sum(1 for name in package.namelist() if name.startswith("xl/media/"))
    if pictures:
        extracted.gaps.append(f"含 {pictures} 张图片，图片中的文字未筛查")
    return extracted


def extract(filename: str, data: bytes, budget: TimeBudget | None = None) -> Extracted:
    """The screenable text of one attachment and what in it could not be read.

    Raises ValidationError when the type is screenable but the content cannot be read,
    ArchiveRefused when a .docx/.xlsx would expand past the limits, and ScreeningTooSlow when
    reading it outlasts `budget` (default: none); callers check `is_screenable` first for the
    types that are not screened at all.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix in DOCX_SUFFIXES | XLSX_SUFFIXES:
        # Before any parser unpacks it: a zip bomb is refused (ArchiveRefused), not screened.
        check_archive(PurePath(filename).name, data)
    if suffix in DOCX_SUFFIXES:
        return docx_parts(filename, data, budget)
    if suffix in PDF_SUFFIXES:
        return pdf_parts(filename, data, budget)
    if suffix in XLSX_SUFFIXES:
        return xlsx_parts(filename, data, budget)
    if suffix in TEXT_SUFFIXES:
        return Extracted([(filename, decode_text(data))])
    raise ValidationError(f"{filename}: file type {suffix or '(none)'} is not screened")


def extract_parts(filename: str, data: bytes) -> list[tuple[str, str]]:
    """The screenable text of one attachment as (location, text) pairs (see `extract`)."""
    return extract(filename, data).parts
