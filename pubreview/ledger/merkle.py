"""A Merkle tree over the entry hashes (RFC 6962 / 9162), so a proof needs no whole ledger.

The hash chain proves order, but checking that entry k is in a checkpoint of n entries needs
every entry from k to n. The tree over the same entry hashes gives a root per size: an
inclusion proof (is this entry under this root?) and a consistency proof (does the tree of n
entries extend the tree of m?) are each O(log n) hashes, checkable by anyone holding two
signed checkpoints, as Certificate Transparency's signed tree heads are.
"""

from __future__ import annotations

import hashlib

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def _leaf(entry_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(entry_hash)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first: neighbours paired, an odd last node carried up.

    This bottom-up shape is RFC 6962's tree (split at the largest power of two) built once,
    so each audit path is read off in O(log n) instead of rehashing subtrees.
    """
    levels = [leaves]
    while len(levels[-1]) > 1:
        level = levels[-1]
        paired = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        levels.append(paired)
    return levels


def _root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _levels(leaves)[-1][0]


def root(entry_hashes: list[str]) -> str:
    """The tree head of the entries, hex."""
    return _root([_leaf(h) for h in entry_hashes]).hex()


def inclusion_proofs(indexes: list[int], entry_hashes: list[str]) -> list[list[str]]:
    """The audit path of each entry index (0-based) in the tree of `entry_hashes`, deepest first."""
    levels = _levels([_leaf(h) for h in entry_hashes])
    out = []
    for index in indexes:
        if not 0 <= index < len(entry_hashes):
            raise ValueError(f"entry {index + 1} is not among the first {len(entry_hashes)}")
        path, i = [], index
        for level in levels[:-1]:
            if i ^ 1 < len(level):
                path.append(level[i ^ 1].hex())
            i >>= 1
        out.append(path)
    return out


def inclusion_proof(index: int, entry_hashes: list[str]) -> list[str]:
    """The audit path of entry `index` (0-based) in the tree of `entry_hashes`."""
    return inclusion_proofs([index], entry_hashes)[0]


def verify_inclusion(entry_hash: str, index: int, size: int, path: list[str], head: str) -> bool:
    """Whether the entry hash is leaf `index` (0-based) of the tree of `size` with root `head`."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = _leaf(entry_hash)
    for p in (bytes.fromhex(x) for x in path):
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r.hex() == head


def _subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [_root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), _root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), _root(leaves[:k])]


def consistency_proof(m: int, entry_hashes: list[str]) -> list[str]:
    """The proof that the tree of the first `m` entries is a prefix of the tree of all."""
    if not 0 < m <= len(entry_hashes):
        raise ValueError(f"no consistency proof from {m} to {len(entry_hashes)} entries")
    return [h.hex() for h in _subproof(m, [_leaf(h) for h in entry_hashes], True)]


def verify_consistency(m: int, n: int, head_m: str, head_n: str, proof: list[str]) -> bool:
    """Whether the tree of n entries (root head_n) extends the tree of m (root head_m)."""
    if not 0 < m <= n:
        return False
    if m == n:
        return not proof and head_m == head_n
    nodes = [bytes.fromhex(x) for x in proof]
    if m & (m - 1) == 0:  # m is a power of two: its root is the first node
        nodes.insert(0, bytes.fromhex(head_m))
    if not nodes:
        return False
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr.hex() == head_m and sr.hex() == head_n
