"""Signed checkpoints: the ledger's size and head hash, signed and kept where the database is not.

The hash chain proves the ledger consistent with itself only: whoever can drop the triggers
can rewrite an entry and recompute every later hash, or cut the tail off. A checkpoint is
(entry count, head hash, time) signed with an Ed25519 key kept outside the database, appended
to a log file and published with the site (as Certificate Transparency publishes signed tree
heads). Today's ledger must extend every checkpoint: the entry at each checkpoint's size must
still carry the checkpoint's head hash, and no ledger may be shorter than a checkpoint.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import GENESIS_HASH, LedgerEntry
from pubreview import db
from pubreview import settings as settings_mod
from pubreview.errors import CheckpointUnavailable, LedgerBroken
from pubreview.ledger import chain, keys, merkle
from pubreview.ledger.keys import KeyRecord, TrustedKey, key_id, public_text, signing_key

LOG_NAME = "checkpoints.jsonl"  # one signed checkpoint per line, oldest first
PUBLISHED_NAME = "checkpoints.json"  # the log as published: the public key and every checkpoint
SIGNED_PREFIX = "pubreview-ledger-checkpoint/v1"


@dataclass(frozen=True)
class Checkpoint:
    """The ledger's entry count, head hash and Merkle root at a time, signed."""

    size: int
    head: str  # hash of entry `size`: the chain's head
    root: str  # Merkle tree head over the hashes of entries 1..size (RFC 6962)
    time: str  # UTC, ISO 8601 with a Z
    key_id: str
    signature: str  # base64 of the Ed25519 signature over signed_text()

    def signed_text(self) -> bytes:
        """The exact bytes the signature covers."""
        return signed_text(self.size, self.head, self.root, self.time)

    def label(self) -> str:
        """How a message names this checkpoint."""
        return f"检查点（{self.time}，{self.size} 条）"

    def to_dict(self) -> dict:
        """Plain data for the log and --json."""
        return asdict(self)


def signed_text(size: int, head: str, root: str, time: str) -> bytes:
    """The note a checkpoint signs: a fixed prefix, then size, head, root and time, a line each."""
    return f"{SIGNED_PREFIX}\n{size}\n{head}\n{root}\n{time}\n".encode()


# --- the key (pubreview.ledger.keys keeps the key and the key list) -------------------------


def trusted_public_key(given: str | None = None) -> Ed25519PublicKey:
    """The one key checkpoints are signed with now: the one given, else the configured key's."""
    if given:
        return keys.parse_public_key(given)
    return keys.signing_key().public_key()


# --- the log -------------------------------------------------------------------------------


def log_path() -> Path:
    """The checkpoint log beside the database."""
    return settings_mod.load().checkpoint_dir / LOG_NAME


def _from_dict(data: dict, where: str) -> Checkpoint:
    try:
        return Checkpoint(
            size=int(data["size"]),
            head=str(data["head"]),
            root=str(data["root"]),
            time=str(data["time"]),
            key_id=str(data["key_id"]),
            signature=str(data["signature"]),
        )
    except (KeyError, TypeError, ValueError):
        raise CheckpointUnavailable(
            f"{where}：不是检查点记录（需要 size、head、root、time、签名）"
        ) from None


