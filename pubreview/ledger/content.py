"""Content in the chain: every stored revision recomputed and compared with what the ledger holds.

A submission or resubmission entry carries the revision's content fingerprint and each
attachment's SHA-256; a decision carries the fingerprint it approved. The `revisions` and
`attachments` rows are only a copy of that content, so an `UPDATE revisions SET body=…` needs
no trigger dropped. Recomputing the fingerprint from the stored title, body and attachment
bytes, and comparing it with the chain, is what binds a sign-off to the text it signed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Attachment, LedgerEntry, LedgerKind, Publication, Revision

# The entries that state a revision's content when it enters the ledger.
CONTENT_KINDS = (LedgerKind.SUBMITTED, LedgerKind.RESUBMITTED, LedgerKind.IMPORTED)


@dataclass(frozen=True)
class ContentMismatch:
    """One revision whose stored content no longer matches the ledger."""

    publication_id: int
    revision: int
    reason: str

    def __str__(self) -> str:
        return f"第 {self.publication_id} 号信息第 {self.revision} 稿：{self.reason}"


class Named(Protocol):
    """An attachment as the fingerprint reads it: its file name and the SHA-256 of its bytes."""

    @property
    def filename(self) -> str: ...

    @property
    def sha256(self) -> str: ...


def fingerprint(title: str, body: str, attachments: Iterable[Named]) -> str:
    """SHA-256 over title, body and each attachment's name and hash: what a reviewer approves.

    Submission records it; this module recomputes it from what is stored.
    """
    digest = hashlib.sha256()
    for part in (
        title,
        body,
        *(f"{a.filename}\0{a.sha256}" for a in sorted(attachments, key=lambda a: a.filename)),
    ):
        digest.update(part.encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


@dataclass(frozen=True)
class Bound:
    """The part of an entry's payload that binds a revision to its content: the fingerprint
    and, where the entry lists them, each attachment's SHA-256 by file name.

    Written by review.entries (Submitted, Decided) and the 台帐 import under these keys; the
    tests read entries those writers made back through this class.
    """

    fingerprint: str | None
    attachments: dict[str, str] | None  # None: the entry lists no attachments

    @classmethod
    def from_payload(cls, payload: dict) -> Bound:
        """Read the binding part of any entry's payload (missing parts read as None)."""
        listed = payload.get("attachments")
        return cls(
            payload.get("fingerprint"),
            {a["filename"]: a["sha256"] for a in listed} if isinstance(listed, list) else None,
        )


