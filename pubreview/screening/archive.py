"""Zip bombs: a .docx or .xlsx (a zip inside) is measured before anything unpacks it.

Only the zip's central directory is read, so a refusal is quick and costs no memory. The sizes
it declares are a sound bound: Python's zipfile (which python-docx, openpyxl and mammoth all
read through) never yields more than a member's declared size, and a member that lies about it
fails its CRC check instead of expanding further.

A zip inside the zip (an embedded workbook or package in a .docx, a zip in a zip) is opened and
measured the same way, its members counted against the same expansion budget, down to
`MAX_DEPTH` levels; deeper nesting is refused, since no office document needs it.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from pubreview import settings
from pubreview.errors import ArchiveRefused

# Below this expanded size only the absolute cap counts, not the ratio: a real document whose
# paragraphs or table rows repeat compresses 150–300 times (150,000 identical paragraphs: 85 KB
# that inflate to 15 MB, 178 times), while what could exhaust the machine is held off by the
# cap. Above it a high ratio is what a bomb looks like (zeros compress about 1000 times).
RATIO_FLOOR_BYTES = 32 * 1024 * 1024
# A zip with more members than this is not an office document (and listing it costs memory).
MAX_MEMBERS = 10_000
# The file itself is level 1; a workbook embedded in a .docx is level 2.
MAX_DEPTH = 3
# A nested zip is read into memory to list it: an embedded package is far smaller than this.
MAX_NESTED_BYTES = 16 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_SMALLEST_ZIP = 22  # an empty zip is its end-of-directory record alone
_UNREADABLE = (zipfile.BadZipFile, ValueError, OSError, RuntimeError, NotImplementedError)
_WHAT_TO_DO = "疑为压缩炸弹，未予接收：请检查文件后在 Word / Excel 中另存再上传"


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


class _Measure:
    """What a zip and the zips inside it expand to, counted until a limit is passed."""

    def __init__(self, filename: str, field: str, budget: int) -> None:
        self.filename, self.field, self.budget = filename, field, budget
        self.expanded = 0
        self.members = 0
        self.nested = 0

    def refuse(self, why: str) -> ArchiveRefused:
        return ArchiveRefused(f"附件“{self.filename}”{why}，{_WHAT_TO_DO}", field=self.field)

    def add(self, package: zipfile.ZipFile, depth: int) -> None:
        """Count one zip's members, then open the zips among them one level down."""
        members = package.infolist()
        self.members += len(members)
        if self.members > MAX_MEMBERS:
            raise self.refuse(f"内含 {self.members} 个文件（上限 {MAX_MEMBERS} 个）")
        self.expanded += sum(m.file_size for m in members)
        for member in members:
            if self.expanded > self.budget:
                return  # already past the limit: the caller refuses, nothing more to open
            if member.file_size < _SMALLEST_ZIP or not _is_zip(package, member):
                continue
            if depth >= MAX_DEPTH:
                raise self.refuse(f"内含嵌套超过 {MAX_DEPTH} 层的压缩文件")
            if member.file_size > MAX_NESTED_BYTES:
                raise self.refuse(
                    f"内嵌的压缩文件“{member.filename}”有 {_mb(member.file_size)}"
                    f"（上限 {_mb(MAX_NESTED_BYTES)}）"
                )
            try:
                with zipfile.ZipFile(io.BytesIO(package.read(member))) as inner:
                    self.nested += 1
                    self.add(inner, depth + 1)
            except (*_UNREADABLE, zlib.error):
                continue  # not readable as a zip after all: nothing will unpack it either


def _is_zip(package: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether a member starts like a zip (its first bytes only are inflated)."""
    try:
        with package.open(member) as stream:
            return stream.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC
    except (*_UNREADABLE, zlib.error, EOFError):
        return False


def check_archive(filename: str, data: bytes, field: str = "attachments") -> None:
    """Raise ArchiveRefused, naming the file, when a zip-based file would expand too far."""
    if not data.startswith(_ZIP_MAGIC):
        return
    config = settings.load()
    measure = _Measure(filename, field, config.max_expanded_bytes)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            measure.add(package, depth=1)
    except _UNREADABLE:
        return  # not readable as a zip: the reader of its type reports that
    expanded = measure.expanded
    ratio = expanded / max(1, len(data))
    if expanded > config.max_expanded_bytes or (
        expanded > RATIO_FLOOR_BYTES and ratio > config.max_expansion_ratio
    ):
        nested = f"（含其中 {measure.nested} 个嵌套的压缩文件）" if measure.nested else ""
        raise measure.refuse(
            f"解压后有 {_mb(expanded)}{nested}（压缩比 {ratio:.0f} 倍），超过上限"
            f"（解压后不超过 {_mb(config.max_expanded_bytes)}，"
            f"压缩比不超过 {config.max_expansion_ratio} 倍）"
        )
