"""The letters of a request, from office-editable DOCX templates (docxtpl).

受理回执, 补正告知书, 延期答复告知书, 征求第三方意见函 and the 答复告知书 — one template per
outcome kind (予以公开, 部分公开, 不予公开, 无法提供, 不予处理), each citing the legal basis the
承办 gave. The templates live in templates/requests/; an office edits them in Word, keeping
the {{ … }} placeholders. A placeholder the context lacks is an error, never a blank; the
（六）其他处理 closings send no letter. The letters name the applicant: they go to them alone.

The 答复告知书 is bound to its 签发: the signer is shown the letter as it will be sent, the
签发 renders it again (refused if it changed since it was shown), keeps those bytes and records
their SHA-256. From then on the letter is the kept bytes, checked against that SHA-256 each
time, never a new rendering — so a template edited, or a date that moved, after the signature
cannot change what goes out. It is dated the day it was signed. A rendering is the same bytes
for the same letter (`_stable`), which is what lets "as shown" be checked.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import RequestConsultation, Unit, UnitKind
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.requests import entries, files, reply, store
from pubreview.requests.outcome import outcome_label
from pubreview.settings import PROJECT_ROOT

TEMPLATE_DIR = PROJECT_ROOT / "templates" / "requests"


@dataclass(frozen=True)
class Letter:
    """A kind of letter: its title and template file."""

    key: str
    title: str
    template: str


LETTERS = {
    "receipt": Letter("receipt", "受理回执", "receipt.docx"),
    "correction": Letter("correction", "补正告知书", "correction.docx"),
    "extension": Letter("extension", "延期答复告知书", "extension.docx"),
    "consultation": Letter("consultation", "征求第三方意见函", "consultation.docx"),
    "reply": Letter("reply", "答复告知书", ""),  # the template follows the outcome
}
REPLY_TEMPLATE = {
    "三（一）": "reply-disclose.docx",
    "三（二）": "reply-partial.docx",
    "三（三）": "reply-withhold.docx",
    "三（四）": "reply-unavailable.docx",
    "三（五）": "reply-not-processed.docx",
}


def chinese_date(on: date) -> str:
    """2025年10月20日."""
    return f"{on.year}年{on.month}月{on.day}日"


def _office(session: Session) -> str:
    # The 政府信息公开工作机构 that signs the letters: the publication center.
    name = session.scalars(select(Unit.name).where(Unit.kind == UnitKind.CENTER)).first()
    return name or "本机关"


def context(
    session: Session, request_id: int, key: str, *, signed_on: date | None = None
) -> tuple[str, dict[str, Any]]:
    """The template file and the placeholders' values for one letter of a request.

    The reply is dated its 签发 day: `signed_on` when it is being signed on that day, else the
    day its 签发 recorded, else (not signed yet) today, the day a 签发 defaults to.
    """
    if key not in LETTERS:
        names = "、".join(f"{k}（{v.title}）" for k, v in LETTERS.items())
        raise ValidationError(f"没有「{key}」这种文书，应为 {names} 之一", field="kind")
    req = store.get(session, request_id)
    letter = LETTERS[key]
    values: dict[str, Any] = {
        "office": _office(session),
        "year": req.received_on.year,
        "number": req.id,
        "applicant": req.applicant_name or "申请人",
        "channel": req.channel.value,
        "content": req.content,
        "received_on": chinese_date(req.received_on),
        "basis": store.BASIS[req.channel.value],
        "due_on": chinese_date(req.due_on) if req.due_on else "",
        "issued_on": chinese_date(store.office_today()),
    }
    template = letter.template
    if key == "correction":
        asked = entries.done(session, entries.CorrectionAsked, request_id=req.id)
        if asked is None:
            raise DecisionRefused(f"第 {req.id} 号申请没有告知补正，无法出具补正告知书")
        values["what"] = asked.what
        values["correction_due_on"] = chinese_date(asked.correction_due_on)
        values["issued_on"] = chinese_date(asked.asked_on)
    elif key == "extension":
        ext = entries.done(session, entries.Extended, request_id=req.id)
        if ext is None:
            raise DecisionRefused(f"第 {req.id} 号申请没有延期，无法出具延期答复告知书")
        values.update(days=ext.days, reason=ext.reason)
        values["due_on"] = chinese_date(ext.due_on)
        values["issued_on"] = chinese_date(ext.notified_on)
    elif key == "consultation":
        c = session.scalars(
            select(RequestConsultation)
            .where(RequestConsultation.request_id == req.id)
            .order_by(RequestConsultation.id.desc())
        ).first()
        if c is None:
            raise DecisionRefused(f"第 {req.id} 号申请没有征求第三方意见，无法出具征求意见函")
        values.update(third_party=c.third_party, reply_due_on=chinese_date(c.reply_due_on))
        values["issued_on"] = chinese_date(c.sent_on)
    elif key == "reply":
        template, more = _reply(session, req.id, signed_on)
        values.update(more)
    return template, values


def _reply(session: Session, request_id: int, signed_on: date | None) -> tuple[str, dict[str, Any]]:
    last = reply.current(session, request_id)
    if last is None:
        raise DecisionRefused(f"第 {request_id} 号申请还没有承办答复稿，无法出具答复告知书")
    draft = last.draft
    group = draft.outcome if draft.outcome in REPLY_TEMPLATE else draft.outcome[:4]
    # Not the day it is rendered, nor the day it is sent: the day it was (or is being) signed.
    dated = signed_on or last.signed_on or store.office_today()
    return REPLY_TEMPLATE[group], {
        "outcome_label": outcome_label(draft.outcome).split(".", 1)[-1],
        "legal_basis": draft.legal_basis,
        "fee_yuan": draft.fee_yuan or "",
        "issued_on": chinese_date(dated),
    }


def render(session: Session, request_id: int, key: str, template_dir: Path = TEMPLATE_DIR):
    """The letter as DOCX bytes and a file name for it; a signed reply as it was signed."""
    if key == "reply":
        last = reply.current(session, request_id)
        signed = last.sign_step if last is not None else None
        if signed is not None and signed.letter_sha256:
            data = files.signed_letter(session, request_id, last.number, signed.letter_sha256)
            return data, _file_name(request_id, key)
    return render_now(session, request_id, key, template_dir)


def render_now(
    session: Session,
    request_id: int,
    key: str,
    template_dir: Path = TEMPLATE_DIR,
    *,
    signed_on: date | None = None,
):
    """The letter rendered from its template as things stand (the reply as it would be signed,
    dated `signed_on`, today by default)."""
    template, values = context(session, request_id, key, signed_on=signed_on)
    doc = DocxTemplate(template_dir / template)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    try:
        doc.render(values, jinja_env=env)
    except jinja2.UndefinedError as exc:
        raise ValidationError(f"文书模板 {template} 中有无法填写的占位符：{exc}") from None
    out = io.BytesIO()
    doc.save(out)
    return _stable(out.getvalue()), _file_name(request_id, key)


def fingerprint(data: bytes) -> str:
    """The SHA-256 of a letter's bytes, as the 签发 records it."""
    return hashlib.sha256(data).hexdigest()


def _file_name(request_id: int, key: str) -> str:
    return f"第{request_id}号申请-{LETTERS[key].title}.docx"


_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can record


def _stable(data: bytes) -> bytes:
    """The DOCX with every member dated alike: python-docx stamps each with the saving time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_EPOCH)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            dst.writestr(member, src.read(info))
    return out.getvalue()


def available(session: Session, request_id: int) -> list[tuple[str, str]]:
    """The letters this request has reached, as (key, title)."""
    found = [("receipt", LETTERS["receipt"].title)]
    if entries.done(session, entries.CorrectionAsked, request_id=request_id):
        found.append(("correction", LETTERS["correction"].title))
    if session.scalars(
        select(RequestConsultation.id).where(RequestConsultation.request_id == request_id)
    ).first():
        found.append(("consultation", LETTERS["consultation"].title))
    if entries.done(session, entries.Extended, request_id=request_id):
        found.append(("extension", LETTERS["extension"].title))
    last = reply.current(session, request_id)
    if last is not None:
        found.append(("reply", LETTERS["reply"].title))
    return found