@dataclass
class _Stated:
    """What the ledger says a revision contains, and which decisions approved what."""

    entry_id: int | None = None
    fingerprint: str | None = None
    attachments: dict[str, str] | None = None  # filename → SHA-256, when the entry lists them
    decisions: list[tuple[int, str, str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class _Hashed:
    """An attachment as `fingerprint` reads it: its name and the hash of its stored bytes."""

    filename: str
    sha256: str


def _stated(session: Session, publication_ids: Collection[int] | None) -> dict[tuple, _Stated]:
    query = (
        select(
            LedgerEntry.id,
            LedgerEntry.kind,
            LedgerEntry.publication_id,
            LedgerEntry.revision,
            LedgerEntry.stage,
            LedgerEntry.payload,
        )
        .where(LedgerEntry.kind.in_([*CONTENT_KINDS, LedgerKind.DECIDED]))
        .order_by(LedgerEntry.id)
    )
    if publication_ids is not None:
        query = query.where(LedgerEntry.publication_id.in_(list(publication_ids)))
    stated: dict[tuple, _Stated] = defaultdict(_Stated)
    for entry_id, kind, pub_id, rev, stage, payload in session.execute(query):
        bound = Bound.from_payload(payload if isinstance(payload, dict) else {})
        one = stated[(pub_id, rev)]
        if kind == LedgerKind.DECIDED:
            one.decisions.append((entry_id, stage, bound.fingerprint))
        elif one.entry_id is None:
            one.entry_id = entry_id
            one.fingerprint, one.attachments = bound.fingerprint, bound.attachments
    return stated


def _attachments(
    session: Session, revision_ids: list[int], read_bytes: bool
) -> dict[int, list[tuple[str, str, str]]]:
    """Revision id → (filename, recorded SHA-256, SHA-256 of the stored bytes) per attachment."""
    out: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    if not revision_ids:
        return out
    columns = [Attachment.revision_id, Attachment.filename, Attachment.sha256]
    if read_bytes:
        columns.append(Attachment.content)
    for chunk in range(0, len(revision_ids), 500):
        rows = session.execute(
            select(*columns)
            .where(Attachment.revision_id.in_(revision_ids[chunk : chunk + 500]))
            .order_by(Attachment.revision_id, Attachment.filename)
            .execution_options(yield_per=64)
        )
        for row in rows:
            actual = hashlib.sha256(row.content).hexdigest() if read_bytes else row.sha256
            out[row.revision_id].append((row.filename, row.sha256, actual))
    return out


def _revision_problems(
    title: str,
    body: str,
    cached_fingerprint: str,
    attachments: list[tuple[str, str, str]],
    stated: _Stated,
) -> list[str]:
    if stated.entry_id is None:
        return ["台帐中没有这一稿的提交记录（这一稿不是经报送进入系统的）"]
    problems = []
    for filename, recorded, actual in attachments:
        if recorded != actual:
            problems.append(f"附件「{filename}」的内容已被改动（与登记的 SHA-256 不符）")
    if stated.attachments is not None:
        stored = {filename: actual for filename, _, actual in attachments}
        for name in sorted(set(stated.attachments) - set(stored)):
            problems.append(f"附件「{name}」已不在库中（台帐第 {stated.entry_id} 条记有它）")
        for name in sorted(set(stored) - set(stated.attachments)):
            problems.append(f"附件「{name}」不在台帐第 {stated.entry_id} 条的附件清单中")
        for name in sorted(set(stored) & set(stated.attachments)):
            if stored[name] != stated.attachments[name]:
                problems.append(f"附件「{name}」与台帐第 {stated.entry_id} 条记录的 SHA-256 不符")
    recomputed = fingerprint(title, body, [_Hashed(n, a) for n, _, a in attachments])
    if recomputed != stated.fingerprint:
        problems.append(
            f"标题、正文或附件已被改动：按库中内容重算的指纹与台帐第 {stated.entry_id} 条"
            f"记录的不符（{recomputed[:12]}… ≠ {str(stated.fingerprint)[:12]}…）"
        )
    if cached_fingerprint != stated.fingerprint:
        problems.append(f"revisions 表记的指纹与台帐第 {stated.entry_id} 条不符")
    for entry_id, stage, approved in stated.decisions:
        if approved is not None and approved != stated.fingerprint:
            problems.append(f"台帐第 {entry_id} 条（{stage}）决定的内容指纹与提交记录不符")
    return problems


def check(
    session: Session,
    publication_ids: Collection[int] | None = None,
    *,
    current_only: bool = False,
    read_bytes: bool = True,
) -> list[ContentMismatch]:
    """Recompute every stored revision's fingerprint and attachment hash; name each mismatch.

    `publication_ids` limits the check to some items, `current_only` to the revision each is
    at now; `read_bytes=False` trusts the recorded attachment hashes (title and body are still
    recomputed), for callers that will not publish those bytes.
    """
    stated = _stated(session, publication_ids)
    query = select(
        Revision.id,
        Revision.publication_id,
        Revision.number,
        Revision.title,
        Revision.body,
        Revision.fingerprint,
    ).order_by(Revision.publication_id, Revision.number)
    if publication_ids is not None:
        query = query.where(Revision.publication_id.in_(list(publication_ids)))
    if current_only:
        query = query.join(
            Publication,
            (Publication.id == Revision.publication_id)
            & (Publication.current_revision == Revision.number),
        )
    revisions = session.execute(query).all()
    attachments = _attachments(session, [r.id for r in revisions], read_bytes)
    found: list[ContentMismatch] = []
    seen = set()
    for rev in revisions:
        seen.add((rev.publication_id, rev.number))
        for reason in _revision_problems(
            rev.title,
            rev.body,
            rev.fingerprint,
            attachments.get(rev.id, []),
            stated.get((rev.publication_id, rev.number), _Stated()),
        ):
            found.append(ContentMismatch(rev.publication_id, rev.number, reason))
    if not current_only:
        for (pub_id, number), one in sorted(stated.items(), key=lambda kv: kv[1].entry_id or 0):
            if one.entry_id is not None and (pub_id, number) not in seen:
                found.append(
                    ContentMismatch(
                        pub_id, number, f"这一稿已不在库中（台帐第 {one.entry_id} 条记有它）"
                    )
                )
    return found
