"""Building the public site from the ledger: in full into a new directory, or one item in place."""

from __future__ import annotations

import gc
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Attachment
from pubreview import rendering, settings
from pubreview.publishing import catalog as catalog_mod
from pubreview.site import files
from pubreview.site.content import (
    BodyRenderer,
    SiteContent,
    article_path,
    load,
    load_index,
    with_details,
)
from pubreview.site.ledger_pages import checked_bytes, ledger_files, refuse_tampered
from pubreview.site.pages import (
    FEED_SIZE,
    PAGE_SIZE,
    Listing,
    Page,
    archive_page,
    article_page,
    common_context,
    feed_page,
    home_page,
    listing_bases,
    listings,
    page_count,
    plan,
    withdrawn_page,
)


@dataclass(frozen=True)
class BuildSummary:
    """What a build or an update did."""

    out_dir: str
    mode: str  # "full" or "update"
    articles: int
    withdrawn: int
    pages: int  # pages in the site
    attachments: int  # attachment files in the site
    written: int  # files written by this run (an update skips unchanged ones)
    removed: int  # files an update deleted because the site no longer has them
    seconds: float

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return asdict(self)


def default_out_dir() -> Path:
    """Where the site goes unless told otherwise: <data dir>/site."""
    return settings.load().data_dir / "site"


def _attachment_bytes(
    session: Session, content: SiteContent, only: int | None
) -> Iterator[tuple[str, bytes]]:
    """(site path, bytes) of each attachment file, read from the database one at a time."""
    wanted = {
        a.id: a for item in content.articles if only in (None, item.id) for a in item.attachments
    }
    for att_id in sorted(wanted):
        data = session.scalar(select(Attachment.content).where(Attachment.id == att_id))
        # The ledger approved these bytes by hash: a row edited since is not published.
        yield wanted[att_id].path, checked_bytes(wanted[att_id].path, data, wanted[att_id].sha256)


def _summary(
    out_dir: Path,
    mode: str,
    content: SiteContent,
    pages: list[Page],
    written: int,
    removed: int,
    started: float,
) -> BuildSummary:
    return BuildSummary(
        str(out_dir),
        mode,
        len(content.articles),
        len(content.withdrawals),
        len(pages),
        sum(len(i.attachments) for i in content.articles),
        written,
        removed,
        round(time.perf_counter() - started, 3),
    )


def _full_build(
    session: Session, out_dir: Path, env: Environment, content: SiteContent, pages: list[Page]
) -> int:
    """Write every file into a new build directory and swap it in; the caller holds the lock."""
    build = files.new_build_dir(out_dir)
    written = 0
    try:
        for page in pages:
            text = env.get_template(page.template).render(**page.context())
            files.write_new(build, page.path, text.encode())
            written += 1
        for path, data in _attachment_bytes(session, content, None):
            files.write_new(build, path, data)
            written += 1
        for path, data in ledger_files(content, env):
            files.write_new(build, path, data)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    files.swap_in(out_dir, build)
    return written


def build_site(
    session: Session,
    out_dir: Path | None = None,
    *,
    catalog: catalog_mod.Catalog | None = None,
    environment: Environment | None = None,
) -> BuildSummary:
    """Render the whole site into a new directory and swap it in; byte-identical for equal data."""
    started = time.perf_counter()
    out_dir = out_dir or default_out_dir()
    content = load(session, catalog or catalog_mod.load())
    refuse_tampered(session, content)
    pages = plan(content, BodyRenderer())
    with files.site_lock(out_dir):
        written = _full_build(
            session, out_dir, environment or rendering.environment(), content, pages
        )
    return _summary(out_dir, "full", content, pages, written, 0, started)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off Python's cycle collector for a short run that makes many objects and no cycles.

    Loading the listing index makes some 100,000 objects; each time they cross the collector's
    thresholds it walks the whole heap, which was a third of an update's time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render_publication(
    session: Session,
    out_dir: Path | None,
    publication_id: int,
    *,
    catalog: catalog_mod.Catalog | None = None,
    environment: Environment | None = None,
) -> BuildSummary:
    """Bring the live site up to date after one item changed: only the files it changes.

    Those are its page (or withdrawal notice) and attachments, the home page, the archive
    index, the feed when the item is or was among its newest, and in each listing it is or
    was in, the index and the numbered pages from the item's place on while their places
    differ from the page on disk. Listings are paged from their oldest end (`pages.Listing`),
    so a new item, being newest, changes the newest page or two and a retraction its own
    page; other pages are neither rendered nor read. What is rendered is written only where
    its bytes changed. The result equals a full build. With no site yet, this is a full build.
    """
    started = time.perf_counter()
    out_dir = out_dir or default_out_dir()
    env = environment or rendering.environment()
    catalog = catalog or catalog_mod.load()
    with files.site_lock(out_dir):
        root = files.live_root(out_dir)
        if root is None:
            content = load(session, catalog)
            refuse_tampered(session, content, fully=[publication_id])
            pages = plan(content, BodyRenderer())
            written = _full_build(session, out_dir, env, content, pages)
            return _summary(out_dir, "full", content, pages, written, 0, started)
        with _collector_paused():
            return _update(session, out_dir, root, env, catalog, publication_id, started)


