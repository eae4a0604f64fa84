"""Appending to the hash-chained ledger (发布台帐) and verifying the chain."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import GENESIS_HASH, LedgerEntry, LedgerKind
from models.base import as_utc, utcnow
from pubreview import db
from pubreview.ledger import summary


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spacing: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _timestamp(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(entry: LedgerEntry) -> str:
    """SHA-256 over every recorded field of an entry, including its id and prev_hash."""
    content = {
        "id": entry.id,
        "kind": str(entry.kind),
        "publication_id": entry.publication_id,
        "revision": entry.revision,
        "stage": entry.stage,
        "actor": entry.actor,
        "outcome": entry.outcome,
        "comment": entry.comment,
        "created_at": _timestamp(entry.created_at),
        "flow_run_id": entry.flow_run_id,
        "payload": entry.payload or {},
        "dedupe_key": entry.dedupe_key,
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


class DuplicateEntry(Exception):
    """An entry with this dedupe key is already in the ledger: the step was done before."""

    def __init__(self, existing: LedgerEntry) -> None:
        super().__init__(f"ledger already holds {existing.dedupe_key} (entry {existing.id})")
        self.existing = existing


# The operating-system account of the process writing entries, where that is a person at a
# terminal (the command line sets it): `--as` names anyone, so entries record both.
_operator: ContextVar[str | None] = ContextVar("pubreview_ledger_operator", default=None)


@contextmanager
def operated_by(os_user: str | None) -> Iterator[None]:
    """Within the block, every appended entry records `os_user` in its payload (os_user)."""
    token = _operator.set(os_user)
    try:
        yield
    finally:
        _operator.reset(token)


def find_by_key(session: Session, dedupe_key: str) -> LedgerEntry | None:
    """The entry recorded under a dedupe key, if any."""
    return session.scalars(select(LedgerEntry).where(LedgerEntry.dedupe_key == dedupe_key)).first()


def payload_field(payload_type: type, name: str) -> Any:
    """One field of a typed payload (a dataclass) in the stored JSON, for a query's WHERE or SELECT.

    The name is checked against the class, so a misspelt field fails here, not as an empty result.
    """
    if name not in {f.name for f in dataclasses.fields(payload_type)}:
        raise AttributeError(f"{payload_type.__name__} has no field {name!r}")
    return LedgerEntry.payload[name]


def _as_stored(value: Any) -> Any:
    """A payload value as every database reads it back, so its hash still verifies.

    PostgreSQL's jsonb (migration 0008) keeps numbers as decimals: a whole float that JSON
    writes in exponent form (1e+20) comes back as an integer, and -0.0 as 0.0.
    """
    if isinstance(value, float) and (value == 0 or (value.is_integer() and "e" in repr(value))):
        return 0.0 if value == 0 else int(value)
    if isinstance(value, dict):
        return {k: _as_stored(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_stored(v) for v in value]
    return value


def _with_operator(payload: dict[str, Any]) -> dict[str, Any]:
    operator = _operator.get()
    if operator is None or "os_user" in payload:
        return payload
    return {**payload, "os_user": operator}


def append(
    session: Session,
    *,
    kind: LedgerKind,
    publication_id: int | None = None,
    revision: int | None = None,
    stage: str | None = None,
    actor: str | None = None,
    outcome: str | None = None,
    comment: str | None = None,
    flow_run_id: str | None = None,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> LedgerEntry:
    """Append one entry inside the caller's transaction; raise DuplicateEntry if already done."""
    # Appends must read the latest head: on PostgreSQL the write lock before reading it (held
    # to commit, so the next appender reads this entry); on SQLite BEGIN IMMEDIATE holds it.
    db.take_write_lock(session.connection())
    if dedupe_key is not None and (existing := find_by_key(session, dedupe_key)) is not None:
        raise DuplicateEntry(existing)
    head = session.execute(
        select(LedgerEntry.id, LedgerEntry.hash).order_by(LedgerEntry.id.desc()).limit(1)
    ).first()
    entry = LedgerEntry(
        id=(head.id + 1) if head else 1,
        kind=kind,
        publication_id=publication_id,
        revision=revision,
        stage=stage,
        actor=actor,
        outcome=outcome,
        comment=comment,
        created_at=utcnow(),
        flow_run_id=flow_run_id,
        payload=_with_operator(_as_stored(payload or {})),
        dedupe_key=dedupe_key,
        prev_hash=head.hash if head else GENESIS_HASH,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    try:
        with session.begin_nested():
            session.flush([entry])
    except IntegrityError:
        if dedupe_key is not None and (existing := find_by_key(session, dedupe_key)) is not None:
            raise DuplicateEntry(existing) from None
        raise
    # The roll-up's per-item row moves with the entry, in the same transaction.
    summary.record(session, entry)
    return entry


class Appended(NamedTuple):
    """What `append_once` did: the entry under the key, and whether this call wrote it."""

    entry: LedgerEntry
    recorded: bool


def append_once(session: Session, *, dedupe_key: str, **fields: Any) -> Appended:
    """Append an entry for a once-only step; if the step was already done, the earlier entry.

    `fields` are `append`'s. A second call (a retry, a race) changes nothing and says so.
    """
    try:
        return Appended(append(session, dedupe_key=dedupe_key, **fields), True)
    except DuplicateEntry as exc:
        return Appended(exc.existing, False)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain."""

    ok: bool
    entries: int
    head: str
    broken_at: int | None = None
    reason: str | None = None


class _Unreadable(Exception):
    """An entry whose stored payload or time cannot be read back (not JSON, not a time)."""

    def __init__(self, entry_id: int, error: Exception) -> None:
        super().__init__(entry_id, error)
        self.entry_id, self.error = entry_id, error


def _load_one(session: Session, entry_id: int) -> LedgerEntry:
    try:
        return session.scalars(select(LedgerEntry).where(LedgerEntry.id == entry_id)).one()
    except (ValueError, TypeError) as exc:
        raise _Unreadable(entry_id, exc) from None


def _walk(session: Session, last_id: int = 0, batch: int = 5000) -> Iterator[LedgerEntry]:
    while True:
        query = select(LedgerEntry).where(LedgerEntry.id > last_id).order_by(LedgerEntry.id)
        try:
            rows = session.scalars(query.limit(batch)).all()
        except (ValueError, TypeError):
            # A row that does not load: go one by one to name it.
            ids = session.scalars(
                select(LedgerEntry.id)
                .where(LedgerEntry.id > last_id)
                .order_by(LedgerEntry.id)
                .limit(batch)
            ).all()
            rows = [_load_one(session, entry_id) for entry_id in ids]
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def verify(session: Session, *, after: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the chain and name the first entry whose link or content does not check out.

    `after` = (size, head) starts the walk behind an entry already proven (a checkpoint the
    caller has matched), so only the newer entries are rehashed.
    """
    start, expected_prev = after or (0, GENESIS_HASH)
    expected_id, count = start + 1, start
    try:
        return _verify_walk(session, start, expected_prev, expected_id, count)
    except _Unreadable as exc:
        return VerifyResult(
            False,
            exc.entry_id - 1,
            expected_prev,
            exc.entry_id,
            f"entry {exc.entry_id} cannot be read back (its payload is not JSON or its time "
            f"is not a time: {exc.error}): it was edited outside pubreview",
        )


def _verify_walk(
    session: Session, start: int, expected_prev: str, expected_id: int, count: int
) -> VerifyResult:
    for entry in _walk(session, start):
        count += 1
        if entry.id != expected_id:
            return VerifyResult(
                False,
                count,
                expected_prev,
                entry.id,
                f"entry {entry.id} follows entry {expected_id - 1}: "
                f"entries {expected_id}..{entry.id - 1} are missing",
            )
        if entry.prev_hash != expected_prev:
            return VerifyResult(
                False,
                count,
                expected_prev,
                entry.id,
                f"entry {entry.id} does not link to the entry before it "
                "(a row was deleted, inserted or reordered)",
            )
        if entry_hash(entry) != entry.hash:
            return VerifyResult(
                False,
                count,
                expected_prev,
                entry.id,
                f"entry {entry.id} ({entry.kind}) was edited: "
                "its content no longer matches its hash",
            )
        expected_prev, expected_id = entry.hash, entry.id + 1
    return VerifyResult(True, count, expected_prev)


def history(session: Session, publication_id: int) -> list[LedgerEntry]:
    """Every ledger entry of one publication, oldest first."""
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.publication_id == publication_id)
            .order_by(LedgerEntry.id)
        )
    )


def decisions_on(session: Session, publication_id: int, revision: int) -> list[LedgerEntry]:
    """The decisions recorded on one revision of a publication, oldest first."""
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.publication_id == publication_id,
                LedgerEntry.revision == revision,
                LedgerEntry.kind == LedgerKind.DECIDED,
            )
            .order_by(LedgerEntry.id)
        )
    )
