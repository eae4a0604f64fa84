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
import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import GENESIS_HASH, LedgerEntry
from pubreview import settings as settings_mod
from pubreview.errors import CheckpointUnavailable, LedgerBroken
from pubreview.ledger import chain, merkle

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


# --- the key -------------------------------------------------------------------------------


def key_id(public: Ed25519PublicKey) -> str:
    """A short, stable name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_bytes(public)).hexdigest()[:16]


def public_bytes(public: Ed25519PublicKey) -> bytes:
    """The raw 32 bytes of a public key."""
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_text(public: Ed25519PublicKey) -> str:
    """A public key as people copy it: base64 of its raw bytes."""
    return base64.b64encode(public_bytes(public)).decode()


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A public key from its base64 text, or from a file holding that text."""
    value = text.strip()
    path = Path(value)
    if len(value) != 44 and path.is_file():
        value = path.read_text().strip()
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(value, validate=True))
    except ValueError as exc:
        raise CheckpointUnavailable(
            f"公钥「{text}」不是 Ed25519 公钥（base64，44 个字符）"
        ) from exc


def create_key(path: Path) -> Ed25519PrivateKey:
    """Make a new signing key in a file only its owner can read (refuses to overwrite one)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    """The signing key from its file, refusing one that others can read."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointUnavailable(
            f"找不到台帐签名密钥 {path}：检查点未签发（首次使用请先生成密钥）"
        ) from None
    except OSError as exc:
        raise CheckpointUnavailable(
            f"读不了台帐签名密钥 {path}（{exc.strerror}）：检查点未签发"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CheckpointUnavailable(
            f"台帐签名密钥 {path} 可被其他用户读取（权限 {stat.filemode(mode)}）："
            "请改为仅属主可读写（chmod 600）后再签发检查点"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        raise CheckpointUnavailable(f"{path} 不是有效的签名密钥文件：检查点未签发") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointUnavailable(f"{path} 不是 Ed25519 密钥：检查点未签发")
    return key


def signing_key(create: bool = False) -> Ed25519PrivateKey:
    """The configured signing key; with `create`, a new one is made if there is none."""
    path = settings_mod.load().signing_key_file
    if create and not path.exists():
        return create_key(path)
    return load_key(path)


def trusted_public_key(given: str | None = None) -> Ed25519PublicKey:
    """The key checkpoints must be signed with: the one given, else the configured key's."""
    if given:
        return parse_public_key(given)
    return signing_key().public_key()


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


def parse(text: str, where: str) -> list[Checkpoint]:
    """Checkpoints from a log (one JSON object a line) or a published checkpoints.json."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError:
        try:
            document = [json.loads(line) for line in stripped.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise CheckpointUnavailable(f"{where}：不是检查点日志（JSON）") from None
    if isinstance(document, dict):
        document = document.get("checkpoints", [document])
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        raise CheckpointUnavailable(f"{where}：不是检查点日志（JSON）")
    records = document
    return [_from_dict(r, where) for r in records]


def read_log(path: Path | None = None) -> list[Checkpoint]:
    """Every checkpoint in the local log, oldest first ([] when there is none yet)."""
    path = path or log_path()
    try:
        return parse(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        return []


def load_source(source: str) -> list[Checkpoint]:
    """Checkpoints from a file or an http(s) address (the published checkpoints.json)."""
    if source.startswith(("http://", "https://")):
        try:
            response = httpx.get(source, timeout=15, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise CheckpointUnavailable(f"取不到检查点 {source}：{exc}") from None
        return parse(response.text, source)
    path = Path(source)
    if path.is_dir():
        path = path / LOG_NAME if (path / LOG_NAME).exists() else path / PUBLISHED_NAME
    try:
        return parse(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise CheckpointUnavailable(f"读不了检查点文件 {path}：{exc.strerror}") from None


def _append_line(path: Path, checkpoint: Checkpoint) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(checkpoint.to_dict(), sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def published_document(checkpoints: list[Checkpoint], public: Ed25519PublicKey | None) -> bytes:
    """checkpoints.json as the site publishes it: the public key and every checkpoint."""
    document = {
        "format": SIGNED_PREFIX,
        "public_key": public_text(public) if public else None,
        "key_id": key_id(public) if public else None,
        "signed_text": "prefix, size, head, root, time: one per line, each ending in a newline",
        "checkpoints": [c.to_dict() for c in checkpoints],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


# --- signing and checking -----------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(
    key: Ed25519PrivateKey, size: int, head: str, root: str, time: str | None = None
) -> Checkpoint:
    """A checkpoint of (size, head, root) at `time` (now), signed with `key`."""
    time = time or _now()
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
    public: Ed25519PublicKey,
    entries: int,
) -> list[str]:
    """Name each checkpoint the ledger (of `entries` entries, chain verified) does not extend."""
    found: list[str] = []
    leaves: list[str] | None = None
    for checkpoint in sorted(checkpoints, key=lambda c: (c.size, c.time)):
        if not signature_ok(checkpoint, public):
            found.append(
                f"{checkpoint.label()}的签名无效：不是由密钥 {key_id(public)} 签发的，"
                "或签发后被改动过；此检查点不予采信"
            )
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
    session: Session, checkpoints: list[Checkpoint], public: Ed25519PublicKey
) -> Checkpoint | None:
    """The largest validly signed checkpoint the stored ledger still carries."""
    for checkpoint in sorted(checkpoints, key=lambda c: c.size, reverse=True):
        if (
            signature_ok(checkpoint, public)
            and _hash_at(session, checkpoint.size) == checkpoint.head
        ):
            return checkpoint
    return None


def make(session: Session, *, create_key: bool = False) -> Checkpoint:
    """Verify the ledger against the last checkpoint, then sign, log and return a new one.

    Only the entries after the last checkpoint are rehashed; a ledger that does not extend
    the log, or whose newer entries do not verify, is refused (LedgerBroken) and not signed.
    """
    key = signing_key(create=create_key and not read_log())
    public = key.public_key()
    log = read_log()
    mine = [c for c in log if c.key_id == key_id(public)]
    last = max(mine, key=lambda c: c.size, default=None)
    if last is not None:
        broken = problems(session, [last], public, _count(session))
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
