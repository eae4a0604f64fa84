"""Content categories and channels, read from configuration (config/catalog.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pubreview import settings
from pubreview.errors import ValidationError


@dataclass(frozen=True)
class Channel:
    """A publication channel: the site pubreview renders, or one the center posts by hand."""

    name: str
    kind: str  # "site" or "manual"
    max_length: int | None = None


@dataclass(frozen=True)
class Catalog:
    """The configured categories and channels."""

    categories: tuple[str, ...]
    channels: dict[str, Channel]


def load(path: Path | None = None) -> Catalog:
    """Read the catalog file; a malformed file is a ValidationError naming it."""
    path = path or settings.load().catalog_file
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        channels = {
            name: Channel(name, spec.get("kind", "manual"), spec.get("max_length"))
            for name, spec in (raw.get("channels") or {}).items()
        }
        return Catalog(tuple(raw.get("categories") or ()), channels)
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        raise ValidationError(f"catalog {path}: {exc}") from exc
