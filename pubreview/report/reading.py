"""Reading a published report file into paragraphs and table grids, whatever it was saved as.

HTML as government sites publish it (nested tables with rowspan/colspan, &nbsp; blanks,
full-width digits), DOCX (python-docx), PDF (pypdf's text) and plain text or Markdown (a table
row is a line of `|`-separated cells, or a label followed by figures). Merged cells are
expanded into every position they cover, so a row's labels can be read from the row alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pubreview.errors import ValidationError
from pubreview.report.claims import normalise

HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")
BLOCK_TAGS = (
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "br", "tr", "section", "article",
    "caption", "blockquote", "pre", "dt", "dd",
)  # fmt: skip
FIGURE = re.compile(r"^-?\d+(?:\.\d+)?$")
COVERED = "\x00"  # marks a grid position covered by a cell to its left (colspan)
BLANKS = {"", "-", "—", "－", "/", "／", "无"}
INLINE_HEADING = re.compile(r"(?<![\d\w])(?=[一二三四五六七八九十]{1,2}、[\u4e00-\u9fff])")


@dataclass
class Grid:
    """One table as rows of cell texts, merged cells repeated in every position they cover."""

    rows: list[list[str]]
    where: str


@dataclass
class SourceDocument:
    """A report file as paragraphs (with where each is) and table grids, in reading order."""

    path: Path
    paragraphs: list[tuple[str, str]] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All paragraphs, one per line."""
        return "\n".join(t for _, t in self.paragraphs)


def clean(text: str) -> str:
    """Cell or paragraph text with &nbsp;, ideographic spaces and runs of space collapsed."""
    text = normalise(text.replace("\xa0", " ").replace("\u3000", " "))
    return re.sub(r"\s+", " ", text).strip()


def is_figure(text: str) -> bool:
    """A cell holding a number (full-width digits allowed)."""
    return bool(FIGURE.match(clean(text).replace(",", "")))


def is_blank(text: str) -> bool:
    """A cell printed blank (or with a dash)."""
    return clean(text) in BLANKS


def with_sections(paragraphs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each paragraph's place with the heading it stands under (一、总体情况 …)."""
    out: list[tuple[str, str]] = []
    heading = ""
    for where, text in paragraphs:
        if re.fullmatch(r"[一二三四五六七八九十]{1,2}、\S{2,30}", text):
            heading = text
        elif heading and "「" not in where:
            where = f"{where}「{heading}」"
        out.append((where, text))
    return out


def _split_headings(where: str, text: str) -> list[tuple[str, str]]:
    """A long paragraph holding several sections (as sites paste them) split at 一、二、…."""
    parts = [p.strip() for p in INLINE_HEADING.split(text) if p.strip()]
    out = []
    for part in parts:
        m = re.match(r"([一二三四五六七八九十]{1,2}、[^\s，。,:：]{2,30})", part)
        out.append((f"{where}「{m.group(1)}」" if m else where, part))
    return out


def _html(path: Path) -> SourceDocument:
    from lxml import html as lxml_html

    raw = path.read_bytes()
    try:
        root = lxml_html.document_fromstring(raw)
    except ValueError as exc:  # lxml refuses some encodings declared in the page
        raise ValidationError(f"{path}: 不是可读的 HTML 页面：{exc}") from exc
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    doc = SourceDocument(path)
    # Innermost tables first: a page laid out in tables holds the report's tables inside.
    tables = [t for t in root.iter("table") if not t.xpath(".//table")]
    for n, table in enumerate(tables, start=1):
        doc.grids.append(Grid(_html_grid(table), f"第{n}个表格"))
    for table in tables:
        table.drop_tree()
    for el in root.iter(*BLOCK_TAGS):
        el.tail = "\n" + (el.tail or "")
        if el.tag != "br":
            el.text = "\n" + (el.text or "")
    lines = [clean(line) for line in root.text_content().split("\n")]
    number = 0
    for line in lines:
        if line:
            number += 1
            doc.paragraphs += _split_headings(f"第{number}段", line)
    return doc


def _html_grid(table) -> list[list[str]]:
    rows: list[list[str]] = []
    taken: dict[tuple[int, int], str] = {}
    for r, tr in enumerate(table.iter("tr")):
        c = 0
        row: dict[int, str] = {}
        for td in tr:
            if td.tag not in ("td", "th"):
                continue
            while (r, c) in taken:
                row[c] = taken.pop((r, c))
                c += 1
            text = clean(td.text_content())
            rowspan = _span(td.get("rowspan"))
            colspan = _span(td.get("colspan"))
            for i in range(rowspan):
                for j in range(colspan):
                    # A colspan copy is marked: a label repeats, a figure counts once.
                    copy = text if j == 0 else COVERED + text
                    if i == 0:
                        row[c + j] = copy
                    else:
                        taken[(r + i, c + j)] = copy
            c += colspan
        while (r, c) in taken:
            row[c] = taken.pop((r, c))
            c += 1
        rows.append([row.get(i, "") for i in range(max(row, default=-1) + 1)])
    return [row for row in rows if row]


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 200))
    except ValueError:
        return 1


