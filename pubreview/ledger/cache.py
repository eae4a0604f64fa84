"""A row of a cache table beside the ledger that its entries do not justify.

The tables beside the ledger (`publications`, `item_summaries`) are caches written in the same
transaction as the entry that justifies them, so replaying the entries must give the rows as
stored. The replays themselves live with their rules (`review.replay` for `publications`,
`ledger.summary` for `item_summaries`); a row that disagrees was edited outside pubreview (or
the cache has a bug): either way the row, not the ledger, is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CacheMismatch:
    """One field of one cache row (`publications`, `item_summaries`) the ledger does not justify."""

    publication_id: int
    column: str
    stored: str | None
    expected: str | None
    table: str = "publications"

    def __str__(self) -> str:
        stored, expected = self.stored or "（空）", self.expected or "（空）"
        return (
            f"第 {self.publication_id} 号信息：{self.table}.{self.column} 为「{stored}」，"
            f"按台帐应为「{expected}」"
        )
