"""The checkpoint signing key and the key list: rotation, validity ranges, whom to trust.

One Ed25519 private key signs checkpoints at a time; it lives in a file outside the database.
Every public key that ever signed is kept in the key list (`keys.json` beside the checkpoint
log, published with it), each with the range of times it was current. Rotating makes a new
key whose record the old key signs (the endorsement covers the new key and the time it takes
over), so whoever trusts the first public key can follow the list to today's key, and an old
key's range ends where its endorsed successor's begins: a checkpoint signed by a retired key
after it was retired is refused, as is one signed by a key the list does not know.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pubreview import settings as settings_mod
from pubreview.errors import CheckpointUnavailable

KEYS_NAME = "keys.json"  # the key list, beside the checkpoint log
KEYS_FORMAT = "pubreview-ledger-keys/v1"
ENDORSED_PREFIX = "pubreview-ledger-key/v1"


# --- one key ------------------------------------------------------------------------------


def public_bytes(public: Ed25519PublicKey) -> bytes:
    """The raw 32 bytes of a public key."""
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    """A short, stable name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_bytes(public)).hexdigest()[:16]


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


def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


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


# --- the key list -------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRecord:
    """A public key that signs (or signed) checkpoints, and when it was current."""

    key_id: str
    public_key: str  # base64
    valid_from: str | None  # UTC ISO 8601 with a Z; None: from the first checkpoint
    valid_until: str | None  # None: the current key
    endorsed_by: str | None = None  # the key that was current before, which signed this record
    endorsement: str | None = None  # base64 Ed25519 signature over endorsed_text()

    def endorsed_text(self) -> bytes:
        """The exact bytes the predecessor's endorsement covers."""
        return endorsed_text(self.key_id, self.public_key, self.valid_from or "", self.endorsed_by)

    def public(self) -> Ed25519PublicKey:
        """The record's public key."""
        return parse_public_key(self.public_key)

    def range_label(self) -> str:
        """The validity range as a message says it."""
        start = self.valid_from or "启用"
        return f"{start} 至 {self.valid_until or '今'}"

    def to_dict(self) -> dict:
        """Plain data for the key list and the published checkpoints.json."""
        return asdict(self)


def endorsed_text(new_id: str, public: str, valid_from: str, by: str | None) -> bytes:
    """What a key signs when it hands over: the successor's id, public key, start, and itself."""
    return f"{ENDORSED_PREFIX}\n{new_id}\n{public}\n{valid_from}\n{by or ''}\n".encode()


def keys_path() -> Path:
    """The key list beside the checkpoint log."""
    return settings_mod.load().checkpoint_dir / KEYS_NAME


def parse_records(data: object, where: str) -> list[KeyRecord]:
    """Key records from a key list or a published checkpoints.json's "keys"."""
    if isinstance(data, dict):
        data = data.get("keys", [])
    if not isinstance(data, list):
        raise CheckpointUnavailable(f"{where}：不是密钥清单（JSON）")
    records = []
    for item in data:
        try:
            records.append(
                KeyRecord(
                    key_id=str(item["key_id"]),
                    public_key=str(item["public_key"]),
                    valid_from=item.get("valid_from"),
                    valid_until=item.get("valid_until"),
                    endorsed_by=item.get("endorsed_by"),
                    endorsement=item.get("endorsement"),
                )
            )
        except (KeyError, TypeError, AttributeError):
            raise CheckpointUnavailable(
                f"{where}：不是密钥记录（需要 key_id、public_key）"
            ) from None
    return records


def read_records(path: Path | None = None) -> list[KeyRecord]:
    """Every key in the local key list, oldest first ([] when there is none yet)."""
    path = path or keys_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise CheckpointUnavailable(f"读不了密钥清单 {path}：{exc.strerror}") from None
    try:
        return parse_records(json.loads(text), str(path))
    except json.JSONDecodeError:
        raise CheckpointUnavailable(f"{path}：不是密钥清单（JSON）") from None


def _write_records(records: list[KeyRecord]) -> None:
    path = keys_path()
    document = {"format": KEYS_FORMAT, "keys": [r.to_dict() for r in records]}
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        os.replace(partial, path)
    except OSError as exc:
        raise CheckpointUnavailable(
            f"写不了密钥清单 {path}（{exc.strerror}）：检查点未签发"
        ) from None


def now_text() -> str:
    """Now, UTC, to the second, as checkpoints and key records write a time."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    """A recorded UTC time, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _register(key: Ed25519PrivateKey, records: list[KeyRecord]) -> list[KeyRecord]:
    """Records with `key` current: a key the list lacks is added; the legacy key starts it."""
    public = key.public_key()
    mine = key_id(public)
    if any(r.key_id == mine for r in records):
        return records
    if not records:
        return [KeyRecord(mine, public_text(public), None, None)]
    # The current key was lost and replaced: its range ends now, unsigned (nobody holds it).
    at = now_text()
    closed = [r if r.valid_until else replace(r, valid_until=at) for r in records]
    return [*closed, KeyRecord(mine, public_text(public), at, None)]


