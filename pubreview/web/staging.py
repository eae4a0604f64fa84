"""Uploads kept between 预览 and 提交, so a form shown again loses none of its files.

A browser cannot refill a file field, so each checked upload is kept under the data folder,
in a folder of the person who uploaded it, named by a random token the form carries back.
A token only opens files of the same person; folders older than a day are removed.
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
    return settings.load().data_dir / "uploads" / str(person_id)


def _prune(root: Path) -> None:
    """Drop what was staged over a day ago (an abandoned form)."""
    cutoff = time.time() - MAX_AGE_S
    for folder in root.glob("*"):
        try:
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
    folder = root / token
    folder.mkdir()
    # The stored name is fixed: the real file name is data, never a path.
    (folder / "content").write_bytes(file.content)
    (folder / "name").write_text(file.filename, encoding="utf-8")
    return StagedFile(token, file.filename, len(file.content))


def _folder(person_id: int, token: str) -> Path | None:
    if not _TOKEN.match(token):
        return None
    folder = _root(person_id) / token
    return folder if (folder / "content").is_file() else None


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
