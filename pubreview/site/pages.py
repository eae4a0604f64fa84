"""The site's pages: which files exist, and the template and context each is rendered from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def _listing_pages(
    base: str, title: str, items: list[Item], common: dict[str, Any], intro: str | None = None
) -> Iterator[Page]:
    """A paged listing: base/index.html, base/page-2.html, …; one (empty) page when no items."""
    pages = max(1, -(-len(items) // PAGE_SIZE))

    def page_path(n: int) -> str:
        return f"{base}/index.html" if n == 1 else f"{base}/page-{n}.html"

    for n in range(1, pages + 1):
        path = page_path(n)
        chunk = items[(n - 1) * PAGE_SIZE : n * PAGE_SIZE]

        def context(path: str = path, n: int = n, chunk: list[Item] = chunk) -> dict[str, Any]:
            return {
                **common,
                "root": _root(path),
                "title": title,
                "intro": intro,
                "entries": [_entry(item) for item in chunk],
                "page": n,
                "pages": pages,
                "prev": href(page_path(n - 1).rsplit("/", 1)[1]) if n > 1 else None,
                "next": href(page_path(n + 1).rsplit("/", 1)[1]) if n < pages else None,
            }

        yield Page(path, "site/listing.html", context)


def common_context(content: SiteContent) -> dict[str, Any]:
    """What every page's frame needs: the site's name and its navigation."""
    return {
        "site_name": content.site_name,
        "nav": [(c, href(f"category/{c}/index.html")) for c in content.nav_categories],
        "disclosure": href(f"{DISCLOSURE_PATH}/index.html"),
    }


def plan(content: SiteContent, renderer: BodyRenderer) -> list[Page]:
    """Every page of the site, in a fixed order."""
    common = common_context(content)
    articles = list(content.articles)
    pages: list[Page] = [
        Page(
            "index.html",
            "site/home.html",
            lambda: {
                **common,
                "root": "",
                "title": content.site_name,
                "entries": [_entry(item) for item in articles[:PAGE_SIZE]],
                "categories": [(c, href(f"category/{c}/index.html")) for c in content.categories],
                "channels": [(c, href(f"channel/{c}/index.html")) for c in content.channels],
            },
        )
    ]
    for item in articles:
        pages.append(
            Page(
                item.path,
                "site/article.html",
                lambda item=item: _article_context(item, common, renderer),
                item.id,
            )
        )
    for withdrawal in content.withdrawals:
        pages.append(
            Page(
                withdrawal.path,
                "site/withdrawn.html",
                lambda w=withdrawal: _withdrawn_context(w, common),
                withdrawal.id,
            )
        )
    for category in content.categories:
        pages += _listing_pages(
            f"category/{category}",
            category,
            [i for i in articles if i.category == category],
            common,
        )
    for channel in content.channels:
        pages += _listing_pages(
            f"channel/{channel}",
            f"{channel}发布",
            [i for i in content.items if any(c == channel for c, _ in i.channels)],
            common,
        )
    years = sorted({item.published_at.year for item in articles}, reverse=True)
    for year in years:
        pages += _listing_pages(
            f"archive/{year}",
            f"{year}年",
            [i for i in articles if i.published_at.year == year],
            common,
        )
    pages.append(
        Page(
            "archive/index.html",
            "site/archive.html",
            lambda: {
                **common,
                "root": "../",
                "title": "归档",
                "years": [
                    (
                        year,
                        sum(1 for i in articles if i.published_at.year == year),
                        href(f"{year}/index.html"),
                    )
                    for year in years
                ],
            },
        )
    )
    pages += _listing_pages(
        DISCLOSURE_PATH,
        "政府信息公开",
        [i for i in articles if i.category in DISCLOSURE_CATEGORIES],
        common,
        intro="依照《中华人民共和国政府信息公开条例》主动公开的政府信息。",
    )
    pages.append(Page("feed.xml", "site/feed.xml", lambda: _feed_context(content, renderer)))
    return pages


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
