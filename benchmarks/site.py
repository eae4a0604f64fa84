"""Time rebuilding the public site against rendering the same pages with a bare Jinja2 loop.

Run: .venv/bin/python benchmarks/site.py [--items 10000] [--database-url URL] [--profile]

Targets (issue 18): the full build within 3x of a loop doing the same Markdown + sanitising
work (and the bare loop is printed too); one item's update within 0.3 s. Ends with one JSON line.

Seeds a fresh SQLite ledger (or the given empty, migrated database) with N published items,
then measures in one run: a full `build_site` (twice, checking the bytes are identical), the
updates after one retraction and one new publication (`render_publication`, then checked
against a full build; --profile prints where each update's time went), and the same pages
rendered by a plain
loop over the templates with every context prepared beforehand (no database, no Markdown, no
writes): the floor that Jinja2 itself sets.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import pstats
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from models import Status
from pubreview import db, migrate, publishing, rendering
from pubreview.accounts.org import load_org
from pubreview.publishing import catalog as catalog_mod
from pubreview.publishing.retraction import retract
from pubreview.review.submission import AttachmentFile, Draft, submit
from pubreview.settings import PROJECT_ROOT
from pubreview.site import build_site, render_publication
from pubreview.site.content import BodyRenderer, load
from pubreview.site.pages import plan

BODY = """为进一步做好机构编制信息公开工作，第{n}号通知如下：

1. 各单位要**高度重视**，按照《条例》要求及时公开。
2. 经科室负责人初审、分管领导审签后交中心发布。

| 项目 | 数量 |
| --- | --- |
| 公开信息 | {n} |