def signing_key(create: bool = False) -> Ed25519PrivateKey:
    """The current signing key, refusing one the key list names as retired or does not know.

    With `create`, a key is made when there is none; the list gains it (closing the range of a
    lost predecessor). A key file from before key lists starts the list.
    """
    path = settings_mod.load().signing_key_file
    if create and not path.exists():
        key = Ed25519PrivateKey.generate()
        _write_private(path, key)
        _write_records(_register(key, read_records()))
        return key
    key = load_key(path)
    records = read_records()
    mine = key_id(key.public_key())
    record = next((r for r in records if r.key_id == mine), None)
    if not records:
        _write_records(_register(key, records))
    elif record is None:
        raise CheckpointUnavailable(
            f"签名密钥 {path}（{mine}）不在密钥清单 {keys_path()} 中：检查点未签发"
            "（请放回原密钥文件，或轮换密钥）"
        )
    elif record.valid_until is not None:
        raise CheckpointUnavailable(
            f"签名密钥 {mine} 已于 {record.valid_until} 停用（已轮换）：检查点未签发"
        )
    return key


def rotate() -> tuple[KeyRecord, KeyRecord]:
    """Make a new signing key, endorsed by the current one, and retire the current one.

    The new private key replaces the old file (the old private key is gone); the old public
    key stays in the list with its range closed. Returns (retired, new) records.
    """
    path = settings_mod.load().signing_key_file
    old = signing_key()
    records = read_records()
    old_id = key_id(old.public_key())
    new = Ed25519PrivateKey.generate()
    new_public = new.public_key()
    at = now_text()
    statement = endorsed_text(key_id(new_public), public_text(new_public), at, old_id)
    record = KeyRecord(
        key_id(new_public),
        public_text(new_public),
        at,
        None,
        endorsed_by=old_id,
        endorsement=base64.b64encode(old.sign(statement)).decode(),
    )
    pending = path.with_name(path.name + ".new")
    pending.unlink(missing_ok=True)
    _write_private(pending, new)
    retired = [replace(r, valid_until=at) if r.key_id == old_id else r for r in records]
    _write_records([*retired, record])
    os.replace(pending, path)
    return next(r for r in retired if r.key_id == old_id), record


# --- whom to trust ------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustedKey:
    """A key checkpoints may be signed with, and the times it may have signed them."""

    record: KeyRecord
    public: Ed25519PublicKey
    valid_from: datetime | None
    valid_until: datetime | None

    @property
    def key_id(self) -> str:
        """The key's short name."""
        return self.record.key_id

    def range_label(self) -> str:
        """The validity range as a message says it."""
        start = self.record.valid_from if self.valid_from else "启用"
        end = self.valid_until.strftime("%Y-%m-%dT%H:%M:%SZ") if self.valid_until else "今"
        return f"{start} 至 {end}"


def _endorsement_ok(record: KeyRecord, by: Ed25519PublicKey) -> bool:
    try:
        by.verify(base64.b64decode(record.endorsement or ""), record.endorsed_text())
    except (InvalidSignature, ValueError):
        return False
    return True


def trust(records: list[KeyRecord], anchors: list[Ed25519PublicKey]) -> dict[str, TrustedKey]:
    """The keys to accept: the anchors, and every key an accepted key endorsed, with ranges.

    A key's range starts at its record's start (signed by its predecessor when endorsed) and
    ends where an endorsed successor starts; a lost key's range ends where the list says.
    """
    by_id: dict[str, KeyRecord] = {}
    for r in records:
        by_id.setdefault(r.key_id, r)
    accepted: dict[str, Ed25519PublicKey] = {}
    for public in anchors:
        accepted[key_id(public)] = public
        by_id.setdefault(key_id(public), KeyRecord(key_id(public), public_text(public), None, None))
    grew = True
    while grew:
        grew = False
        for r in by_id.values():
            if r.key_id in accepted or r.endorsed_by not in accepted:
                continue
            if _endorsement_ok(r, accepted[r.endorsed_by]):
                try:
                    accepted[r.key_id] = r.public()
                except CheckpointUnavailable:
                    continue
                grew = True
    successors = {
        r.endorsed_by: r
        for r in by_id.values()
        if r.key_id in accepted
        and r.endorsed_by in accepted
        and _endorsement_ok(r, accepted[r.endorsed_by])
    }
    trusted = {}
    for kid, public in accepted.items():
        record = by_id[kid]
        after = successors.get(kid)
        until = parse_time(after.valid_from) if after else parse_time(record.valid_until)
        trusted[kid] = TrustedKey(record, public, parse_time(record.valid_from), until)
    return trusted


def trusted_keys(
    given: str | None = None, more: list[KeyRecord] | None = None
) -> dict[str, TrustedKey]:
    """The keys checkpoints may be signed with.

    `given` (a public key, base64 or a file) is the one key taken on trust, with the keys it
    endorsed in the local list or in `more` (a published list); without it, the local key list
    is trusted, or the configured key when there is no list yet.
    """
    records = read_records() + list(more or [])
    if given:
        return trust(records, [parse_public_key(given)])
    local = read_records()
    if local:
        return trust(records, [r.public() for r in local])
    return trust(records, [signing_key().public_key()])


def published_records() -> list[KeyRecord]:
    """The local key list as the site publishes it ([] when it is missing or unreadable)."""
    try:
        return read_records()
    except CheckpointUnavailable:
        return []


def describe(kid: str) -> KeyRecord | None:
    """The local key list's record of a key (None: the list does not know it)."""
    return next((r for r in published_records() if r.key_id == kid), None)
