"""Zip bombs: a .docx or .xlsx (a zip inside) is measured before anything unpacks it.

Only the zip's central directory is read, so a refusal is quick and costs no memory. The sizes
it declares are a sound bound: Python's zipfile (which python-docx, openpyxl and mammoth all
read through) never yields more than a member's declared size, and a member that lies about it
fails its CRC check instead of expanding further.
"""

from __future__ import annotations

import io
import zipfile

from pubreview import settings
from pubreview.errors import ArchiveRefused

# Below this expanded size the ratio does not matter: nothing small can exhaust the machine,
# and a short, repetitive document legitimately compresses very well.
RATIO_FLOOR_BYTES = 8 * 1024 * 1024
# A zip with more members than this is not an office document (and listing it costs memory).
MAX_MEMBERS = 10_000
_ZIP_MAGIC = b"PK\x03\x04"


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def check_archive(filename: str, data: bytes, field: str = "attachments") -> None:
    """Raise ArchiveRefused, naming the file, when a zip-based file would expand too far."""
    if not data.startswith(_ZIP_MAGIC):
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not readable as a zip: the reader of its type reports that
    config = settings.load()
    limits = (
        f"解压后不超过 {_mb(config.max_expanded_bytes)}，"
        f"压缩比不超过 {config.max_expansion_ratio} 倍"
    )
    if len(members) > MAX_MEMBERS:
        raise ArchiveRefused(
            f"附件“{filename}”内含 {len(members)} 个文件（上限 {MAX_MEMBERS} 个），"
            "疑为压缩炸弹，未予接收：请检查文件后在 Word / Excel 中另存再上传",
            field=field,
        )
    expanded = sum(m.file_size for m in members)
    ratio = expanded / max(1, len(data))
    if expanded > config.max_expanded_bytes or (
        expanded > RATIO_FLOOR_BYTES and ratio > config.max_expansion_ratio
    ):
        raise ArchiveRefused(
            f"附件“{filename}”解压后有 {_mb(expanded)}（压缩比 {ratio:.0f} 倍），超过上限"
            f"（{limits}），疑为压缩炸弹，未予接收：请检查文件后在 Word / Excel 中另存再上传",
            field=field,
        )
