"""The ledger entries publishing writes: one typed payload per kind, and their dedupe keys.

A publication's id is the entry's own column, not part of the payload; the keys name it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
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


def published_key(publication_id: int, channel: str) -> str:
    """An item goes out on a channel once."""
    return f"published:{publication_id}:{channel}"


def retracted_key(publication_id: int) -> str:
    """An item is retracted once."""
    return f"retracted:{publication_id}"


def adopted_key(publication_id: int, outlet: str) -> str:
    """One outlet adopting one item is one adoption, however often it is reported."""
    return f"adopted:{publication_id}:{outlet}"
