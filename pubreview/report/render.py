"""Writing a report Document as Markdown and HTML (Jinja2 templates) and DOCX (python-docx)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from docx import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from pubreview.rendering import render
from pubreview.report.document import Cell, Document, Table

FONT = "SimSun"  # 宋体: what offices file; Word substitutes when it is missing


def markdown(doc: Document) -> str:
    """The report as Markdown (tables in their flat form: Markdown cannot merge cells)."""
    return render("report/report.md", doc=doc)


def html(doc: Document) -> str:
    """The report as a standalone HTML page (tables with merged cells)."""
    return render("report/report.html", doc=doc)


def grid_positions(rows: list[list[Cell]]) -> list[tuple[int, int, Cell]]:
    """Place each cell at (row, column) the way HTML does, skipping spots covered by spans."""
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, cell))
            taken |= {(r + i, c + j) for i in range(cell.rowspan) for j in range(cell.colspan)}
            c += cell.colspan
    return placed


def _docx_table(document, table: Table) -> None:
    caption = document.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.add_run(table.title).bold = True
    rows = table.head + table.body
    placed = grid_positions(rows)
    width = max(c + cell.colspan for _, c, cell in placed)
    grid = document.add_table(rows=len(rows), cols=width)
    grid.style = "Table Grid"
    for r, c, cell in placed:
        target = grid.cell(r, c)
        if cell.rowspan > 1 or cell.colspan > 1:
            target = target.merge(grid.cell(r + cell.rowspan - 1, c + cell.colspan - 1))
        target.text = cell.text
        for paragraph in target.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(9)
                run.bold = cell.header and r < len(table.head)


def docx_bytes(doc: Document) -> bytes:
    """The report as a Word document, with the same tables as the HTML."""
    document = DocxDocument()
    normal = document.styles["Normal"]
    normal.font.name = FONT
    # East Asian text takes its font from eastAsia, not from the Latin font name.
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.font.size = Pt(12)
    title = document.add_heading(doc.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for block in doc.blocks:
        if block.kind == "heading":
            document.add_heading(block.text, level=min(block.level, 3))
        elif block.kind == "paragraph":
            paragraph = document.add_paragraph(
                block.text, style="List Bullet" if block.css == "problem" else None
            )
            if block.css == "":
                paragraph.paragraph_format.first_line_indent = Pt(24)
        elif block.table is not None:
            _docx_table(document, block.table)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def write_all(doc: Document, out_dir: Path, stem: str) -> dict[str, Path]:
    """Write Markdown, HTML and DOCX side by side; returns format → path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": out_dir / f"{stem}.md",
        "html": out_dir / f"{stem}.html",
        "docx": out_dir / f"{stem}.docx",
    }
    paths["markdown"].write_text(markdown(doc), encoding="utf-8")
    paths["html"].write_text(html(doc), encoding="utf-8")
    paths["docx"].write_bytes(docx_bytes(doc))
    return paths
