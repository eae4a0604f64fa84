"""`ledger prove`: an item's entries with their inclusion proofs under a signed checkpoint.

A citizen holding the published checkpoint (and the office's public key) can check, without
the ledger, that each of an item's entries is in it: hash the entry's leaf up its audit path
and compare with the signed Merkle root. Two checkpoints are checked against each other the
same way with a consistency proof (`ledger consistency`): that the later one's first entries
are the earlier one's, from the two signed roots and a few hashes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry
from pubreview.errors import NotFound
from pubreview.ledger import checkpoints, merkle
from pubreview.ledger.checkpoints import Checkpoint, Trusted


def covering(
    session: Session, found: list[Checkpoint], trusted: Trusted, entry_id: int
) -> Checkpoint | None:
    """The newest validly signed checkpoint the ledger extends that covers `entry_id`."""
    newest = checkpoints.latest_matching(session, found, trusted)
    return newest if newest is not None and newest.size >= entry_id else None


def prove(session: Session, publication_id: int, found: list[Checkpoint], trusted: Trusted) -> dict:
    """The item's entries, the checkpoint that covers them, and each entry's audit path.

    The proof names the key that signed the covering checkpoint (the key current then).
    """
    entries = list(
        session.execute(
            select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.hash)
            .where(LedgerEntry.publication_id == publication_id)
            .order_by(LedgerEntry.id)
        )
    )
    if not entries:
        raise NotFound(f"台帐中没有第 {publication_id} 号信息的记录")
    checkpoint = covering(session, found, trusted, entries[-1].id)
    leaves = checkpoints.entry_hashes(session, checkpoint.size) if checkpoint else []
    paths = merkle.inclusion_proofs([e.id - 1 for e in entries], leaves) if checkpoint else None
    return {
        "publication_id": publication_id,
        "public_key": checkpoints.public_text(trusted[checkpoint.key_id].public)
        if checkpoint
        else None,
        "key_id": checkpoint.key_id if checkpoint else None,
        "checkpoint": checkpoint.to_dict() if checkpoint else None,
        "entries": [
            {
                "id": e.id,
                "kind": str(e.kind),
                "hash": e.hash,
                "index": e.id - 1,
                "path": paths[n] if paths else None,
            }
            for n, e in enumerate(entries)
        ],
    }


def check(proof: dict, trusted: Trusted) -> list[str]:
    """What a reader of a proof finds wrong with it (nothing: every entry is in the checkpoint)."""
    if proof.get("checkpoint") is None:
        return ["还没有覆盖这些记录的检查点"]
    checkpoint = checkpoints.Checkpoint(**proof["checkpoint"])
    refused = checkpoints.key_problem(checkpoint, trusted)
    if refused:
        return [refused]
    return [
        f"台帐第 {e['id']} 条不在{checkpoint.label()}中"
        for e in proof["entries"]
        if not merkle.verify_inclusion(
            e["hash"], e["index"], checkpoint.size, e["path"] or [], checkpoint.root
        )
    ]


def consistency(session: Session, old: Checkpoint, new: Checkpoint) -> dict:
    """A proof that checkpoint `new` extends `old`, checkable from the two alone (RFC 6962)."""
    if old.size > new.size:
        old, new = new, old
    leaves = checkpoints.entry_hashes(session, new.size)
    if len(leaves) < new.size:
        raise NotFound(f"台帐只有 {len(leaves)} 条，不足{new.label()}的 {new.size} 条")
    return {
        "old": old.to_dict(),
        "new": new.to_dict(),
        "path": merkle.consistency_proof(old.size, leaves) if old.size else [],
    }


def check_consistency(proof: dict, trusted: Trusted) -> list[str]:
    """What a reader finds wrong with a consistency proof (nothing: `new` extends `old`)."""
    try:
        old = checkpoints.Checkpoint(**proof["old"])
        new = checkpoints.Checkpoint(**proof["new"])
    except (KeyError, TypeError):
        return ["不是一致性证明（需要 old、new 两个检查点和 path）"]
    found = [p for p in (checkpoints.key_problem(c, trusted) for c in (old, new)) if p]
    if found:
        return found
    if old.size == 0 or merkle.verify_consistency(
        old.size, new.size, old.root, new.root, list(proof.get("path") or [])
    ):
        return []
    return [f"{new.label()}不是{old.label()}的延续：前 {old.size} 条被改写过"]
