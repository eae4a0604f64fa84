"""The site's pages: which files exist, and the template and context each is rendered from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from pubreview.publishing import article_url, site_base_url
from pubreview.site.content import BodyRenderer, Item, SiteContent, Withdrawal

PAGE_SIZE = 20
FEED_SIZE = 50
# The 政府信息公开 column gathers the categories that are disclosure proper, as the column of
# that name does on government sites; the rest (工作动态, 专题 …) is news.
DISCLOSURE_CATEGORIES = ("政务公开", "部门职能")
DISCLOSURE_PATH = "xxgk"  # 信息公开, the customary path of the column
# An empty site's feed still needs an <updated>; a fixed date keeps builds byte-identical.
EMPTY_FEED_UPDATED = "2000-01-01T00:00:00+08:00"


@dataclass(frozen=True)
class Page:
    """One file of the site: its path, its template, and how to make its context."""

    path: str  # relative to the site root, "/"-separated, not URL-quoted
    template: str
    context: Callable[[], dict[str, Any]]
    publication_id: int | None = None  # set on pages that belong to one item alone


def href(path: str) -> str:
    """A site path as it goes into a link."""
    return quote(path)


def _root(path: str) -> str:
    """The relative prefix from a page back to the site root."""
    return "../" * path.count("/")


def _date(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


def _entry(item: Item) -> dict[str, Any]:
    """An item as a row of a listing: linked to its article, else to where it was posted."""
    external = next((url for _, url in item.channels if url), None)
    return {
        "id": item.id,
        "title": item.title,
        "date": _date(item.published_at),
        "category": item.category,
        "unit": item.unit,
        "path": href(item.path) if item.on_site else None,
        "url": None if item.on_site else external,
    }


@dataclass(frozen=True)
class Listing:
    """A paged listing of items, newest first: base/index.html, base/page-2.html, …"""

    base: str
    title: str
    items: list[Item]
    intro: str | None = None

    @property
    def pages(self) -> int:
        """How many pages it has (one, empty, when it has no items)."""
        return max(1, -(-len(self.items) // PAGE_SIZE))

    def path(self, n: int) -> str:
        """The file of page n (from 1)."""
        return f"{self.base}/index.html" if n == 1 else f"{self.base}/page-{n}.html"

    def chunk(self, n: int) -> list[Item]:
        """The items page n lists."""
        return self.items[(n - 1) * PAGE_SIZE : n * PAGE_SIZE]

    def page(self, n: int, common: dict[str, Any]) -> Page:
        """Page n as a Page of the plan."""
        path, pages, chunk = self.path(n), self.pages, self.chunk(n)

        def context() -> dict[str, Any]:
            return {
                **common,
                "root": _root(path),
                "title": self.title,
                "intro": self.intro,
                "entries": [_entry(item) for item in chunk],
                "page": n,
                "pages": pages,
                "prev": href(self.path(n - 1).rsplit("/", 1)[1]) if n > 1 else None,
                "next": href(self.path(n + 1).rsplit("/", 1)[1]) if n < pages else None,
            }

        return Page(path, "site/listing.html", context)

    def position(self, key: tuple[datetime, int]) -> int:
        """How many of its items come before an item with this sort key."""
        lo, hi = 0, len(self.items)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.items[mid].sort_key > key:
                lo = mid + 1
            else:
                hi = mid
        return lo


def listings(content: SiteContent) -> list[Listing]:
    """Every listing of the site, in plan order: categories, channels, years, 政府信息公开."""
    by_category: dict[str, list[Item]] = {c: [] for c in content.categories}
    by_channel: dict[str, list[Item]] = {c: [] for c in content.channels}
    by_year: dict[int, list[Item]] = {}
    disclosure: list[Item] = []
    for item in content.items:
        if len(item.channels) == 1:
            by_channel[item.channels[0][0]].append(item)
        else:
            for channel in dict.fromkeys(c for c, _ in item.channels):
                by_channel[channel].append(item)
        if item.on_site:
            by_category[item.category].append(item)
            by_year.setdefault(item.published_at.year, []).append(item)
            if item.category in DISCLOSURE_CATEGORIES:
                disclosure.append(item)
    return [
        *(Listing(f"category/{c}", c, items) for c, items in by_category.items()),
        *(Listing(f"channel/{c}", f"{c}发布", items) for c, items in by_channel.items()),
        *(Listing(f"archive/{y}", f"{y}年", by_year[y]) for y in sorted(by_year, reverse=True)),
        Listing(
            DISCLOSURE_PATH,
            "政府信息公开",
            disclosure,
            "依照《中华人民共和国政府信息公开条例》主动公开的政府信息。",
        ),
    ]


def listing_bases(item: Item) -> list[str]:
    """The listings an item appears in (or appeared in, for a retracted one)."""
    bases = [f"channel/{c}" for c in dict.fromkeys(c for c, _ in item.channels)]
    if item.on_site:
        bases += [f"category/{item.category}", f"archive/{item.published_at.year}"]
        if item.category in DISCLOSURE_CATEGORIES:
            bases.append(DISCLOSURE_PATH)
    return bases


def common_context(content: SiteContent) -> dict[str, Any]:
    """What every page's frame needs: the site's name and its navigation."""
    return {
        "site_name": content.site_name,
        "nav": [(c, href(f"category/{c}/index.html")) for c in content.nav_categories],
        "disclosure": href(f"{DISCLOSURE_PATH}/index.html"),
    }


def home_page(content: SiteContent, common: dict[str, Any]) -> Page:
    """index.html: the newest articles, every category and every channel."""
    return Page(
        "index.html",
        "site/home.html",
        lambda: {
            **common,
            "root": "",
            "title": content.site_name,
            "entries": [_entry(item) for item in content.articles[:PAGE_SIZE]],
            "categories": [(c, href(f"category/{c}/index.html")) for c in content.categories],
            "channels": [(c, href(f"channel/{c}/index.html")) for c in content.channels],
        },
    )


def archive_page(common: dict[str, Any], years: list[Listing]) -> Page:
    """archive/index.html: each year with its count of articles."""
    return Page(
        "archive/index.html",
        "site/archive.html",
        lambda: {
            **common,
            "root": "../",
            "title": "归档",
            "years": [
                (int(y.base.rsplit("/", 1)[1]), len(y.items), href(f"{y.base[8:]}/index.html"))
                for y in years
            ],
        },
    )


def article_page(item: Item, common: dict[str, Any], renderer: BodyRenderer) -> Page:
    """An item's own page."""
    return Page(
        item.path, "site/article.html", lambda: _article_context(item, common, renderer), item.id
    )