def _document(text: str, where: str) -> object:
    stripped = text.strip()
    if not stripped:
        return []
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        try:
            return [json.loads(line) for line in stripped.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise CheckpointUnavailable(f"{where}：不是检查点日志（JSON）") from None


def _checkpoints_in(document: object, where: str) -> list[Checkpoint]:
    if isinstance(document, dict):
        document = document.get("checkpoints", [document])
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        raise CheckpointUnavailable(f"{where}：不是检查点日志（JSON）")
    return [_from_dict(r, where) for r in document]


def parse(text: str, where: str) -> list[Checkpoint]:
    """Checkpoints from a log (one JSON object a line) or a published checkpoints.json."""
    return _checkpoints_in(_document(text, where), where)


def read_log(path: Path | None = None) -> list[Checkpoint]:
    """Every checkpoint in the local log, oldest first ([] when there is none yet)."""
    path = path or log_path()
    try:
        return parse(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        return []


@dataclass
class Bundle:
    """What a checkpoint source holds: checkpoints, and the key records published with them."""

    checkpoints: list[Checkpoint]
    keys: list[KeyRecord]


def _bundle(text: str, where: str) -> Bundle:
    document = _document(text, where)
    records = (
        keys.parse_records(document, where)
        if isinstance(document, dict) and "keys" in document
        else []
    )
    return Bundle(_checkpoints_in(document, where), records)


def load_bundle(source: str) -> Bundle:
    """Checkpoints and keys from a file, a backup folder or an http(s) address."""
    if source.startswith(("http://", "https://")):
        try:
            response = httpx.get(source, timeout=15, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise CheckpointUnavailable(f"取不到检查点 {source}：{exc}") from None
        return _bundle(response.text, source)
    path = Path(source)
    records: list[KeyRecord] = []
    if path.is_dir():
        records = keys.read_records(path / keys.KEYS_NAME)
        path = path / LOG_NAME if (path / LOG_NAME).exists() else path / PUBLISHED_NAME
    try:
        found = _bundle(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise CheckpointUnavailable(f"读不了检查点文件 {path}：{exc.strerror}") from None
    return Bundle(found.checkpoints, records + found.keys)


def load_source(source: str) -> list[Checkpoint]:
    """Checkpoints from a file or an http(s) address (the published checkpoints.json)."""
    return load_bundle(source).checkpoints


def _append_line(path: Path, checkpoint: Checkpoint) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(checkpoint.to_dict(), sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def published_document(checkpoints: list[Checkpoint], public: Ed25519PublicKey | None) -> bytes:
    """checkpoints.json as the site publishes it: the keys, their ranges, every checkpoint.

    `public_key` is the key signing now; `keys` holds every key that signed, with the range of
    times it was current and its predecessor's endorsement, so a reader holding any one of
    them can check every checkpoint with the key that was current when it was signed.
    """
    records = keys.published_records()
    if not records and public is not None:
        records = [KeyRecord(key_id(public), public_text(public), None, None)]
    document = {
        "format": SIGNED_PREFIX,
        "public_key": public_text(public) if public else None,
        "key_id": key_id(public) if public else None,
        "keys": [r.to_dict() for r in records],
        "signed_text": "prefix, size, head, root, time: one per line, each ending in a newline",
        "key_endorsement": "prefix pubreview-ledger-key/v1, key_id, public_key, valid_from, "
        "endorsed_by: one per line, signed by the key endorsed_by",
        "checkpoints": [c.to_dict() for c in checkpoints],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


# --- signing and checking -----------------------------------------------------------------


def sign(
    key: Ed25519PrivateKey, size: int, head: str, root: str, time: str | None = None
) -> Checkpoint:
    """A checkpoint of (size, head, root) at `time` (now), signed with `key`."""
    time = time or keys.now_text()
    signature = key.sign(signed_text(size, head, root, time))
    return Checkpoint(
        size, head, root, time, key_id(key.public_key()), base64.b64encode(signature).decode()
    )


def signature_ok(checkpoint: Checkpoint, public: Ed25519PublicKey) -> bool:
    """Whether `public` signed exactly this checkpoint."""
    try:
        public.verify(base64.b64decode(checkpoint.signature), checkpoint.signed_text())
    except (InvalidSignature, ValueError):
        return False
    return True


Trusted = dict[str, TrustedKey]


def key_problem(checkpoint: Checkpoint, trusted: Trusted) -> str | None:
    """Why a checkpoint's signature is not accepted (None: a trusted key signed it in its range)."""
    key = trusted.get(checkpoint.key_id)
    if key is None:
        known = "、".join(sorted(trusted)) or "无"
        return (
            f"{checkpoint.label()}由未知密钥 {checkpoint.key_id} 签发（可信的密钥：{known}）："
            "此检查点不予采信"
        )
    if not signature_ok(checkpoint, key.public):
        return (
            f"{checkpoint.label()}的签名无效：不是由密钥 {key.key_id} 签发的，"
            "或签发后被改动过；此检查点不予采信"
        )
    at = keys.parse_time(checkpoint.time)
    if at is None:
        return f"{checkpoint.label()}的时间「{checkpoint.time}」不是时间：此检查点不予采信"
    if (key.valid_from and at < key.valid_from) or (key.valid_until and at > key.valid_until):
        return (
            f"{checkpoint.label()}的签发时间不在密钥 {key.key_id} 的有效期（{key.range_label()}）"
            "内：该密钥当时不是签名密钥（已轮换停用，或检查点是伪造的）；此检查点不予采信"
        )
    return None


def _hash_at(session: Session, size: int) -> str | None:
    if size == 0:
        return GENESIS_HASH
    return session.scalar(select(LedgerEntry.hash).where(LedgerEntry.id == size))


def entry_hashes(session: Session, size: int) -> list[str]:
    """The hashes of entries 1..size, in order: the Merkle tree's leaves."""
    return list(
        session.scalars(
            select(LedgerEntry.hash).where(LedgerEntry.id <= size).order_by(LedgerEntry.id)
        )
    )


def problems(
    session: Session,
    checkpoints: list[Checkpoint],
    trusted: Trusted,
    entries: int,
) -> list[str]:
    """Name each checkpoint the ledger (of `entries` entries, chain verified) does not extend."""
    found: list[str] = []
    leaves: list[str] | None = None
    for checkpoint in sorted(checkpoints, key=lambda c: (c.size, c.time)):
        refused = key_problem(checkpoint, trusted)
        if refused:
            found.append(refused)
            continue
        if checkpoint.size > entries:
            found.append(
                f"台帐只有 {entries} 条，而{checkpoint.label()}已证明有 {checkpoint.size} 条："
                f"第 {entries + 1}–{checkpoint.size} 条已丢失（被删除，或恢复的是较早的副本）"
            )
            continue
        if _hash_at(session, checkpoint.size) != checkpoint.head:
            found.append(
                f"第 {checkpoint.size} 条的哈希与{checkpoint.label()}不符："
                f"第 1–{checkpoint.size} 条中有记录被改写（其后的哈希被重新计算过）"
            )
            continue
        if leaves is None:
            leaves = entry_hashes(session, entries)
        if merkle.root(leaves[: checkpoint.size]) != checkpoint.root:
            found.append(f"{checkpoint.label()}的 Merkle 根与台帐前 {checkpoint.size} 条不符")
    return found


def latest_matching(
    session: Session, checkpoints: list[Checkpoint], trusted: Trusted
) -> Checkpoint | None:
    """The largest validly signed checkpoint the stored ledger still carries."""
    for checkpoint in sorted(checkpoints, key=lambda c: c.size, reverse=True):
        if (
            key_problem(checkpoint, trusted) is None
            and _hash_at(session, checkpoint.size) == checkpoint.head
        ):
            return checkpoint
    return None


def make(session: Session, *, create_key: bool = False) -> Checkpoint:
    """Verify the ledger against the last checkpoint, then sign, log and return a new one.

    The key is the current one of the key list. Only the entries after the last checkpoint
    (whichever key signed it) are rehashed; a ledger that does not extend the log, or whose
    newer entries do not verify, is refused (LedgerBroken) and not signed.
    """
    # One checkpoint at a time, under the ledger's write lock (on SQLite the transaction's own):
    # each extends the log the one before it wrote. It writes no row, so none would take it.
    db.take_write_lock(session.connection())
    log = read_log()
    key = signing_key(create=create_key and not log)
    last = max(log, key=lambda c: c.size, default=None)
    if last is not None:
        broken = problems(session, [last], keys.trusted_keys(), _count(session))
        if broken:
            raise LedgerBroken("；".join(broken) + "：未签发新的检查点")
    result = chain.verify(session, after=(last.size, last.head) if last else None)
    if not result.ok:
        raise LedgerBroken(
            f"台帐第 {result.broken_at} 条未通过校验（{result.reason}）：未签发检查点"
        )
    root = merkle.root(entry_hashes(session, result.entries))
    checkpoint = sign(key, result.entries, result.head, root)
    _append_line(log_path(), checkpoint)
    return checkpoint


def rotate(session: Session) -> tuple[Checkpoint, KeyRecord, KeyRecord, Checkpoint]:
    """Rotate the key: a last checkpoint with the old key, the handover, a first with the new.

    The ledger must verify against the log first (`make` refuses otherwise), so a rotation
    never launders a rewritten history. Returns (closing checkpoint, retired key, new key,
    opening checkpoint); both checkpoints cover the same entries.
    """
    closing = make(session)
    retired, new = keys.rotate()
    opening = make(session)
    return closing, retired, new, opening


def make_if_possible(
    session: Session, *, create_key: bool = False
) -> tuple[Checkpoint | None, str | None]:
    """A checkpoint, or why none was signed: never raises for the key or a broken ledger.

    For the steps that must go on without one (a publication, a backup): the ledger is the
    truth and is already written; the caller reports the reason, and the next `verify` names
    the same problem.
    """
    try:
        return make(session, create_key=create_key), None
    except (CheckpointUnavailable, LedgerBroken) as exc:
        return None, f"未签发检查点：{exc}"


def _count(session: Session) -> int:
    return session.scalar(select(LedgerEntry.id).order_by(LedgerEntry.id.desc()).limit(1)) or 0
