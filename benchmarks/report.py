"""Time the annual report's roll-up against one hand-written GROUP BY, and `report audit`.

Run: .venv/bin/python benchmarks/report.py [--entries 1000000] [--year 2018] [--no-postgres]

Targets: year_figures within 2x of the hand-written GROUP BY (one pass, not nine), and
`report audit` of a 30-page published report under 1 s (baseline: parsing the same page
with lxml and taking its text, which any audit of it must do). Ends with one JSON line.

Builds a hash-chained ledger of N entries (submissions, three decisions, one or two channels
published, some adoptions and retractions, over 2017–2019) in a fresh SQLite file and, when
reachable, a fresh PostgreSQL database (PUBREVIEW_TEST_PG_URL's server). The entries are
bulk-inserted with their hashes computed by pubreview.ledger.chain.entry_hash (the triggers only
refuse UPDATE and DELETE), and their item_summaries rows built from them as migration 0011
does. Then, in the same run and on the same tables, it times `year_figures` (one GROUP BY over
the year's item rows, and a count of the year's retractions), `management_annex`, one
hand-written `SELECT channel, count(*) … GROUP BY channel` over the ledger, and the
item_summaries check that `ledger verify` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import Engine, insert, text

from models import GENESIS_HASH, LedgerEntry, LedgerKind, Publication
from pubreview import db, migrate, publishing
from pubreview.accounts.org import load_org
from pubreview.ledger import entry_hash, summary
from pubreview.report import audit, rollup
from pubreview.settings import PROJECT_ROOT

PG_ADMIN_URL = os.environ.get("PUBREVIEW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
CATEGORIES = ["工作动态", "政务公开", "业务工作", "专题"]
BATCH = 20_000
HAND_WRITTEN = {
    "sqlite": """SELECT json_extract(payload, '$.channel') AS channel, count(*)
                 FROM ledger_entries
                 WHERE kind = 'published'
                   AND substr(json_extract(payload, '$.published_at'), 1, 4) = :year
                 GROUP BY channel ORDER BY channel""",
    "postgresql": """SELECT payload->>'channel' AS channel, count(*)
                     FROM ledger_entries
                     WHERE kind = 'published' AND substr(payload->>'published_at', 1, 4) = :year
                     GROUP BY channel ORDER BY channel""",
}


def item_entries(pub_id: int, start: datetime) -> Iterator[dict]:
    """One item's life: submitted, three approvals, one or two channels, maybe more."""
    at = start
    yield {
        "kind": LedgerKind.SUBMITTED,
        "revision": 1,
        "actor": "zhang.wei",
        "created_at": at,
        "payload": {
            "fingerprint": f"{pub_id:064x}",
            "title": f"信息{pub_id}",
            "category": CATEGORIES[pub_id % 4],
            "unit": "zonghe",
            "channels": ["网站"],
        },
    }
    for stage, actor, hours in (
        ("prereview", "li.na", 3),
        ("signoff", "zeng.xiang", 20),
        ("publication", "zhou.min", 2 + pub_id % 7),
    ):
        at += timedelta(hours=hours)
        yield {
            "kind": LedgerKind.DECIDED,
            "revision": 1,
            "stage": stage,
            "actor": actor,
            "outcome": "approve",
            "created_at": at,
            "payload": {"via": "cli"},
        }
    local = at.astimezone(publishing.OFFICE_TIMEZONE).isoformat(timespec="seconds")
    for channel in ["网站", "微博"][: 1 + (pub_id % 3 == 0)]:
        yield {
            "kind": LedgerKind.PUBLISHED,
            "revision": 1,
            "stage": "publication",
            "actor": "zhou.min",
            "outcome": "published",
            "created_at": at,
            "dedupe_key": f"published:{pub_id}:{channel}",
            "payload": {
                "channel": channel,
                "url": f"https://x.gov.cn/{pub_id}/{channel}",
                "published_at": local,
                "fingerprint": f"{pub_id:064x}",
                "imported": False,
            },
        }
    if pub_id % 10 == 0:
        yield {
            "kind": LedgerKind.ADOPTED,
            "revision": 1,
            "actor": "system",
            "created_at": at,
            "payload": {
                "level": "central" if pub_id % 30 == 0 else "provincial",
                "outlet": "人民网",
                "url": None,
            },
        }
    if pub_id % 50 == 0:
        yield {
            "kind": LedgerKind.RETRACTED,
            "revision": 1,
            "actor": "zhou.min",
            "created_at": at + timedelta(days=3),
            "payload": {"reason": "更正", "confidentiality": pub_id % 500 == 0},
        }


