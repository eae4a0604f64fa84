"""Time the full `ledger verify` (chain, content, cache, checkpoints) against the chain walk alone.

Run: .venv/bin/python benchmarks/ledger_verify.py [--items 300] [--attachment-kb 64]

Seeds a fresh SQLite ledger with N published items (submitted, three decisions, published,
each with one attachment), then measures in one run: the chain walk that `verify` was before
(the baseline), the content recomputation (every revision's fingerprint and attachment
hash), the cache replay, the full `verify_all`, a checkpoint (incremental after the first),
and the site build with its refusal check against the check alone. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pubreview import db, migrate  # noqa: E402
from pubreview.accounts.org import load_org  # noqa: E402
from pubreview.ledger import cache, chain, checkpoints, content  # noqa: E402
from pubreview.ledger.verification import verify_all  # noqa: E402
from pubreview.publishing import catalog as catalog_mod  # noqa: E402
from pubreview.review.decisions import DecisionRequest, decide  # noqa: E402
from pubreview.review.submission import AttachmentFile, Draft, submit  # noqa: E402
from pubreview.review.workflow import Outcome  # noqa: E402
from pubreview.site import build_site  # noqa: E402
from pubreview.site.content import load  # noqa: E402
from pubreview.site.ledger_pages import refuse_tampered  # noqa: E402

SAMPLE_ORG = ROOT / "config" / "sample-org.yaml"
DECIDERS = (("li.na", True), ("zeng.xiang", False), ("zhou.min", False))


def seed(url: str, items: int, attachment_kb: int) -> None:
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
    blob = os.urandom(attachment_kb * 1024)
    for i in range(items):
        with db.transaction(engine) as session:
            pub = submit(
                session,
                Draft(
                    f"基准信息 {i}",
                    f"第 {i} 条的正文。" * 20,
                    "工作动态",
                    ["网站"],
                    "zonghe",
                    "zhang.wei",
                    [AttachmentFile(f"附件{i}.bin", blob + i.to_bytes(4, "big"))],
                ),
            ).id
        for user, attest in DECIDERS:
            with db.transaction(engine) as session:
                decide(session, DecisionRequest(pub, user, Outcome.APPROVE, attest=attest))
    engine.dispose()


def timed(engine, fn) -> tuple[float, object]:
    start = time.perf_counter()
    with db.transaction(engine) as session:
        value = fn(session)
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--attachment-kb", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PUBREVIEW_DATA_DIR"] = tmp
        url = f"sqlite:///{Path(tmp) / 'ledger.db'}"
        migrate.upgrade(url)
        started = time.perf_counter()
        seed(url, args.items, args.attachment_kb)
        print(f"seeded {args.items} items in {time.perf_counter() - started:.1f} s", flush=True)
        engine = db.make_engine(url)
        chain_s, walked = timed(engine, chain.verify)
        content_s, found = timed(engine, content.check)
        assert found == [], found
        cache_s, stale = timed(engine, cache.check)
        assert stale == [], stale
        first_cp_s, _ = timed(engine, lambda s: checkpoints.make(s, create_key=True))
        next_cp_s, _ = timed(engine, checkpoints.make)
        full_s, result = timed(engine, verify_all)
        assert result.ok, result.lines()
        catalog = catalog_mod.load()
        refuse_s, _ = timed(engine, lambda s: refuse_tampered(s, load(s, catalog)))
        site_s, _ = timed(engine, lambda s: build_site(s, Path(tmp) / "site"))
        engine.dispose()
    figures = {
        "benchmark": "ledger_verify",
        "items": args.items,
        "entries": walked.entries,
        "attachment_kb": args.attachment_kb,
        "baseline_chain_verify_s": round(chain_s, 3),
        "content_check_s": round(content_s, 3),
        "cache_check_s": round(cache_s, 3),
        "verify_all_s": round(full_s, 3),
        "checkpoint_first_s": round(first_cp_s, 3),
        "checkpoint_incremental_s": round(next_cp_s, 3),
        "site_refusal_check_s": round(refuse_s, 3),
        "site_build_s": round(site_s, 3),
    }
    print(
        f"chain walk alone (verify before): {chain_s:.3f} s for {walked.entries} entries\n"
        f"content recomputation: {content_s:.3f} s; cache replay: {cache_s:.3f} s\n"
        f"full verify (chain+content+cache+checkpoints): {full_s:.3f} s "
        f"({full_s / chain_s:.1f}x the chain walk)\n"
        f"checkpoint: first {first_cp_s:.3f} s, incremental {next_cp_s:.3f} s\n"
        f"site build {site_s:.3f} s, of which the refusal check about {refuse_s:.3f} s"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
