"""Files kept with a request: the receipt's attachments and the reply letter as signed.

Receipt attachments (the letter scanned, the applicant's ID copy, the online form's files) are
checked by the rules publication attachments follow (`review.drafts.check_attachment`: name,
size, type by content, zip bombs; `inputs.check_attachment_count`), stored in the database, and
their SHA-256 recorded in the 登记 entry. They are personal data: only request handlers see
their names or download them, and nothing of them reaches a report, the public site or a
notice. The reply letter is stored at 签发 and the 签发 entry carries its SHA-256, so what is
sent is exactly what was signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import RequestFile, RequestFileKind
from pubreview import inputs
from pubreview.errors import DecisionRefused, NotFound, ValidationError
from pubreview.ledger import verification
from pubreview.requests import entries
from pubreview.review.submission import AttachmentFile, check_distinct_names

FIELD = "attachments"


def check_uploads(files: Sequence[tuple[str, bytes]]) -> list[AttachmentFile]:
    """Uploaded (name, bytes) as attachments, or ValidationError naming the file (slow: before
    the write transaction, as the draft form checks its attachments)."""
    from pubreview.review.drafts import check_attachment  # loads the Word reader: only here

    inputs.check_attachment_count(len(files), FIELD)
    checked = [check_attachment(name, data, FIELD) for name, data in files]
    check_distinct_names(checked)
    return checked


def read_paths(paths: Sequence[Path]) -> list[AttachmentFile]:
    """Files given on the command line, read and checked like uploads."""
    read = []
    for path in paths:
        try:
            read.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise ValidationError(
                f"附件“{path}”无法读取（{exc.strerror or exc}）", field=FIELD
            ) from exc
    return check_uploads(read)


def ledger_list(attachments: Sequence[AttachmentFile]) -> list[dict[str, object]]:
    """What the 登记 entry records of each attachment: its hash and size, the name's digest."""
    return [
        {"sha256": a.sha256, "size": len(a.content), "name_digest": entries.digest(a.filename)}
        for a in attachments
    ]


def add_receipt_files(
    session: Session, request_id: int, attachments: Sequence[AttachmentFile]
) -> None:
    """Keep the receipt's attachments (the caller records the 登记 entry listing them)."""
    inputs.check_attachment_count(len(attachments), FIELD)
    check_distinct_names(list(attachments))
    for number, a in enumerate(attachments, start=1):
        session.add(_row(request_id, RequestFileKind.RECEIPT, number, a.filename, a.content))


def add_letter(session: Session, request_id: int, round_number: int, name: str, data: bytes) -> str:
    """Keep the reply letter exactly as signed; its SHA-256."""
    row = _row(request_id, RequestFileKind.REPLY, round_number, name, data)
    session.add(row)
    return row.sha256


def _row(request_id: int, kind: RequestFileKind, number: int, name: str, data: bytes):
    digest = hashlib.sha256(data).hexdigest()
    return RequestFile(
        request_id=request_id,
        kind=kind,
        number=number,
        filename=name,
        sha256=digest,
        size=len(data),
        content=data,
    )


@dataclass(frozen=True)
class Listed:
    """A kept file as a page lists it (no bytes)."""

    id: int
    number: int
    filename: str
    size: int
    sha256: str


def receipt_files(session: Session, request_id: int) -> list[Listed]:
    """The receipt's attachments, in the order the 登记 entry lists them."""
    query = (
        select(RequestFile.id, RequestFile.number, RequestFile.filename)
        .add_columns(RequestFile.size, RequestFile.sha256)
        .where(RequestFile.request_id == request_id, RequestFile.kind == RequestFileKind.RECEIPT)
        .order_by(RequestFile.number)
    )
    return [Listed(*row) for row in session.execute(query)]


def receipt_file(session: Session, request_id: int, file_id: int) -> RequestFile:
    """One receipt attachment with its bytes, or NotFound."""
    found = session.scalars(
        select(RequestFile).where(
            RequestFile.id == file_id,
            RequestFile.request_id == request_id,
            RequestFile.kind == RequestFileKind.RECEIPT,
        )
    ).first()
    if found is None:
        raise NotFound(f"第 {request_id} 号申请没有这个附件")
    return found


def letter(session: Session, request_id: int, round_number: int) -> RequestFile | None:
    """The reply letter signed in this round, if one was kept."""
    return session.scalars(
        select(RequestFile).where(
            RequestFile.request_id == request_id,
            RequestFile.kind == RequestFileKind.REPLY,
            RequestFile.number == round_number,
        )
    ).first()


def sha256_of(row: RequestFile) -> str:
    """The SHA-256 of the stored bytes themselves (not the column beside them)."""
    return hashlib.sha256(row.content).hexdigest()


@verification.domain_check("request files", "content")
def problems(session: Session) -> list[str]:
    """Every kept file whose bytes the ledger does not vouch for, and every file it lists but
    nobody kept (for `ledger verify`)."""
    stated: dict[tuple[int, RequestFileKind, int], str] = {}
    for _, received in entries.of_kind(session, entries.Received):
        for number, a in enumerate(received.attachments or [], start=1):
            stated[(received.request_id, RequestFileKind.RECEIPT, number)] = a["sha256"]
    for _, step in entries.of_kind(session, entries.ReplyStep):
        if step.letter_sha256:
            stated[(step.request_id, RequestFileKind.REPLY, step.round)] = step.letter_sha256
    found = []
    # A few at a time: the bytes of every kept file together could be large.
    for row in session.scalars(
        select(RequestFile).order_by(RequestFile.id).execution_options(yield_per=20)
    ):
        what = _what(row.request_id, row.kind, row.number)
        expected = stated.pop((row.request_id, row.kind, row.number), None)
        if expected is None:
            found.append(f"{what}：台帐中没有记录")
        elif sha256_of(row) != expected:
            found.append(f"{what}：内容与台帐记录的 SHA-256 不符（已改动）")
    for request_id, kind, number in sorted(stated):
        found.append(f"{_what(request_id, kind, number)}：台帐有记录，文件已缺失")
    return found


def _what(request_id: int, kind: RequestFileKind, number: int) -> str:
    if kind is RequestFileKind.RECEIPT:
        return f"第 {request_id} 号申请的第 {number} 个登记附件"
    return f"第 {request_id} 号申请第 {number} 稿签发的答复告知书"


def signed_letter(session: Session, request_id: int, round_number: int, expected: str) -> bytes:
    """The letter signed in a round, its bytes checked against the SHA-256 the 签发 recorded."""
    row = letter(session, request_id, round_number)
    if row is None:
        raise DecisionRefused(
            f"第 {request_id} 号申请第 {round_number} 稿签发的答复告知书已缺失，不能出具或发出："
            "请联系管理员核查台帐"
        )
    if sha256_of(row) != expected:
        raise DecisionRefused(
            f"第 {request_id} 号申请的答复告知书与签发时的不一致（签发时 SHA-256 为 "
            f"{expected[:12]}…，现为 {sha256_of(row)[:12]}…），不能出具或发出："
            "请联系管理员核查台帐"
        )
    return row.content