def seed(engine: Engine, entries: int) -> int:
    """Insert publications and `entries` chained ledger entries; returns the item count."""
    with db.transaction(engine) as session:
        load_org(session, PROJECT_ROOT / "config" / "sample-org.yaml")
        unit_id = session.execute(text("SELECT id FROM units WHERE code = 'zonghe'")).scalar()
        person_id = session.execute(
            text("SELECT id FROM people WHERE username = 'zhang.wei'")
        ).scalar()
    first = datetime(2017, 1, 1, tzinfo=UTC)
    span = (datetime(2020, 1, 1, tzinfo=UTC) - first) / (entries / 5.4)
    rows: list[dict] = []
    pubs: list[dict] = []
    prev, next_id, pub_id = GENESIS_HASH, 1, 0

    def flush() -> None:
        with engine.begin() as conn:
            if pubs:
                conn.execute(insert(Publication), pubs)
            if rows:
                conn.execute(insert(LedgerEntry), rows)
        rows.clear()
        pubs.clear()

    while next_id <= entries:
        pub_id += 1
        start = first + span * pub_id
        pubs.append(
            {
                "id": pub_id,
                "title": f"信息{pub_id}",
                "category": CATEGORIES[pub_id % 4],
                "channels": ["网站"],
                "unit_id": unit_id,
                "submitter_id": person_id,
                "status": "published",
                "stage": None,
                "current_revision": 1,
                "waiting_since": start,
                "created_at": start,
            }
        )
        for fields in item_entries(pub_id, start):
            if next_id > entries:
                break
            row = {
                "id": next_id,
                "publication_id": pub_id,
                "revision": None,
                "stage": None,
                "actor": None,
                "outcome": None,
                "comment": None,
                "flow_run_id": None,
                "dedupe_key": None,
                "prev_hash": prev,
                **fields,
            }
            row["kind"] = str(row["kind"])
            row["hash"] = prev = entry_hash(SimpleNamespace(**row))
            rows.append(row)
            next_id += 1
        if len(rows) >= BATCH:
            flush()
    flush()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return pub_id


def best_of(runs: int, fn: Callable[[], object]) -> tuple[float, object]:
    """The fastest of `runs` calls, in seconds, with the last result."""
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return min(times), result


def measure(name: str, url: str, entries: int, year: int) -> dict:
    """Seed one database and print the roll-up's figures and timings against the plain query."""
    migrate.upgrade(url)
    engine = db.make_engine(url)
    began = time.perf_counter()
    items = seed(engine, entries)
    seeded_s = time.perf_counter() - began
    # The entries went in bulk, past ledger.append: build their item rows as migration 0011
    # does for an existing ledger (append keeps them from then on).
    began = time.perf_counter()
    with db.transaction(engine) as session:
        rows = summary.rebuild(session)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    rebuild_s = time.perf_counter() - began
    print(
        f"\n== {name}: {entries:,} ledger entries, {items:,} items "
        f"(seeded in {seeded_s:.1f} s; {rows:,} item_summaries rows built in {rebuild_s:.1f} s)"
    )

    def figures() -> rollup.YearFigures:
        with db.transaction(engine) as session:
            return rollup.year_figures(session, year)

    def annex() -> rollup.ManagementAnnex:
        with db.transaction(engine) as session:
            return rollup.management_annex(session, year)

    def hand_written() -> dict[str, int]:
        with engine.connect() as conn:
            return dict(
                conn.execute(text(HAND_WRITTEN[engine.dialect.name]), {"year": str(year)}).all()
            )

    def check() -> list:
        with db.transaction(engine) as session:
            return summary.check(session)

    plain_s, plain = best_of(3, hand_written)
    figures_s, f = best_of(3, figures)
    annex_s, a = best_of(3, annex)
    check_s, problems = best_of(1, check)
    print(f"year {year}: {f.total:,} items; by category {f.by_category}")
    print(
        f"  by channel {f.by_channel} (hand-written GROUP BY: {plain}); "
        f"multi-channel {f.multi_channel:,}; full text {f.full_text_rate:.1f}%"
    )
    print(
        f"  adopted central {f.adopted_central:,} provincial {f.adopted_provincial:,}; "
        f"retractions {f.retractions:,}, leaks {f.leak_incidents:,}"
    )
    print(
        f"  annex: reviewed {a.reviewed:,}, returned {a.returned:,}; "
        + ", ".join(
            f"{s.stage} n={s.decisions:,} median {s.median_hours:.1f} h p90 {s.p90_hours:.1f} h"
            for s in a.stages
            if s.decisions
        )
    )
    print(f"  hand-written GROUP BY (channel)  {plain_s * 1000:9.1f} ms")
    print(
        f"  year_figures (item rows)         {figures_s * 1000:9.1f} ms  "
        f"({figures_s / plain_s:.2f}x the single GROUP BY)"
    )
    print(f"  management_annex                 {annex_s * 1000:9.1f} ms")
    print(
        f"  item_summaries check (verify)    {check_s * 1000:9.1f} ms  "
        f"({len(problems)} rows differ from the ledger)"
    )
    engine.dispose()
    return {
        "entries": entries,
        "hand_written_ms": round(plain_s * 1000, 1),
        "year_figures_ms": round(figures_s * 1000, 1),
        "ratio": round(figures_s / plain_s, 2),
        "management_annex_ms": round(annex_s * 1000, 1),
        "summary_rebuild_s": round(rebuild_s, 1),
        "summary_check_ms": round(check_s * 1000, 1),
        "summary_problems": len(problems),
    }


