"""An item's chain as the ledger recorded it at submission: it finishes on that version.

A resubmission that changes the item's category, channels or 公开属性 chooses the chain again
and records it in its entry; from then on that is the item's chain.

The submission entry's payload carries the chain (name, version, steps). Items submitted
before chains were configurable carry none and follow the built-in default, which is the
procedure they were submitted under.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Publication
from pubreview.chains.definitions import DEFAULT_CHAIN, Chain
from pubreview.labels import stage_label

# Where a session keeps the chains it has read (they never change once recorded).
_CACHE_KEY = "pubreview.chains"


def from_payload(payload: dict | None) -> Chain:
    """The chain a submission entry's payload records (the default when it records none)."""
    recorded = (payload or {}).get("chain")
    return Chain.from_dict(recorded) if recorded else DEFAULT_CHAIN


def chain_of(session: Session, pub: Publication | int) -> Chain:
    """The chain the item was bound to at submission, or at a resubmission that chose again."""
    pub_id = pub if isinstance(pub, int) else pub.id
    cache = session.info.setdefault(_CACHE_KEY, {})
    if pub_id not in cache:
        payloads = session.scalars(
            select(LedgerEntry.payload)
            .where(
                LedgerEntry.publication_id == pub_id,
                LedgerEntry.kind.in_([LedgerKind.SUBMITTED, LedgerKind.RESUBMITTED]),
            )
            .order_by(LedgerEntry.id.desc())
        ).all()
        # A resubmission that changed the item's attributes records the chain chosen again.
        recorded = next((p for p in payloads if isinstance(p, dict) and p.get("chain")), None)
        cache[pub_id] = from_payload(recorded)
    return cache[pub_id]


def remember(session: Session, pub_id: int, chain: Chain) -> None:
    """The chain just recorded for an item, so this session need not read it back."""
    session.info.setdefault(_CACHE_KEY, {})[pub_id] = chain


def chains_of(session: Session, pub_ids: list[int]) -> dict[int, Chain]:
    """`chain_of` for many items in one query per 500 (a queue or a list pays no query per item)."""
    cache = session.info.setdefault(_CACHE_KEY, {})
    missing = sorted({i for i in pub_ids if i not in cache})
    for start in range(0, len(missing), 500):
        rows = session.execute(
            # Only the recorded chain of each entry, not the whole submission payload.
            select(LedgerEntry.publication_id, LedgerEntry.payload["chain"])
            .where(
                LedgerEntry.publication_id.in_(missing[start : start + 500]),
                LedgerEntry.kind.in_([LedgerKind.SUBMITTED, LedgerKind.RESUBMITTED]),
            )
            .order_by(LedgerEntry.id.desc())
        ).all()
        recorded: dict[int, dict] = {}
        for pub_id, chain in rows:
            # As chain_of: the newest submission or resubmission entry that records a chain.
            if pub_id not in recorded and isinstance(chain, dict) and chain:
                recorded[pub_id] = chain
        for pub_id in missing[start : start + 500]:
            found = recorded.get(pub_id)
            cache[pub_id] = _parsed(found) if found else DEFAULT_CHAIN
    return {i: cache[i] for i in pub_ids}


# Chains parsed from the ledger, by name and version, with the data they were parsed from.
_seen: dict[tuple, tuple[dict, Chain]] = {}


def _parsed(recorded: dict) -> Chain:
    """Chain.from_dict, once per recorded definition: an office's items share a few chains."""
    key = (recorded.get("name"), recorded.get("version"), recorded.get("label"))
    hit = _seen.get(key)
    if hit is not None and hit[0] == recorded:
        return hit[1]
    chain = Chain.from_dict(recorded)
    if len(_seen) > 256:
        _seen.clear()
    _seen[key] = (recorded, chain)
    return chain


def step_label(session: Session, pub: Publication | int, value: str | None) -> str:
    """A step id as the ledger stores it, in the words of the item's own chain.

    The resubmission step and ids the chain lacks read as `labels.stage_label` gives them.
    """
    chain = chain_of(session, pub)
    return chain.label_of(value) if value and chain.has(value) else stage_label(value)