def _docx(path: Path) -> SourceDocument:
    from docx import Document as open_docx
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph as DocxParagraph

    try:
        document = open_docx(str(path))
    except Exception as exc:  # python-docx raises several kinds for a file that is not DOCX
        raise ValidationError(f"{path}: 不是可读的 Word（DOCX）文件：{exc}") from exc
    doc = SourceDocument(path)
    number = 0
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = clean(DocxParagraph(child, document).text)
            if text:
                number += 1
                doc.paragraphs += _split_headings(f"第{number}段", text)
        elif tag == "tbl":
            table = DocxTable(child, document)
            rows = []
            for row in table.rows:
                cells, previous = [], None
                for cell in row.cells:  # a horizontally merged cell repeats: mark the copies
                    cells.append(clean(cell.text) if cell._tc is not previous else COVERED)
                    previous = cell._tc
                rows.append(cells)
            doc.grids.append(Grid(rows, f"第{len(doc.grids) + 1}个表格"))
    return doc


def _pdf(path: Path) -> SourceDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, OSError, ValueError) as exc:
        raise ValidationError(f"{path}: 不是可读的 PDF 文件：{exc}") from exc
    if not text.strip():
        raise ValidationError(f"{path}: PDF 中没有可提取的文字（可能是扫描件）")
    return _text(path, text)


HEADING_LINE = re.compile(r"[一二三四五六七八九十]{1,2}、|[（(][一二三四五六七八九十]{1,2}[）)]")


def join_lines(text: str) -> str:
    """Lines broken inside a sentence or a table label (PDF text, wrapped files) joined back.

    A line continues into the next unless it ends a sentence, is blank, or the next line is a
    heading; a short label line (a table row's label broken over lines) joins the row after.
    """
    out: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        last = out[-1].strip() if out else ""
        open_line = bool(last) and not re.search(r"[。；;！？!?：:|]$", last)
        if not (stripped and open_line and _text_row(out[-1]) is None):
            out.append(line)
        elif _text_row(line) is not None:
            # The start of this row's label: short, one phrase (a header line has several).
            if len(last) <= 40 and " " not in re.sub(r"\d+\.\s*", "", last):
                out[-1] = last + stripped
            else:
                out.append(line)
        elif not HEADING_LINE.match(last) and not HEADING_LINE.match(stripped):
            out[-1] = out[-1].rstrip() + stripped
        else:
            out.append(line)
    return "\n".join(out)


def _text(path: Path, text: str) -> SourceDocument:
    """Plain text: `|` rows and label-then-figures lines are table rows; the rest paragraphs."""
    doc = SourceDocument(path)
    text = join_lines(text)
    current: list[list[str]] = []
    number = 0

    def close() -> None:
        nonlocal current
        if current:
            doc.grids.append(Grid(current, f"第{len(doc.grids) + 1}个表格"))
            current = []

    for line in text.splitlines():
        row = _text_row(line)
        if row is not None:
            current.append(row)
            continue
        close()
        cells = [clean(c) for c in line.split("|")] if "|" in line else [clean(line)]
        for cell in cells:
            if cell and not re.fullmatch(r"[-:\s|]*", cell):
                number += 1
                doc.paragraphs += _split_headings(f"第{number}段", cell)
    close()
    return doc


def _text_row(line: str) -> list[str] | None:
    """A line as table cells, or None when it reads as prose."""
    stripped = line.strip()
    if "|" in stripped:
        cells = [clean(c) for c in stripped.strip("|").split("|")]
        if all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):
            return []  # a Markdown separator row
        short = [c for c in cells if c]
        if len(short) >= 2 and all(len(c) <= 60 for c in short):
            return cells
        return None
    tokens = clean(stripped).split(" ")
    figures = 0
    for token in reversed(tokens):
        if not is_figure(token):
            break
        figures += 1
    label = " ".join(tokens[: len(tokens) - figures])
    # A short label with one or two figures is a Table 二 row ("行政许可 120").
    if figures >= 3 and len(label) <= 60 or figures >= 5 or (figures and 2 <= len(label) <= 12):
        return [label, *tokens[len(tokens) - figures :]] if label else tokens
    return None


def read_file(path: Path) -> SourceDocument:
    """A report file as paragraphs and grids; a file that cannot be read is a ValidationError."""
    if not path.is_file():
        raise ValidationError(f"{path}: 文件不存在")
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        doc = _html(path)
    elif suffix == ".docx":
        doc = _docx(path)
    elif suffix == ".pdf":
        doc = _pdf(path)
    else:
        doc = _plain(path)
    doc.paragraphs = with_sections(doc.paragraphs)
    return doc


def _plain(path: Path) -> SourceDocument:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = path.read_bytes().decode("gb18030")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"{path}: 无法识别的文字编码（请存为 UTF-8）") from exc
    if re.search(r"<(?:html|table|body)\b", text[:2000], re.IGNORECASE):
        return _html(path)
    return _text(path, text)