# One page of a report's prose, with the figures offices quote (about 800 characters).
PAGE = (
    "全年新收政府信息公开申请12件，上年结转2件。本年度办结13件，其中予以公开6件、部分公开2件、"
    "不予公开1件、无法提供3件、不予处理1件，予以公开及部分公开的占办结总数的61.5%；"
    "结转下年度继续办理1件。全年因政府信息公开被申请行政复议2件，其中结果维持1件，尚未审结1件。"
    + "我们坚持以公开为常态、不公开为例外，围绕中心工作推进决策、执行、管理、服务、结果公开，"
    * 12
)


def audit_timing(tmp: Path, pages: int = 30) -> dict:
    """`report audit` of a site-shaped page with `pages` pages of prose, against lxml alone."""
    from lxml import html as lxml_html

    source = (PROJECT_ROOT / "tests" / "fixtures" / "report" / "2021-consistent.html").read_bytes()
    prose = "".join(f"<p>{PAGE}</p>\n" for _ in range(pages)).encode("gb18030")
    big = tmp / "report-30-pages.html"
    big.write_bytes(source.replace(b'<div class="print">', prose + b'<div class="print">'))

    def parse_only() -> int:
        return len(lxml_html.document_fromstring(big.read_bytes()).text_content())

    base_s, chars = best_of(3, parse_only)
    audit_s, result = best_of(3, lambda: audit.audit_file(big))
    print(
        f"\n== report audit: {big.stat().st_size:,} bytes, {chars:,} characters, "
        f"{len(result.claims.results):,} figures read, {result.claims.count('contradicted')} "
        "contradicted"
    )
    print(f"  lxml parse + text (baseline)     {base_s * 1000:9.1f} ms")
    print(
        f"  report audit                     {audit_s * 1000:9.1f} ms  "
        f"({audit_s / base_s:.1f}x the parse; target < 1000 ms)"
    )
    return {
        "pages": pages,
        "characters": chars,
        "claims": len(result.claims.results),
        "baseline_parse_ms": round(base_s * 1000, 1),
        "audit_ms": round(audit_s * 1000, 1),
    }


def postgres_url() -> tuple[str, Callable[[], None]] | None:
    """A fresh PostgreSQL database and its dropper, or None when the server is unreachable."""
    import psycopg

    admin = PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql")
    name = f"pubreview_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable ({exc}); skipping it")
        return None

    def drop() -> None:
        db.engine_for.cache_clear()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin.rsplit("/", 1)[0] + f"/{name}", drop


def main() -> None:
    """Parse arguments and run the measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2018)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    summary: dict = {"benchmark": "report"}
    with tempfile.TemporaryDirectory() as tmp:
        summary["audit"] = audit_timing(Path(tmp))
        summary["sqlite"] = measure(
            "SQLite", f"sqlite:///{Path(tmp) / 'ledger.db'}", args.entries, args.year
        )
    if not args.no_postgres and (pg := postgres_url()) is not None:
        url, drop = pg
        try:
            summary["postgresql"] = measure("PostgreSQL", url, args.entries, args.year)
        finally:
            drop()
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
