"""The 审批表 (approval slip) of an item: a printable page and a Word document.

The Word file is built with python-docx (already a dependency for the annual report) rather
than a docxtpl template: the slip is two tables whose rows come from the ledger, which code
lays out as easily as a template would, and no binary template has to be kept in step.
"""

from __future__ import annotations

import io
from typing import Annotated
from urllib.parse import quote

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from pubreview.accounts import authz
from pubreview.errors import NotFound
from pubreview.publishing import OFFICE_TIMEZONE, local_now
from pubreview.review.slip import Slip, approval_slip
from pubreview.review.submission import get
from pubreview.web.auth import CurrentUser, current_user
from pubreview.web.common import NOTHING_CHANGED, SECURITY_HEADERS, message, page, snapshot

router = APIRouter()
SignedIn = Annotated[CurrentUser, Depends(current_user)]

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STEP_COLUMNS = ("时间", "环节", "稿次", "办理人", "角色", "决定", "意见", "内容指纹")
_TIME = "%Y-%m-%d %H:%M"


def _slip_for(user: CurrentUser, publication_id: int) -> Slip:
    """The slip, if this person may view the item (Forbidden otherwise)."""
    with snapshot() as session:
        authz.require(session, user, "view_item", publication=get(session, publication_id))
        return approval_slip(session, publication_id)


def _not_found(publication_id: int, user: CurrentUser) -> HTMLResponse:
    return message(
        404,
        "找不到该信息",
        f"没有编号为 {publication_id} 的信息，请核对编号。{NOTHING_CHANGED}",
        user=user,
    )


def _step_rows(slip: Slip) -> list[dict]:
    return [
        {
            "entry_id": s.entry_id,
            "at": s.at.strftime(_TIME),
            "step": s.step,
            "revision": s.revision,
            "name": s.name,
            "username": s.username,
            "acting_for": s.acting_for,
            "role": s.role,
            "decision": s.decision,
            "opinion": s.opinion,
            "notes": s.notes,
            "fingerprint": s.fingerprint,
        }
        for s in slip.steps
    ]


@router.get("/items/{publication_id}/slip", response_class=HTMLResponse)
def slip_page(publication_id: int, user: SignedIn) -> HTMLResponse:
    """The printable 审批表."""
    try:
        slip = _slip_for(user, publication_id)
    except NotFound:
        return _not_found(publication_id, user)
    return page(
        "slip.html",
        user=user,
        slip=slip,
        steps=_step_rows(slip),
        submitted_at=slip.submitted_at.strftime(_TIME),
        printed_at=local_now().strftime(_TIME),
        timezone=OFFICE_TIMEZONE.key,
    )


@router.get("/items/{publication_id}/slip.docx")
def slip_docx(publication_id: int, user: SignedIn) -> Response:
    """The 审批表 as a Word document."""
    try:
        slip = _slip_for(user, publication_id)
    except NotFound:
        return _not_found(publication_id, user)
    name = f"审批表-{slip.id}.docx"
    return Response(
        slip_document(slip),
        media_type=DOCX_TYPE,
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        },
    )


def _cell_text(cell, text: str, *, bold: bool = False, size: float | None = None) -> None:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)


def slip_document(slip: Slip) -> bytes:
    """The slip as .docx bytes: the item's facts, then one row per step."""
    doc = Document()
    section = doc.sections[0]
    # Eight columns with a 64-character fingerprint need the width of a landscape page.
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    normal = doc.styles["Normal"]
    normal.font.name = "SimSun"
    normal.font.size = Pt(10.5)
    # Word picks the font for Chinese characters from the East Asian slot, not from font.name.
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")

    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title_run = heading.add_run("信息发布审批表")
    title_run.bold = True
    title_run.font.size = Pt(18)

    facts = [
        ("编号", f"#{slip.id}（当前第 {slip.revision} 稿）"),
        ("标题", slip.title),
        ("报送单位", slip.unit),
        ("报送人", slip.submitter),
        ("内容类别", slip.category),
        ("发布渠道", "、".join(slip.channels)),
        ("提交时间", slip.submitted_at.strftime(_TIME)),
        ("当前状态", slip.status),
        ("内容指纹", slip.fingerprint),
    ]
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in facts:
        row = table.add_row().cells
        _cell_text(row[0], label, bold=True)
        _cell_text(row[1], value)

    doc.add_paragraph()
    doc.add_paragraph().add_run("办理过程").bold = True
    steps = doc.add_table(rows=1, cols=len(STEP_COLUMNS))
    steps.style = "Table Grid"
    for cell, label in zip(steps.rows[0].cells, STEP_COLUMNS, strict=True):
        _cell_text(cell, label, bold=True)
    for s in slip.steps:
        who = f"{s.name}（{s.username}）" + (f"\n代 {s.acting_for} 签" if s.acting_for else "")
        opinion = "\n".join(part for part in (s.opinion, *s.notes) if part)
        values = (
            s.at.strftime(_TIME),
            s.step,
            f"第 {s.revision} 稿" if s.revision else "",
            who,
            s.role,
            s.decision,
            opinion,
            s.fingerprint or "",
        )
        cells = steps.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
            _cell_text(cell, value, size=7 if index == len(values) - 1 else None)

    doc.add_paragraph(
        f"以上记录取自发布台帐（时间为 {OFFICE_TIMEZONE.key} 时间）。"
        f"台帐末条哈希：{slip.ledger_head}。打印时间：{local_now().strftime(_TIME)}。"
    )
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
