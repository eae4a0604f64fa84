"""What the chain benchmarks share: the sample office and its three deciders, a fresh ledger,
the bare-ledger baseline (the same items and decisions without Prefect or the web), quantiles.

Imported by `chain.py`, `faults.py` and `scale.py` once they have put the project on sys.path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from pubreview import db, migrate
from pubreview.accounts.org import load_org
from pubreview.review.decisions import DecisionRequest, decide
from pubreview.review.submission import Draft, submit
from pubreview.review.workflow import Outcome

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_ORG = ROOT / "config" / "sample-org.yaml"
DECIDERS = {"prereview": "li.na", "signoff": "zeng.xiang", "publication": "zhou.min"}


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def fresh_ledger(tmp: Path, name: str, backend: str = "sqlite") -> str:
    """A migrated ledger with the sample organisation (a SQLite file in tmp, or a new
    PostgreSQL database): its URL."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'{name}.db'}"
    else:
        from tests.conftest import create_pg_database

        url = create_pg_database()
    return prepared(url)


def prepared(url: str) -> str:
    """Migrate the ledger at url and load the sample organisation into it: its URL."""
    migrate.upgrade(url)
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
    engine.dispose()
    return url


def bare_chain(url: str, n: int, draft: Callable[[int], Draft]) -> float:
    """Submit n items and take each through 初审 → 审签 → 中心发布 as bare ledger writes, one
    transaction per step as the real commands do; the seconds it took."""
    engine = db.make_engine(url)
    start = time.perf_counter()
    for i in range(n):
        with db.transaction(engine) as session:
            pub_id = submit(session, draft(i)).id
        for stage, user in DECIDERS.items():
            with db.transaction(engine) as session:
                decide(
                    session,
                    DecisionRequest(pub_id, user, Outcome.APPROVE, attest=stage == "prereview"),
                )
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed
