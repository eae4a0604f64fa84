"""The ledger entries publishing writes: one typed payload per kind, and their dedupe keys.

A publication's id is the entry's own column, not part of the payload; the keys name it. A
held item (HELD) has no payload of its own: its reason is the entry's comment, its key names it.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Published:
    """发布: the item is out on one channel (the site, or a hand channel the center recorded)."""

    channel: str
    url: str | None
    published_at: str | None  # office time, ISO 8601 to the second
    fingerprint: str | None  # the content fingerprint of the revision that went out
    imported: bool = False  # recorded from the old 台帐, not published through pubreview

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Published:
        """Read an entry's payload back."""
        return cls(
            channel=payload["channel"],
            url=payload.get("url"),
            published_at=payload.get("published_at"),
            fingerprint=payload.get("fingerprint"),
            imported=bool(payload.get("imported", False)),
        )


@dataclass(frozen=True)
class Retracted:
    """撤回: a published item withdrawn, with the reason the notice shows."""

    reason: str
    confidentiality: bool = False  # withdrawn because it should never have been public

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Retracted:
        """Read an entry's payload back."""
        return cls(payload["reason"], bool(payload.get("confidentiality", False)))


@dataclass(frozen=True)
class Adopted:
    """采用: an outlet (central or provincial) took up a published item."""

    level: str
    outlet: str
    url: str | None

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Adopted:
        """Read an entry's payload back."""
        return cls(payload["level"], payload["outlet"], payload.get("url"))


@dataclass(frozen=True)
class Imported:
    """台帐导入 (IMPORTED): an item brought in from one row of the office's older 台帐 file."""

    fingerprint: str  # of the row's title (an imported item has no body or attachments)
    title: str
    category: str
    channels: list[str]
    unit: str  # the unit's code
    file: str  # the 台帐 file's name
    row: int  # its row in that file

    def to_payload(self) -> dict[str, Any]:
        """Plain data for the ledger."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Imported:
        """Read an entry's payload back."""
        return cls(
            fingerprint=payload.get("fingerprint", ""),
            title=payload.get("title", ""),
            category=payload.get("category", ""),
            channels=list(payload.get("channels") or []),
            unit=payload.get("unit", ""),
            file=payload.get("file", ""),
            row=payload.get("row", 0),
        )


def published_key(publication_id: int, channel: str) -> str:
    """An item goes out on a channel once."""
    return f"published:{publication_id}:{channel}"


def retracted_key(publication_id: int) -> str:
    """An item is retracted once."""
    return f"retracted:{publication_id}"


def adopted_key(publication_id: int, outlet: str) -> str:
    """One outlet adopting one item is one adoption, however often it is reported."""
    return f"adopted:{publication_id}:{outlet}"


def imported_key(published_on: date, title: str, unit: str) -> str:
    """A 台帐 row is imported once: the same date, title and unit are the same item."""
    text = f"{published_on.isoformat()}\0{title}\0{unit}"
    return f"imported:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def _reason_digest(reason: str) -> str:
    return hashlib.sha256(reason.encode()).hexdigest()[:16]


def held_key(publication_id: int, revision: int, reason: str) -> str:
    """An item is held once per revision and reason."""
    return f"held:{publication_id}:r{revision}:{_reason_digest(reason)}"


def held_findings(publication_id: int, revision: int, reason: str) -> str:
    """What the center's notice of a held item is about: told once per revision and reason."""
    return f"{publication_id}:{revision}:{_reason_digest(reason)}"
