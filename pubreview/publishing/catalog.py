"""Content categories and channels, read from configuration (config/catalog.yaml).

A channel may have categories of its own (`categories:` under it), or none (`categories: []`);
a channel without the key uses the catalog's top-level list. So an office whose categories
apply to its website only (网站490条，其中组织机构类…；微信475条) says so here, and an item
that goes out only on channels without categories needs none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from pubreview import settings
from pubreview.errors import ValidationError

WHERE = "（内容分类在目录文件 {path} 中配置，文件位置由 PUBREVIEW_CATALOG 设置）"
SITE_KIND = "site"  # a channel's kind when pubreview's own site renders it


@dataclass(frozen=True)
class Channel:
    """A publication channel: the site pubreview renders, or one the center posts by hand."""

    name: str
    kind: str  # "site" or "manual"
    max_length: int | None = None
    own_categories: tuple[str, ...] | None = None  # None: the catalog's; (): none at all

    @property
    def is_site(self) -> bool:
        """Whether pubreview's site renders it (else the center posts it by hand, with a URL)."""
        return self.kind == SITE_KIND


@dataclass(frozen=True)
class Catalog:
    """The configured categories and channels."""

    categories: tuple[str, ...]  # every category, the top-level list first
    channels: dict[str, Channel]
    path: Path | None = None
    shared: tuple[str, ...] | None = None  # the top-level list; None: all of `categories`

    @property
    def per_channel(self) -> bool:
        """Whether some channel has categories of its own (or none), not the catalog's."""
        return any(c.own_categories is not None for c in self.channels.values())

    def is_site(self, channel: str) -> bool:
        """Whether `channel` is the site; one missing from the catalog is posted by hand."""
        spec = self.channels.get(channel)
        return spec is not None and spec.is_site

    def categories_of(self, channel: str) -> tuple[str, ...]:
        """The categories an item on `channel` may have (empty: the channel has none)."""
        spec = self.channels.get(channel)
        if spec is not None and spec.own_categories is not None:
            return spec.own_categories
        return self.categories if self.shared is None else self.shared

    def category_error(self, category: str, channels: Iterable[str]) -> str | None:
        """Why `category` does not fit an item on `channels` (in Chinese), or None if it does."""
        allowed = tuple(dict.fromkeys(c for ch in channels for c in self.categories_of(ch)))
        where = WHERE.format(path=self.path or settings.load().catalog_file)
        if not category:
            if not allowed:
                return None
            return f"内容类别：请填写（可选：{'、'.join(allowed)}）{where}"
        if category in allowed:
            return None
        if not allowed:
            return (
                f"内容类别：所选发布渠道不设内容分类，“{category}”请留空；"
                f"如需分类，请在目录中为渠道配置 categories{where}"
            )
        return f"内容类别：“{category}”不在目录中（可选：{'、'.join(allowed)}）{where}"


def _names(value: object, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"{what} 应为名称列表")
    return tuple(value)


# Catalogs read, by file and its modification time and size: pages ask on every request.
_read: dict[tuple, Catalog] = {}


def load(path: Path | None = None) -> Catalog:
    """Read the catalog file (again once it changes); a malformed file is a ValidationError."""
    path = path or settings.load().catalog_file
    try:
        stat = path.stat()
    except OSError:
        return _load(path)  # the error names the file
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _read:
        if len(_read) > 16:
            _read.clear()
        _read[key] = _load(path)
    return _read[key]


def _load(path: Path) -> Catalog:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        shared = _names(raw.get("categories"), "categories")
        channels = {}
        for name, spec in (raw.get("channels") or {}).items():
            spec = spec or {}
            own = (
                _names(spec["categories"], f"channels.{name}.categories")
                if "categories" in spec
                else None
            )
            channels[name] = Channel(name, spec.get("kind", "manual"), spec.get("max_length"), own)
        every = tuple(
            dict.fromkeys(
                [*shared, *(c for ch in channels.values() for c in ch.own_categories or ())]
            )
        )
        return Catalog(every, channels, path, shared)
    except (OSError, yaml.YAMLError, AttributeError, TypeError) as exc:
        raise ValidationError(f"目录文件 {path}（PUBREVIEW_CATALOG）无法读取：{exc}") from exc
    except ValidationError as exc:
        raise ValidationError(f"目录文件 {path}（PUBREVIEW_CATALOG）：{exc}") from exc