def withdrawn_page(withdrawal: Withdrawal, common: dict[str, Any]) -> Page:
    """The notice that replaces a retracted item's page."""
    return Page(
        withdrawal.path,
        "site/withdrawn.html",
        lambda: _withdrawn_context(withdrawal, common),
        withdrawal.id,
    )


def feed_page(content: SiteContent, renderer: BodyRenderer) -> Page:
    """feed.xml: the newest articles with their bodies."""
    return Page("feed.xml", "site/feed.xml", lambda: _feed_context(content, renderer))


def plan(content: SiteContent, renderer: BodyRenderer) -> list[Page]:
    """Every page of the site, in a fixed order."""
    common = common_context(content)
    every = listings(content)
    years = [lst for lst in every if lst.base.startswith("archive/")]
    pages = [home_page(content, common)]
    pages += [article_page(item, common, renderer) for item in content.articles]
    pages += [withdrawn_page(w, common) for w in content.withdrawals]
    for lst in every:
        if lst.base == DISCLOSURE_PATH:
            pages.append(archive_page(common, years))
        pages += [lst.page(n, common) for n in range(1, lst.pages + 1)]
    pages.append(feed_page(content, renderer))
    return pages


def page_count(content: SiteContent, every: list[Listing]) -> int:
    """How many pages plan() gives, without making them."""
    listed = sum(lst.pages for lst in every)
    return 3 + len(content.articles) + len(content.withdrawals) + listed


def _article_context(item: Item, common: dict[str, Any], renderer: BodyRenderer) -> dict[str, Any]:
    root = _root(item.path)
    return {
        **common,
        "root": root,
        "title": item.title,
        "item": item,
        "date": _date(item.published_at),
        # Sanitised by nh3 in BodyRenderer.html: the one place user text is marked safe.
        "body": Markup(renderer.html(item.body)),
        "category_href": href(f"category/{item.category}/index.html"),
        "attachments": [(a, href(a.path)) for a in item.attachments],
        "channels": [(name, url) for name, url in item.channels],
    }


def _withdrawn_context(withdrawal: Withdrawal, common: dict[str, Any]) -> dict[str, Any]:
    # A retraction for confidentiality keeps its title and reason off the public notice:
    # repeating them would publish again what was withdrawn. The ledger keeps both.
    secret = withdrawal.confidentiality
    return {
        **common,
        "root": _root(withdrawal.path),
        "title": "信息已撤回",
        "withdrawn_title": None if secret else withdrawal.title,
        "date": _date(withdrawal.retracted_at),
        "reason": "因保密审查需要撤回" if secret else withdrawal.reason,
    }


def _feed_context(content: SiteContent, renderer: BodyRenderer) -> dict[str, Any]:
    base = site_base_url()
    entries = [
        {
            "id": item.id,
            "url": article_url(item.id),
            "title": item.title,
            "updated": item.published_at.isoformat(timespec="seconds"),
            "unit": item.unit,
            "category": item.category,
            "content": renderer.html(item.body),  # escaped into the XML as type="html"
        }
        for item in content.articles[:FEED_SIZE]
    ]
    return {
        "site_name": content.site_name,
        "base": base,
        "entries": entries,
        "updated": entries[0]["updated"] if entries else EMPTY_FEED_UPDATED,
    }
