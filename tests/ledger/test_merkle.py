"""The Merkle tree over entry hashes: every proof checks, and forgeries fail."""

from __future__ import annotations

import hashlib

from pubreview.ledger import merkle


def _hashes(n: int) -> list[str]:
    return [hashlib.sha256(f"entry {i}".encode()).hexdigest() for i in range(n)]


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962's recursive definition, written out plainly to check the fast one."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def test_root_follows_rfc_6962() -> None:
    assert merkle.root([]) == merkle.EMPTY_ROOT
    for n in range(1, 40):
        hashes = _hashes(n)
        assert merkle.root(hashes) == _mth([bytes.fromhex(h) for h in hashes]).hex(), n


def _path(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962's PATH(m, D[n]), written out plainly."""
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < k:
        return [*_path(index, leaves[:k]), _mth(leaves[k:])]
    return [*_path(index - k, leaves[k:]), _mth(leaves[:k])]


def test_audit_paths_follow_rfc_6962() -> None:
    for n in range(1, 40):
        hashes = _hashes(n)
        raw = [bytes.fromhex(h) for h in hashes]
        expected = [[p.hex() for p in _path(i, raw)] for i in range(n)]
        assert merkle.inclusion_proofs(list(range(n)), hashes) == expected, n


def test_every_inclusion_proof_checks_and_a_wrong_one_does_not() -> None:
    for n in range(1, 18):
        hashes = _hashes(n)
        head = merkle.root(hashes)
        for i in range(n):
            path = merkle.inclusion_proof(i, hashes)
            assert merkle.verify_inclusion(hashes[i], i, n, path, head), (i, n)
            assert not merkle.verify_inclusion(_hashes(n + 1)[-1], i, n, path, head)
            if n > 1:
                assert not merkle.verify_inclusion(hashes[i], (i + 1) % n, n, path, head)


def test_every_consistency_proof_checks_and_a_rewritten_prefix_does_not() -> None:
    for n in range(1, 18):
        hashes = _hashes(n)
        head_n = merkle.root(hashes)
        for m in range(1, n + 1):
            head_m = merkle.root(hashes[:m])
            proof = merkle.consistency_proof(m, hashes)
            assert merkle.verify_consistency(m, n, head_m, head_n, proof), (m, n)
            rewritten = ["f" * 64, *hashes[1:]]
            assert not merkle.verify_consistency(
                m, n, head_m, merkle.root(rewritten), merkle.consistency_proof(m, rewritten)
            ), (m, n)
