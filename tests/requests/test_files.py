"""The receipt's attachments: checked as publication attachments are, kept, and vouched for by
their SHA-256 in the 登记 entry (which does not hold their names)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select, update

from models import DisclosureRequest, LedgerEntry, RequestFile
from pubreview import db
from pubreview.errors import ValidationError
from pubreview.ledger import verification
from pubreview.requests import entries, files, views
from pubreview.review import replay as _replay  # noqa: F401  registers its verify check
from tests.support.requests import receive

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def _checked(*named: tuple[str, bytes]):
    return files.check_uploads(list(named))


def test_attachments_are_kept_and_the_receipt_entry_carries_their_hashes(engine) -> None:
    attached = _checked(("张三申请书.pdf", PDF), ("张三身份证.png", PNG))
    rid = receive(engine, date(2025, 9, 26), applicant_name="张三", attachments=attached)
    with db.transaction(engine) as s:
        entry = entries.find(s, entries.Received.key(request_id=rid))
        received = entries.Received.from_payload(entry.payload)
        assert [a["sha256"] for a in received.attachments] == [
            hashlib.sha256(PDF).hexdigest(),
            hashlib.sha256(PNG).hexdigest(),
        ]
        assert [a["size"] for a in received.attachments] == [len(PDF), len(PNG)]
        assert "张三" not in json.dumps(entry.payload, ensure_ascii=False)  # names stay out
        kept = files.receipt_files(s, rid)
        assert [f.filename for f in kept] == ["张三申请书.pdf", "张三身份证.png"]
        assert files.receipt_file(s, rid, kept[1].id).content == PNG
        assert files.problems(s) == []
        shown = views.detail(s, rid, personal=True)
        masked = views.detail(s, rid, personal=False)
    assert [a["filename"] for a in shown["attachments"]] == ["张三申请书.pdf", "张三身份证.png"]
    assert masked["attachments"] == [] and masked["attachment_count"] == 2
    assert "张三" not in json.dumps(masked, ensure_ascii=False)


def test_ledger_verify_recomputes_the_hash_of_each_kept_attachment(engine) -> None:
    rid = receive(engine, date(2025, 9, 26), attachments=_checked(("申请书.pdf", PDF)))
    with db.transaction(engine) as s:
        assert verification.verify_all(s, snapshot=False).content == []
    with db.transaction(engine) as s:  # edited outside pubreview, the sha256 column too
        s.execute(
            update(RequestFile).values(
                content=PDF + b"%x", sha256=hashlib.sha256(PDF + b"%x").hexdigest()
            )
        )
    with db.transaction(engine) as s:
        found = verification.verify_all(s, snapshot=False).content
    assert found == [f"第 {rid} 号申请的第 1 个登记附件：内容与台帐记录的 SHA-256 不符（已改动）"]
    with db.transaction(engine) as s:
        s.execute(RequestFile.__table__.delete())
    with db.transaction(engine) as s:
        assert files.problems(s) == [f"第 {rid} 号申请的第 1 个登记附件：台帐有记录，文件已缺失"]


def _docx_bomb(expanded: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * expanded)
    return out.getvalue()


@pytest.mark.parametrize(
    ("named", "message"),
    [
        (("程序.pdf", b"MZ\x90\x00" + b"\x00" * 60), "的内容与扩展名 .pdf 不符"),
        (("脚本.exe", b"MZ\x90\x00"), "的类型（.exe）不允许上传"),
        (("空.pdf", b""), "是空文件"),
        (("申请书.docx", "bomb"), "疑为压缩炸弹"),
    ],
)
def test_a_bad_attachment_is_refused_by_name_and_nothing_is_written(
    engine, monkeypatch, named, message
) -> None:
    monkeypatch.setenv("PUBREVIEW_MAX_EXPANDED_BYTES", str(1024 * 1024))
    name, data = named
    if data == "bomb":
        data = _docx_bomb(2 * 1024 * 1024)
    with pytest.raises(ValidationError, match=message) as refused:
        _checked(("附件.pdf", PDF), (name, data))
    assert name in str(refused.value) and refused.value.field == "attachments"
    with db.transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(DisclosureRequest)) == 0


def test_too_many_or_same_named_attachments_are_refused(engine, monkeypatch) -> None:
    monkeypatch.setenv("PUBREVIEW_MAX_ATTACHMENTS", "2")
    with pytest.raises(ValidationError, match="共 3 个，超过上限 2 个"):
        _checked(("a.pdf", PDF), ("b.pdf", PDF), ("c.pdf", PDF))
    with pytest.raises(ValidationError, match="有两个文件同名（a.pdf）"):
        _checked(("a.pdf", PDF), ("a.pdf", PDF))
    before = _entries(engine)
    with pytest.raises(ValidationError, match="共 3 个"):  # the domain checks the count too
        receive(engine, date(2025, 9, 26), attachments=_checked(("a.pdf", PDF)) * 3)
    assert _entries(engine) == before


def _entries(engine) -> int:
    with db.transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(LedgerEntry))
