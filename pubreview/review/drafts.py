"""What a submitter uploads: a .docx turned into a Markdown body, attachments checked by content.

An attachment's type is decided by its bytes (its magic number, read by `filetype`), and the
extension must agree with them: a program renamed to 通知.pdf is refused, so nothing served from
the ledger is other than what its name says.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePath

import docx
import filetype
import mammoth

from pubreview import settings
from pubreview.errors import ValidationError
from pubreview.review.submission import AttachmentFile
from pubreview.screening.archive import check_archive
from pubreview.screening.extract import decode_text

# Extension → the type its content must be; text types have no magic number and must decode.
ALLOWED_TYPES: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".pptx": "pptx",
    ".doc": "doc",
    ".xls": "xls",
    ".ppt": "ppt",
    ".png": "png",
    ".jpg": "jpg",
    ".jpeg": "jpg",
    ".gif": "gif",
    ".txt": "text",
    ".csv": "text",
    ".md": "text",
}
ALLOWED_NAMES = "、".join(sorted({ext.lstrip(".") for ext in ALLOWED_TYPES}))
MAX_NAME = 200
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
_EMPTY_IMAGE = re.compile(r"!\[[^\]]*\]\(\)")


def allowed_extensions() -> str:
    """The allowed extensions and the size limit, as the form shows them."""
    return f"{ALLOWED_NAMES}；每个不超过 {_size(settings.load().max_attachment_bytes)}"


def _content_type(content: bytes) -> str | None:
    kind = filetype.guess(content)
    if kind is not None:
        return kind.extension
    try:
        decode_text(content)
    except ValidationError:
        return None
    return "text"


def check_attachment(filename: str, content: bytes, field: str = "attachments") -> AttachmentFile:
    """An uploaded attachment if its name, size and content are acceptable, else ValidationError."""
    name = PurePath(filename.replace("\\", "/")).name.strip()
    if not name or _UNSAFE_NAME.search(name) or len(name) > MAX_NAME:
        raise ValidationError(
            f"附件“{filename[:MAX_NAME]}”的文件名不可用：请改用不超过 {MAX_NAME} 个字、"
            "不含斜杠或控制字符的文件名",
            field=field,
        )
    limit = settings.load().max_attachment_bytes
    if len(content) > limit:
        raise ValidationError(
            f"附件“{name}”有 {_size(len(content))}，超过上限 {_size(limit)}：请压缩或拆分后再上传",
            field=field,
        )
    if not content:
        raise ValidationError(f"附件“{name}”是空文件", field=field)
    check_archive(name, content, field)  # before anything below unpacks it
    suffix = PurePath(name).suffix.lower()
    expected = ALLOWED_TYPES.get(suffix)
    if expected is None:
        raise ValidationError(
            f"附件“{name}”的类型（{suffix or '无扩展名'}）不允许上传；允许的类型：{ALLOWED_NAMES}",
            field=field,
        )
    actual = _content_type(content)
    if actual == "docx" and not _opens_as_docx(content):
        raise ValidationError(
            f"附件“{name}”无法作为 Word 文件打开（文件已损坏），未予接收：请在 Word 中另存后再上传",
            field=field,
        )
    if actual != expected:
        raise ValidationError(
            f"附件“{name}”的内容与扩展名 {suffix} 不符"
            f"（实际内容：{actual or '无法识别'}），未予接收：请上传真实的 {suffix} 文件",
            field=field,
        )
    return AttachmentFile(name, content)


def _opens_as_docx(content: bytes) -> bool:
    """Whether python-docx (what the screening reads it with) can open the file."""
    try:
        docx.Document(io.BytesIO(content))
    # Untrusted bytes: any failure of the parser means the file cannot be read, nothing more.
    except Exception:  # noqa: BLE001
        return False
    return True


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} 字节"


@dataclass(frozen=True)
class ConvertedBody:
    """A .docx as a Markdown body, with what did not come across."""

    markdown: str
    notes: list[str]


def docx_to_markdown(filename: str, content: bytes) -> ConvertedBody:
    """Convert an uploaded .docx to a Markdown body with mammoth; images are left out."""
    if PurePath(filename).suffix.lower() != ".docx":
        raise ValidationError(
            "正文文件须为 .docx（Word 2007 及以上）；旧版 .doc 请在 Word 中另存为 .docx",
            field="body_docx",
        )
    check_attachment(filename, content, field="body_docx")
    images = 0

    def drop_image(_image) -> dict:
        # Inline images would come across as megabytes of base64 in the body: leave them out.
        nonlocal images
        images += 1
        return {}

    try:
        result = mammoth.convert_to_markdown(
            io.BytesIO(content), convert_image=mammoth.images.img_element(drop_image)
        )
    # Untrusted bytes: any failure of the parser means the file cannot be read, nothing more.
    except Exception as exc:  # noqa: BLE001
        raise ValidationError(f"无法读取正文文件“{filename}”：{exc}", field="body_docx") from exc
    markdown = _EMPTY_IMAGE.sub("", result.value).strip()
    if not markdown:
        raise ValidationError(f"正文文件“{filename}”中没有文字", field="body_docx")
    notes = []
    if images:
        notes.append(f"文件中的 {images} 张图片未转入正文，如需发布请作为附件上传")
    return ConvertedBody(markdown + "\n", notes)
