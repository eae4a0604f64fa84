"""N publications suspended at once, then decided in bulk, on the `pubreview` work pool.

For each setup — SQLite or PostgreSQL (ledger and Prefect's server), one or two
`prefect worker` processes — it submits N items, waits until every review run is suspended
on 初审, prints how many OS processes the stack holds and their memory while the N items wait
(no process per waiting item), then approves every stage of every item as fast as runs
suspend and prints the throughput. The baseline is the same submit + 3 decisions as bare
ledger writes (benchmarks/chain.py). The items are driven from a process of its own
(benchmarks/pool_driver.py); the last line is the figures as JSON, with two workers' speed-up
over one on each backend run both ways.

    .venv/bin/python benchmarks/scale.py [--n 200] [--setups sqlite:1,postgresql:2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import pool_driver  # noqa: E402
from benchmarks.chain import baseline, fresh_db  # noqa: E402
from benchmarks.common import pct  # noqa: E402
from tests.support import work_pool  # noqa: E402

SETUPS = "sqlite:1,sqlite:2,postgresql:1,postgresql:2"


@dataclass(frozen=True)
class Figures:
    """What one setup measured."""

    setup: str
    suspend_s: float
    processes: int
    rss_mb: float
    decide_s: float
    steps: int
    decide_p50: float
    decide_p95: float


def databases(backend: str, tmp: Path) -> tuple[str, str | None, list[str]]:
    """(ledger URL, Prefect server URL or None for its SQLite default, databases to drop)."""
    if backend == "sqlite":
        return fresh_db(tmp / "ledger.db"), None, []
    import psycopg

    from tests.conftest import _prepare, create_pg_database

    ledger, server = create_pg_database(), create_pg_database()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    _prepare(ledger)
    return ledger, "postgresql+asyncpg://" + server.split("://", 1)[1], [ledger, server]


def run(setup: str, n: int, tmp: Path) -> Figures:
    """Start one setup, suspend n items, decide them all, stop it."""
    from tests.conftest import drop_pg_database

    backend, workers = setup.split(":")
    home = tmp / setup.replace(":", "-")
    home.mkdir()
    ledger_url, server_url, to_drop = databases(backend, home)
    stack = work_pool.PoolStack(home, ledger_url, server_db_url=server_url, workers=int(workers))
    print(f"[{setup}] starting Prefect server, work pool and {workers} worker(s) …", flush=True)
    try:
        stack.start()
        print(f"[{setup}] driving {n} items (progress in {stack.logs / 'driver.log'})", flush=True)
        result = pool_driver.run(stack, n, "approve", timeout_s=6 * 3600)
        print(
            f"[{setup}] {n} items waiting on 初审 after {result['suspend_s']:.0f} s: "
            f"{result['processes']} processes (server + {workers} worker(s) + children), "
            f"{result['rss_mb']:.0f} MB RSS; all decided in {result['decide_s']:.0f} s",
            flush=True,
        )
        if result["other_notes"]:
            print(f"[{setup}] resumes that did not land (reconcile caught up):", flush=True)
            print("\n".join(f"    {note}" for note in result["other_notes"]), flush=True)
        verified = stack.cli_json("ledger", "verify")
        assert verified["ok"], verified
        return Figures(
            setup,
            result["suspend_s"],
            result["processes"],
            result["rss_mb"],
            result["decide_s"],
            result["actions"],
            statistics.median(result["act_s"]),
            pct(result["act_s"], 0.95),
        )
    finally:
        stack.stop()
        for url in to_drop:
            drop_pg_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="publications (default 200)")
    parser.add_argument(
        "--setups", default=SETUPS, help=f"backend:workers, comma-separated (default {SETUPS})"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pubreview-scale-"))
    base_s = baseline(args.n, tmp)
    results = [run(setup, args.n, tmp) for setup in args.setups.split(",")]

    print(f"\n{args.n} publications, each 初审 → 审签 → 中心发布 approved, on the work pool")
    print(
        f"{'setup':<14} {'to suspend':>10} {'procs':>6} {'RSS MB':>7} {'decide all':>10} "
        f"{'pubs/min':>9} {'steps/min':>9} {'act p50':>8} {'act p95':>8}"
    )
    for f in results:
        print(
            f"{f.setup:<14} {f.suspend_s:>9.0f}s {f.processes:>6} {f.rss_mb:>7.0f} "
            f"{f.decide_s:>9.0f}s {args.n / f.decide_s * 60:>9.1f} "
            f"{f.steps / f.decide_s * 60:>9.1f} "
            f"{f.decide_p50:>7.2f}s {f.decide_p95:>7.2f}s"
        )
    print(
        f"{'bare ledger':<14} {'':>10} {'':>6} {'':>7} {base_s:>9.1f}s "
        f"{args.n / base_s * 60:>9.1f} {3 * args.n / base_s * 60:>9.1f}   (baseline: no Prefect)"
    )
    print(
        "to suspend: submit N + every run started and suspended on 初审; decide all: from the "
        "first decision to the last item published (3 decisions each, a process start per "
        "resume); act: one decision + its resume, as `pubreview decide` does it"
    )
    per_min = {f.setup: round(args.n / f.decide_s * 60, 2) for f in results}
    # Two workers against one on the same backend (the target: ≥ 1.7× on PostgreSQL).
    speedup = {
        backend: round(per_min[f"{backend}:2"] / per_min[f"{backend}:1"], 2)
        for backend in ("sqlite", "postgresql")
        if f"{backend}:1" in per_min and f"{backend}:2" in per_min
    }
    for backend, ratio in speedup.items():
        print(f"{backend}: two workers decide {ratio:.2f}× as fast as one")
    line = {
        "benchmark": "scale",
        "n": args.n,
        "per_min": per_min,
        "ratio": {f.setup: round(f.decide_s / base_s, 1) for f in results},
        "two_workers_speedup": speedup,
        "baseline_per_min": round(args.n / base_s * 60, 2),
        "act_p95_s": {f.setup: round(f.decide_p95, 2) for f in results},
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
