"""Uploads kept between 预览 and 提交, so a form shown again loses none of its files.

A browser cannot refill a file field, so each checked upload is kept in the staging folder
(`PUBREVIEW_UPLOAD_STAGING_DIR`, default <data dir>/uploads), in a folder of the person who
uploaded it, named by a random token the form carries back. A token only opens files of the
same person; folders older than a day are removed. A folder rather than the database: staged
files are transient (deleted when sent or abandoned) and the ledger database is append-only;
every web process of the office points at the same folder, so a form shown by one process
and posted to another still has its files. Each upload appears whole or not at all (written
beside, then renamed), so another process never reads half of one.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from pubreview import settings
from pubreview.review.submission import AttachmentFile

MAX_AGE_S = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class StagedFile:
    """An upload kept for the form: its token and what the form shows of it."""

    token: str
    filename: str
    size: int


def _root(person_id: int) -> Path:
    return settings.load().upload_staging / str(person_id)


def _prune(root: Path) -> None:
    """Drop what was staged over a day ago (an abandoned form)."""
    cutoff = time.time() - MAX_AGE_S
    for folder in root.glob("*"):
        try:  # a half-written ".tmp-" folder of a dead process goes the same way
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def stage(person_id: int, file: AttachmentFile) -> StagedFile:
    """Keep an accepted upload for this person; returns the token the form carries."""
    root = _root(person_id)
    root.mkdir(parents=True, exist_ok=True)
    _prune(root)
    token = secrets.token_hex(16)
    scratch = root / f".tmp-{token}"
    scratch.mkdir()
    try:
        # The stored name is fixed: the real file name is data, never a path.
        (scratch / "content").write_bytes(file.content)
        (scratch / "name").write_text(file.filename, encoding="utf-8")
        scratch.rename(root / token)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)  # a full disk leaves no half upload
        raise
    return StagedFile(token, file.filename, len(file.content))


def _folder(person_id: int, token: str) -> Path | None:
    if not _TOKEN.match(token):
        return None
    folder = _root(person_id) / token
    try:  # expired: gone for the form even before a prune removes it
        fresh = (folder / "content").stat().st_mtime >= time.time() - MAX_AGE_S
    except OSError:
        return None
    return folder if fresh else None


def describe(person_id: int, token: str) -> StagedFile | None:
    """What a token names, or None when it is not this person's (or has expired)."""
    folder = _folder(person_id, token)
    if folder is None:
        return None
    name = (folder / "name").read_text(encoding="utf-8")
    return StagedFile(token, name, (folder / "content").stat().st_size)


def load(person_id: int, token: str) -> AttachmentFile | None:
    """The staged file itself, or None."""
    folder = _folder(person_id, token)
    if folder is None:
        return None
    name = (folder / "name").read_text(encoding="utf-8")
    return AttachmentFile(name, (folder / "content").read_bytes())


def discard(person_id: int, tokens: list[str]) -> None:
    """Remove staged files once they are in the ledger (or dropped from the form)."""
    for token in tokens:
        folder = _folder(person_id, token)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def carry(person_id: int, tokens: list[str], dropped: list[str]) -> tuple[list[StagedFile], int]:
    """The staged files a posted form carries back, less those it removes; and how many expired."""
    kept, expired = [], 0
    for token in tokens:
        found = describe(person_id, token)
        if found is None:
            expired += 1
        elif token in dropped:
            discard(person_id, [token])
        else:
            kept.append(found)
    return kept, expired