def _render(env: Environment, page: Page) -> bytes:
    return env.get_template(page.template).render(**page.context()).encode()


def _listing_changes(
    root: Path, env: Environment, lst: Listing, common: dict, keys: list[tuple]
) -> list[tuple[Page, bytes]]:
    """The files of one listing an item's change touches, rendered; the index always."""
    on_disk = files.listing_files(root, lst.base)
    numbered = {p for p in on_disk if p != lst.path(0)}
    if numbered != {lst.path(n) for n in range(1, len(numbered) + 1)}:
        first, last = 1, lst.pages  # not this site's paging: render the listing afresh
    else:
        first = min(lst.page_of(k) for k in keys)
        last = max(lst.page_of(k) for k in keys)
        if numbered and len(numbered) != lst.pages:
            # The newest page there was, or is now, gains or loses its link to a newer one.
            first = min(first, len(numbered), max(lst.pages, 1))
    index = lst.page(0, common)
    changed = [(index, _render(env, index))]
    for n in range(first, lst.pages + 1):
        page = lst.page(n, common)
        data = _render(env, page)
        # Past the item's places, a page whose places did not shift is as it was, and so is
        # every page after it: the places before them are as many as before.
        if n > last and files.read(root, page.path) == data:
            break
        changed.append((page, data))
    return changed


def _update(
    session: Session,
    out_dir: Path,
    root: Path,
    env: Environment,
    catalog: catalog_mod.Catalog,
    publication_id: int,
    started: float,
) -> BuildSummary:
    """render_publication on a live site; the caller holds the lock."""
    index = load_index(session, catalog)
    common = common_context(index)
    every = listings(index)
    by_base = {lst.base: lst for lst in every}
    item = next((i for i in index.items if i.id == publication_id), None)
    before = [i for i in (item, *index.retracted) if i is not None and i.id == publication_id]
    # Every sort key the item has had lies between these two.
    keys = [
        (when, i.id)
        for i in before
        for when in (i.earliest_at or i.published_at, i.latest_at or i.published_at)
    ]
    rendered: list[tuple[Page, bytes]] = []
    stale: list[str] = []
    for base in dict.fromkeys(b for i in before for b in listing_bases(i)):
        lst = by_base.get(base)
        if lst is None:  # an unconfigured category, channel or year left with nothing
            stale += files.listing_files(root, base)
            continue
        rendered += _listing_changes(root, env, lst, common, keys)
        expected = {lst.path(n) for n in lst.files}
        stale += sorted(set(files.listing_files(root, base)) - expected)
    articles = index.articles
    newest = articles[FEED_SIZE - 1].sort_key if len(articles) >= FEED_SIZE else None
    in_feed = newest is None or any(k >= newest for k in keys)
    # Whose text goes into what is written: only these are checked against the ledger.
    shown = {publication_id, *(i.id for i in articles[:PAGE_SIZE])}
    by_path = {lst.path(n): (lst, n) for lst in every for n in lst.files}
    for page, _ in rendered:
        lst, n = by_path[page.path]
        shown.update(i.id for i in lst.shown(n))
    if in_feed:
        shown.update(i.id for i in articles[:FEED_SIZE])
    content = with_details(
        session, index, {publication_id, *(i.id for i in articles[:FEED_SIZE] if in_feed)}
    )
    refuse_tampered(session, content, fully=[publication_id], among=shown)
    renderer = BodyRenderer()
    years = [lst for lst in every if lst.base.startswith("archive/")]
    pages = [home_page(content, common), archive_page(common, years)]
    own = next((i for i in content.articles if i.id == publication_id), None)
    notice = next((w for w in content.withdrawals if w.id == publication_id), None)
    if own is not None:
        pages.append(article_page(own, common, renderer))
    elif notice is not None:
        pages.append(withdrawn_page(notice, common))
    else:
        stale.append(article_path(publication_id))
    if in_feed:
        pages.append(feed_page(content, renderer))
    rendered += [(page, _render(env, page)) for page in pages]
    written = sum(files.write_atomic(root, page.path, data) for page, data in rendered)
    for path, data in _attachment_bytes(session, content, publication_id):
        written += files.write_atomic(root, path, data)
    kept = {a.path for a in own.attachments} if own is not None else set()
    stale += [p for p in files.listing_files(root, f"files/{publication_id}") if p not in kept]
    for path, data in ledger_files(content, env):
        files.write_atomic(root, path, data)
    removed = files.remove(root, stale)
    return BuildSummary(
        str(out_dir),
        "update",
        len(articles),
        len(content.withdrawals),
        page_count(content, every),
        sum(len(i.attachments) for i in articles),
        written,
        removed,
        round(time.perf_counter() - started, 3),
    )
