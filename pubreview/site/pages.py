"""The site's pages: which files exist, and the template and context each is rendered from.

The site's URLs, which stay valid as items come and go:

- `index.html` (the newest articles), `feed.xml` (the newest 50), `archive/index.html` (the years);
- `articles/ID.html`: an article, or its withdrawal notice once retracted; `files/ID/NAME`;
- listings, newest first: `category/NAME/`, `channel/NAME/`, `archive/YEAR/` and `xxgk/`, each
  an `index.html` (its newest items) and numbered pages counted from its oldest item:
  `page-1.html` holds the 20 oldest, `page-2.html` the next 20, and so on. A new item joins the
  newest page, so an older page keeps its items and its URL keeps meaning the same thing; a
  retracted item leaves a gap on its own page rather than moving every later item up. Only an
  item entered later with an earlier date moves the pages after its place on by one.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from operator import attrgetter
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
    """A listing, shown newest first and paged from its oldest end, so its pages do not shift.

    Its places are every item it lists or listed, oldest first: a retracted item keeps its
    place without being shown, so a withdrawal changes its own page only. Page n
    (base/page-n.html) holds places (n-1)*PAGE_SIZE to n*PAGE_SIZE, so a new item, which is
    newest, changes the newest page (or opens the next) and never renumbers an older one: a
    page's URL keeps what it showed. base/index.html shows the newest page, joined by the one
    before it while the newest holds fewer than PAGE_SIZE places.
    """

    base: str
    title: str
    places: list[Item]  # oldest first, retracted items too
    hidden: frozenset[int] = frozenset()  # the places' items that are retracted: not shown
    intro: str | None = None

    @cached_property
    def items(self) -> list[Item]:
        """The items it shows, newest first."""
        return [item for item in reversed(self.places) if item.id not in self.hidden]

    @property
    def pages(self) -> int:
        """How many numbered pages it has (none when it never had an item)."""
        return -(-len(self.places) // PAGE_SIZE)

    @property
    def files(self) -> range:
        """Its files' numbers: 0 for index.html, then each numbered page."""
        return range(self.pages + 1)

    def path(self, n: int) -> str:
        """The file of page n (0: the index)."""
        return f"{self.base}/index.html" if n == 0 else f"{self.base}/page-{n}.html"

    def chunk(self, n: int) -> list[Item]:
        """The places of numbered page n, oldest first."""
        return self.places[(n - 1) * PAGE_SIZE : n * PAGE_SIZE]

    @property
    def on_index(self) -> range:
        """The numbered pages the index shows."""
        last = self.pages
        full = len(self.places) % PAGE_SIZE == 0
        return range(max(1, last if full else last - 1), last + 1)

    def shown(self, n: int) -> list[Item]:
        """The items file n shows, newest first."""
        chunks = self.on_index if n == 0 else (n,)
        places = [item for k in chunks for item in self.chunk(k)]
        return [item for item in reversed(places) if item.id not in self.hidden]

    def page_of(self, key: tuple[datetime, int]) -> int:
        """The numbered page where an item with this sort key has, or would have, its place."""
        place = bisect_left(self.places, key, key=attrgetter("sort_key"))
        return min(place // PAGE_SIZE + 1, max(self.pages, 1))

    def page(self, n: int, common: dict[str, Any]) -> Page:
        """File n (0: the index) as a Page of the plan."""
        path, pages, shown = self.path(n), self.pages, self.shown(n)
        older = (min(self.on_index) if n == 0 else n) - 1 if pages else 0
        newer = n + 1 if 0 < n < pages else None

        def context() -> dict[str, Any]:
            return {
                **common,
                "root": _root(path),
                "title": self.title,
                "intro": self.intro,
                "entries": [_entry(item) for item in shown],
                "numbered": n > 0,
                "span": f"{_date(shown[-1].published_at)} 至 {_date(shown[0].published_at)}"
                if n and shown
                else None,
                # Which places the page holds, hidden ones too: an update tells by this whether
                # an older page's places shifted, without the page naming a retracted item.
                "places": _digest(self.chunk(n)) if n else None,
                "prev": href(self.path(newer).rsplit("/", 1)[1]) if newer else None,
                "next": href(self.path(older).rsplit("/", 1)[1]) if older > 0 else None,
            }

        return Page(path, "site/listing.html", context)


def _digest(places: list[Item]) -> str:
    """A short digest of which items hold these places."""
    ids = ",".join(str(item.id) for item in places)
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


def listings(content: SiteContent) -> list[Listing]:
    """Every listing of the site, in plan order: categories, channels, years, 政府信息公开."""
    by_category: dict[str, list[Item]] = {c: [] for c in content.categories}
    by_channel: dict[str, list[Item]] = {c: [] for c in content.channels}
    by_year: dict[int, list[Item]] = {}
    disclosure: list[Item] = []
    # Oldest first: the listed items, and the retracted ones in the places they had.
    places = sorted((*content.items, *content.retracted), key=attrgetter("sort_key"))
    for item in places:
        for channel in dict.fromkeys(c for c, _ in item.channels):
            if channel in by_channel:
                by_channel[channel].append(item)
        if item.on_site:
            if item.category in by_category:
                by_category[item.category].append(item)
            by_year.setdefault(item.published_at.year, []).append(item)
            if item.category in DISCLOSURE_CATEGORIES:
                disclosure.append(item)
    hidden = frozenset(item.id for item in content.retracted)
    years = sorted(
        (y for y, items in by_year.items() if any(i.id not in hidden for i in items)),
        reverse=True,
    )
    return [
        *(Listing(f"category/{c}", c, items, hidden) for c, items in by_category.items()),
        *(Listing(f"channel/{c}", f"{c}发布", items, hidden) for c, items in by_channel.items()),
        *(Listing(f"archive/{y}", f"{y}年", by_year[y], hidden) for y in years),
        Listing(
            DISCLOSURE_PATH,
            "政府信息公开",
            disclosure,
            hidden,
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
        pages += [lst.page(n, common) for n in lst.files]
    pages.append(feed_page(content, renderer))
    return pages


def page_count(content: SiteContent, every: list[Listing]) -> int:
    """How many pages plan() gives, without making them."""
    listed = sum(len(lst.files) for lst in every)
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
