"""`item_summaries`: each item's roll-up facts, a cache of its ledger entries.

The annual roll-up needs, per item, the year of its first publication, the channels it went
out on, whether one of them gave a URL, and its adoptions. Reading those from the ledger means
grouping every published entry ever written by item; instead `ledger.append` folds each
`published` and `adopted` entry into the item's row in the same transaction, and the roll-up
reads one row per item of the year. The ledger stays the source: `check` rebuilds every row
from the entries (the fold is order-free: a minimum, a union, an or, counts) and names any row
that is missing, extra or different; `rebuild` writes the rows afresh from the entries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from models import ItemSummary, LedgerEntry, LedgerKind
from pubreview.ledger.cache import CacheMismatch

KINDS = (LedgerKind.PUBLISHED, LedgerKind.ADOPTED)
COLUMNS = (
    "first_published_at",
    "year",
    "channels",
    "with_url",
    "adopted_central",
    "adopted_provincial",
)


def _text(value: Any) -> str | None:
    """A payload field as the database's `->>` gives it: text, or None when absent or null."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _channel_order(channel: str | None) -> tuple[bool, str]:
    return (channel is None, channel or "")


@dataclass
class Facts:
    """One item's facts while entries are folded in."""

    first_published_at: str | None = None
    channels: frozenset[str | None] = frozenset()
    with_url: bool = False
    adopted_central: int = 0
    adopted_provincial: int = 0

    def fold(self, kind: str, payload: dict[str, Any]) -> None:
        """Take one `published` or `adopted` entry into the facts."""
        if kind == LedgerKind.PUBLISHED:
            at = _text(payload.get("published_at"))
            if at is not None and (self.first_published_at is None or at < self.first_published_at):
                self.first_published_at = at
            self.channels = self.channels | {_text(payload.get("channel"))}
            url = _text(payload.get("url"))
            self.with_url = self.with_url or bool(url)
        elif kind == LedgerKind.ADOPTED:
            level = _text(payload.get("level"))
            self.adopted_central += level == "central"
            self.adopted_provincial += level == "provincial"

    def row(self) -> dict[str, Any]:
        """The `item_summaries` columns (without the id)."""
        first = self.first_published_at
        return {
            "first_published_at": first,
            "year": None if first is None else first[:4],
            "channels": json.dumps(
                sorted(self.channels, key=_channel_order), ensure_ascii=False, separators=(",", ":")
            ),
            "with_url": self.with_url,
            "adopted_central": self.adopted_central,
            "adopted_provincial": self.adopted_provincial,
        }

    @classmethod
    def of(cls, row: ItemSummary) -> Facts:
        """The facts a stored row holds, to fold one more entry into."""
        return cls(
            first_published_at=row.first_published_at,
            channels=frozenset(json.loads(row.channels)),
            with_url=bool(row.with_url),
            adopted_central=row.adopted_central,
            adopted_provincial=row.adopted_provincial,
        )


def channels_of(stored: str) -> list[str | None]:
    """The channels a row's `channels` column lists."""
    return json.loads(stored)


def record(session: Session, entry: LedgerEntry) -> None:
    """Fold a just-appended entry into its item's row (in the caller's transaction)."""
    if entry.kind not in KINDS or entry.publication_id is None:
        return
    row = session.get(ItemSummary, entry.publication_id)
    if row is None:
        facts = Facts()
        row = ItemSummary(publication_id=entry.publication_id)
        session.add(row)
    else:
        facts = Facts.of(row)
    facts.fold(entry.kind, entry.payload or {})
    for column, value in facts.row().items():
        setattr(row, column, value)
    session.flush()


def from_ledger(session: Session) -> dict[int, dict[str, Any]]:
    """Every item's row as its ledger entries give it, by publication id."""
    facts: dict[int, Facts] = {}
    for kind, pub_id, payload in session.execute(
        select(LedgerEntry.kind, LedgerEntry.publication_id, LedgerEntry.payload).where(
            LedgerEntry.kind.in_(KINDS), LedgerEntry.publication_id.is_not(None)
        )
    ):
        facts.setdefault(pub_id, Facts()).fold(kind, payload if isinstance(payload, dict) else {})
    return {pub_id: f.row() for pub_id, f in facts.items()}


def stored(session: Session) -> dict[int, dict[str, Any]]:
    """Every stored row, by publication id."""
    columns = [getattr(ItemSummary, c) for c in COLUMNS]
    return {
        pub_id: dict(zip(COLUMNS, values, strict=True))
        for pub_id, *values in session.execute(select(ItemSummary.publication_id, *columns))
    }


def _shown(value: Any) -> str | None:
    return None if value is None else str(value)


def check(session: Session) -> list[CacheMismatch]:
    """Name every `item_summaries` row, or field of one, that the ledger does not justify."""
    expected, found = from_ledger(session), stored(session)
    problems: list[CacheMismatch] = []
    table = ItemSummary.__tablename__
    for pub_id in sorted(expected.keys() | found.keys()):
        want, have = expected.get(pub_id), found.get(pub_id)
        if have is None:
            problems.append(
                CacheMismatch(
                    pub_id, "id", "（没有这一行）", f"{pub_id}（台帐中有它的记录）", table
                )
            )
        elif want is None:
            problems.append(
                CacheMismatch(pub_id, "id", str(pub_id), "（台帐中没有这条信息的发布记录）", table)
            )
        else:
            for column in COLUMNS:
                if column == "with_url":
                    same = bool(have[column]) == want[column]
                else:
                    same = have[column] == want[column]
                if not same:
                    problems.append(
                        CacheMismatch(
                            pub_id, column, _shown(have[column]), _shown(want[column]), table
                        )
                    )
    return problems


def rebuild(session: Session) -> int:
    """Write every row afresh from the ledger; returns how many rows there are."""
    rows = from_ledger(session)
    session.execute(delete(ItemSummary))
    if rows:
        session.execute(
            insert(ItemSummary), [{"publication_id": pid, **row} for pid, row in rows.items()]
        )
    return len(rows)
