"""Building the public site from the ledger: in full into a new directory, or one item in place."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Attachment
from pubreview import rendering, settings
from pubreview.publishing import catalog as catalog_mod
from pubreview.site import files
from pubreview.site.content import BodyRenderer, SiteContent, load
from pubreview.site.ledger_pages import checked_bytes, ledger_files, refuse_tampered
from pubreview.site.pages import Page, plan


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


def render_publication(
    session: Session,
    out_dir: Path | None,
    publication_id: int,
    *,
    catalog: catalog_mod.Catalog | None = None,
    environment: Environment | None = None,
) -> BuildSummary:
    """Bring the live site up to date after one item changed: its page plus every listing.

    Other items' pages do not depend on this one, so they are left alone; listings and the
    feed are re-rendered and rewritten only where their bytes changed. The result equals a
    full build. With no site yet, this is a full build.
    """
    started = time.perf_counter()
    out_dir = out_dir or default_out_dir()
    env = environment or rendering.environment()
    content = load(session, catalog or catalog_mod.load())
    refuse_tampered(session, content, fully=[publication_id])
    pages = plan(content, BodyRenderer())
    with files.site_lock(out_dir):
        root = files.live_root(out_dir)
        if root is None:
            written = _full_build(session, out_dir, env, content, pages)
            return _summary(out_dir, "full", content, pages, written, 0, started)
        written = 0
        for page in pages:
            if page.publication_id not in (None, publication_id):
                continue
            text = env.get_template(page.template).render(**page.context())
            written += files.write_atomic(root, page.path, text.encode())
        for path, data in _attachment_bytes(session, content, publication_id):
            written += files.write_atomic(root, path, data)
        ledger = ledger_files(content, env)
        for path, data in ledger:
            files.write_atomic(root, path, data)
        attachments = {a.path for item in content.articles for a in item.attachments}
        keep = {p.path for p in pages} | attachments | {path for path, _ in ledger}
        removed = files.remove_stale(root, keep)
    return _summary(out_dir, "update", content, pages, written, removed, started)
