"""Personal signed links: a review link per (person, publication, stage, revision), a queue link.

A link carries its own expiry inside the signed payload, so it can be checked without a
database; whether the stage it names is still open is the review page's business. Below both
the web (which checks links and signs sessions with the same secret) and the messages (which
carry links), so neither imports the other.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from pubreview import settings
from pubreview.errors import LinkRefused

log = logging.getLogger(__name__)

SECRET_FILE = "web-secret"

# The salts keep the names they had when this module lived in pubreview/web: links already
# sent stay valid.
_REVIEW_SALT = "pubreview.web.review"
_QUEUE_SALT = "pubreview.web.queue"


@dataclass(frozen=True)
class ReviewGrant:
    """What a valid review link allows: this person may decide this stage of this revision."""

    username: str
    publication_id: int
    stage: str
    revision: int
    expires_at: int  # Unix seconds


@dataclass(frozen=True)
class QueueGrant:
    """What a valid queue link allows: this person may see what waits on them."""

    username: str
    expires_at: int


def web_url() -> str:
    """The base address of the web app, always ending in a slash."""
    return settings.load().web_url


def link_ttl() -> timedelta:
    """How long a new link stays valid (PUBREVIEW_WEB_LINK_TTL_S, default 30 days)."""
    return timedelta(seconds=settings.load().web_link_ttl_s)


def secret_key() -> str:
    """PUBREVIEW_WEB_SECRET, or the embedded default's secret kept in data_dir/web-secret (0600)."""
    current = settings.load()
    if current.web_secret:
        return current.web_secret
    path = current.data_dir / SECRET_FILE
    try:
        return _read_secret(path)
    except FileNotFoundError:
        return _create_secret(path)


def _read_secret(path: Path) -> str:
    value = path.read_text(encoding="ascii").strip()
    if not value:
        # Left by a write that failed (a full disk, before writes were atomic): nothing was
        # ever signed with it, so it is replaced rather than refused.
        raise FileNotFoundError(path)
    return value


def _create_secret(path: Path) -> str:
    """Write a new secret whole, then give it its name: a failed write leaves no broken file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(value + "\n")
            f.flush()
            os.fsync(f.fileno())
        if path.exists() and not path.read_bytes().strip():
            os.replace(partial, path)  # the empty file of a failed write
        else:
            # link() fails if the name exists: when two processes race, the first one's
            # secret stands and the other reads it.
            os.link(partial, path)
    except FileExistsError:
        return _read_secret(path)
    finally:
        partial.unlink(missing_ok=True)
    return value


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key(), salt=salt)


def _expiry(expires_in: timedelta | None) -> int:
    return int(time.time() + (expires_in if expires_in is not None else link_ttl()).total_seconds())


def review_token(
    username: str,
    publication_id: int,
    stage: str,
    revision: int,
    *,
    expires_in: timedelta | None = None,
) -> str:
    """The signed token of a review link."""
    payload = {
        "u": username,
        "p": int(publication_id),
        "s": str(stage),
        "r": int(revision),
        "x": _expiry(expires_in),
    }
    return _serializer(_REVIEW_SALT).dumps(payload)


def review_link(
    username: str,
    publication_id: int,
    stage: str,
    revision: int,
    *,
    expires_in: timedelta | None = None,
) -> str | None:
    """The personal review link for a message, or None if no signing secret can be had."""
    try:
        token = review_token(username, publication_id, stage, revision, expires_in=expires_in)
    except OSError as exc:
        # The message still goes out; the log says why it carries no link.
        log.warning("no review link for %s: the web signing secret is unusable (%s)", username, exc)
        return None
    return f"{web_url()}review/{token}"


def queue_token(username: str, *, expires_in: timedelta | None = None) -> str:
    """The signed token of a person's queue link."""
    return _serializer(_QUEUE_SALT).dumps({"u": username, "x": _expiry(expires_in)})


def queue_link(username: str, *, expires_in: timedelta | None = None) -> str:
    """The personal link to the list of what waits on this person."""
    return f"{web_url()}queue/{queue_token(username, expires_in=expires_in)}"


def _load(salt: str, token: str) -> dict:
    try:
        payload = _serializer(salt).loads(token)
    except BadSignature as exc:
        raise LinkRefused("链接无效：签名不符，可能被改动或伪造") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("x"), int):
        raise LinkRefused("链接无效：内容不完整")
    if payload["x"] < time.time():
        raise LinkRefused("链接已过期")
    return payload


def verify_review_token(token: str) -> ReviewGrant:
    """The grant a review token carries; LinkRefused if forged, altered or expired."""
    p = _load(_REVIEW_SALT, token)
    try:
        return ReviewGrant(
            username=str(p["u"]),
            publication_id=int(p["p"]),
            stage=str(p["s"]),
            revision=int(p["r"]),
            expires_at=p["x"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LinkRefused("链接无效：内容不完整") from exc


def verify_queue_token(token: str) -> QueueGrant:
    """The grant a queue token carries; LinkRefused if forged, altered or expired."""
    p = _load(_QUEUE_SALT, token)
    try:
        return QueueGrant(username=str(p["u"]), expires_at=p["x"])
    except (KeyError, TypeError) as exc:
        raise LinkRefused("链接无效：内容不完整") from exc