详见[政务公开专栏](https://www.example.gov.cn/xxgk/)。
"""
BATCH = 500


def seed(engine, items: int, first_id: int = 0, start: datetime | None = None) -> None:
    """N published items over three years, every category, some with 微博 and an attachment."""
    catalog = catalog_mod.load()
    start = start or datetime.fromisoformat("2022-01-01T09:00:00+08:00")
    end = first_id + items
    for first in range(first_id, end, BATCH):
        with db.transaction(engine) as session:
            for n in range(first, min(first + BATCH, end)):
                channels = ["网站", "微博"] if n % 3 == 0 else ["网站"]
                files = (
                    [AttachmentFile(f"附件{n}.txt", f"附件 {n}".encode())] if n % 10 == 0 else []
                )
                draft = Draft(
                    f"关于第{n}号事项的通知",
                    BODY.format(n=n),
                    catalog.categories[n % len(catalog.categories)],
                    channels,
                    "zonghe",
                    "zhang.wei",
                    files,
                )
                pub = submit(session, draft, catalog)
                pub.status, pub.stage = Status.PUBLISHED, None
                publishing.record_published(
                    session,
                    pub,
                    channel="网站",
                    url=publishing.article_url(pub.id),
                    actor="zhou.min",
                    published_at=start + timedelta(hours=2.6 * (n - first_id)),
                )
        print(f"  seeded {min(first + BATCH, end) - first_id}/{items}", end="\r", flush=True)
    print()


def digest(root: Path) -> str:
    """One hash over every file of a site, to compare two builds."""
    h = hashlib.sha256()
    for path in sorted(root.resolve().rglob("*")):
        if path.is_file():
            h.update(path.relative_to(root.resolve()).as_posix().encode() + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


def timed_update(engine, out: Path, publication_id: int, profile: bool) -> tuple:
    """One `render_publication` with its CPU time; its cProfile top 25 printed if asked."""
    profiler = cProfile.Profile() if profile else None
    with db.transaction(engine) as session:
        cpu = time.process_time()
        if profiler:
            profiler.enable()
        summary = render_publication(session, out, publication_id)
        if profiler:
            profiler.disable()
        cpu = time.process_time() - cpu
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue())
    return summary, cpu


def main() -> None:
    """Seed, then time the build, the update and the bare loop."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--database-url", help="an empty migrated database (default: SQLite)")
    parser.add_argument("--profile", action="store_true", help="print each update's cProfile")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="site-bench-"))
    url = args.database_url or f"sqlite:///{work / 'ledger.db'}"
    if not args.database_url:
        migrate.upgrade(url)
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        load_org(session, PROJECT_ROOT / "config" / "sample-org.yaml")
    t = time.perf_counter()
    seed(engine, args.items)
    print(f"seeded {args.items} items in {time.perf_counter() - t:.1f} s ({url})")

    out = work / "site"
    results = []
    for run in (1, 2):
        with db.transaction(engine) as session:
            summary = build_site(session, out)
        results.append((summary, digest(out)))
        print(
            f"build_site run {run}: {summary.seconds:.2f} s, "
            f"{summary.articles / summary.seconds:,.0f} items/s, {summary.pages} pages, "
            f"{summary.attachments} attachments"
        )
    print(f"identical bytes across runs: {results[0][1] == results[1][1]}")

    with db.transaction(engine) as session:
        retract(session, 1, "zhou.min", "基准测试撤回", False)
    update, update_cpu = timed_update(engine, out, 1, args.profile)
    print(
        f"render_publication after retracting the oldest item: {update.seconds:.2f} s, "
        f"{update_cpu:.2f} s CPU ({update.written} files rewritten, {update.removed} removed)"
    )
    # A new item is newest: it joins the newest page of each listing it is in.
    seed(engine, 1, first_id=args.items, start=datetime.now().astimezone())
    newest, newest_cpu = timed_update(engine, out, args.items + 1, args.profile)
    print(
        f"render_publication after publishing a new item: {newest.seconds:.2f} s, "
        f"{newest_cpu:.2f} s CPU ({newest.written} files rewritten)"
    )
    with db.transaction(engine) as session:
        build_site(session, work / "full")
    same = digest(out) == digest(work / "full")
    print(f"site after both updates identical to a full build: {same}")

    env = rendering.environment()
    with db.transaction(engine) as session:
        t = time.perf_counter()
        content = load(session, catalog_mod.load())
        t_load = time.perf_counter() - t
    t = time.perf_counter()
    pages = plan(content, BodyRenderer())
    prepared = [(env.get_template(p.template), p.context()) for p in pages]
    t_prepare = time.perf_counter() - t
    t = time.perf_counter()
    rendered = sum(len(template.render(**context)) for template, context in prepared)
    t_bare = time.perf_counter() - t
    articles = len(content.articles)
    print(
        f"bare Jinja2 loop over the same {len(pages)} pages: {t_bare:.2f} s, "
        f"{articles / t_bare:,.0f} items/s ({rendered / 1e6:.1f} MB of text)"
    )
    print(
        f"  beside it: database load {t_load:.2f} s, Markdown + nh3 + contexts "
        f"{t_prepare:.2f} s; the rest of a build is writing files and the swap"
    )
    build_s = min(r[0].seconds for r in results)
    same_work_s = t_prepare + t_bare
    print(
        f"build vs bare loop: {build_s / t_bare:.1f}x; vs a loop doing the same Markdown + "
        f"sanitising ({same_work_s:.2f} s): {build_s / same_work_s:.2f}x (target <= 3x)"
    )
    print(f"site files under {work}")
    line = {
        "benchmark": "site",
        "items": args.items,
        "pages": len(pages),
        "build_s": round(build_s, 2),
        "bare_loop_s": round(t_bare, 2),
        "same_work_loop_s": round(same_work_s, 2),
        "ratio": round(build_s / same_work_s, 2),
        "ratio_to_bare": round(build_s / t_bare, 1),
        "one_item_update_s": round(update.seconds, 2),
        "one_item_update_cpu_s": round(update_cpu, 2),
        "one_item_update_written": update.written,
        "new_item_update_s": round(newest.seconds, 2),
        "new_item_update_cpu_s": round(newest_cpu, 2),
        "new_item_update_written": newest.written,
        "identical": results[0][1] == results[1][1] and same,
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
