"""N publications through the whole chain on a real Prefect server, against bare ledger writes.

Prints throughput (publications per minute), the time from a decision to the next stage
waiting (p50, p95: decision entry → the run's `stage_opened` entry), the time a decision
takes to return (in-process, and as the `pubreview decide` command), and the same transitions
done as bare ledger writes without Prefect as the baseline.

    .venv/bin/python benchmarks/chain.py [--n 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from models import LedgerEntry, LedgerKind, Publication, Status  # noqa: E402
from pubreview import db, migrate  # noqa: E402
from pubreview.accounts.org import load_org  # noqa: E402
from pubreview.review.submission import Draft, submit  # noqa: E402
from pubreview.review.workflow import Outcome  # noqa: E402
from tests.support.prefect_stack import PrefectStack, wait_until  # noqa: E402

SAMPLE_ORG = ROOT / "config" / "sample-org.yaml"
DECIDERS = {"prereview": "li.na", "signoff": "zeng.xiang", "publication": "zhou.min"}


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def fresh_db(path: Path) -> str:
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    with db.transaction(db.make_engine(url)) as session:
        load_org(session, SAMPLE_ORG)
    return url


def draft(i: int) -> Draft:
    return Draft(
        title=f"基准测试信息 {i}",
        body=f"第 {i} 条信息的正文。",
        category="工作动态",
        channels=["网站"],
        unit="zonghe",
        submitter="zhang.wei",
    )


def baseline(n: int, tmp: Path) -> float:
    """Submit and decide n items as bare ledger writes; return seconds."""
    from pubreview.review.decisions import DecisionRequest, decide

    engine = db.make_engine(fresh_db(tmp / "baseline.db"))
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
    return time.perf_counter() - start


def waiting(engine, pub_ids: list[int]) -> list[tuple[int, str]]:
    """Items whose run has opened (and so waits on) the stage the ledger says is current."""
    with db.transaction(engine) as session:
        pubs = session.scalars(
            select(Publication).where(
                Publication.id.in_(pub_ids), Publication.status == Status.IN_REVIEW
            )
        ).all()
        opened = set(
            session.scalars(
                select(LedgerEntry.dedupe_key).where(
                    LedgerEntry.kind == LedgerKind.STAGE_OPENED,
                    LedgerEntry.publication_id.in_(pub_ids),
                )
            )
        )
        return [
            (p.id, p.stage.value)
            for p in pubs
            if f"opened:{p.id}:{p.stage.value}:r{p.current_revision}" in opened
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="publications (default 50)")
    parser.add_argument(
        "--cli-samples",
        type=int,
        default=5,
        help="decisions also timed as the `pubreview decide` command",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pubreview-bench-"))

    base_s = baseline(args.n, tmp)
    url = fresh_db(tmp / "ledger.db")
    stack = PrefectStack(tmp / "stack", url)
    print(f"starting Prefect server and worker in {tmp} …", flush=True)
    stack.start()
    os.environ.update(stack.env)
    from pubreview import orchestration
    from pubreview.review.decisions import DecisionRequest, decide

    engine = db.make_engine(url)
    try:
        start = time.perf_counter()
        pub_ids = []
        for i in range(args.n):
            with db.transaction(engine) as session:
                pub_ids.append(submit(session, draft(i)).id)
            orchestration.emit(
                "publication.submitted",
                pub_ids[-1],
                title=f"基准 {i}",
                unit="zonghe",
                actor="zhang.wei",
            )
        decide_s: list[float] = []
        cli_s: list[float] = []

        def step() -> bool:
            for pub_id, stage in waiting(engine, pub_ids):
                user = DECIDERS[stage]
                if len(cli_s) < args.cli_samples:
                    t0 = time.perf_counter()
                    extra = ["--attest-no-secrets"] if stage == "prereview" else []
                    stack.cli("decide", str(pub_id), "approve", "--as", user, *extra)
                    cli_s.append(time.perf_counter() - t0)
                    continue
                t0 = time.perf_counter()
                with db.transaction(engine) as session:
                    decide(
                        session,
                        DecisionRequest(pub_id, user, Outcome.APPROVE, attest=stage == "prereview"),
                    )
                    pub = session.get(Publication, pub_id)
                    run_id, waits_on = pub.flow_run_id, orchestration.waiting_key(pub)
                note = orchestration.resume(run_id, waits_on)
                if not note.startswith("resumed"):
                    print(f"  #{pub_id}: {note}", flush=True)
                decide_s.append(time.perf_counter() - t0)
            with db.transaction(engine) as session:
                done = (
                    session.scalar(
                        select(Publication.id)
                        .where(Publication.id.in_(pub_ids), Publication.status == Status.IN_REVIEW)
                        .limit(1)
                    )
                    is None
                )
            return done

        wait_until(step, 60 * 60, "every publication to be published", every=0.5)
        wait_until(
            lambda: all(
                any((r["state"] or {}).get("type") == "COMPLETED" for r in stack.run_of(p))
                for p in pub_ids
            ),
            600,
            "every run to complete",
            every=2,
        )
        total_s = time.perf_counter() - start
        with db.transaction(engine) as session:
            entries = session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.publication_id.in_(pub_ids))
                .order_by(LedgerEntry.id)
            ).all()
        decided_at = {
            (e.publication_id, e.stage): e.created_at
            for e in entries
            if e.kind == LedgerKind.DECIDED
        }
        nxt = {"prereview": "signoff", "signoff": "publication"}
        lag = [
            (e.created_at - decided_at[(e.publication_id, prev)]).total_seconds()
            for e in entries
            if e.kind == LedgerKind.STAGE_OPENED
            for prev, following in nxt.items()
            if following == e.stage
        ]
    finally:
        stack.stop()

    print(f"\npublications: {args.n}, each through 初审 → 审签 → 中心发布 (SQLite ledger)")
    print(f"with Prefect:   {total_s:8.1f} s  {args.n / total_s * 60:8.1f} publications/min")
    print(
        f"bare ledger:    {base_s:8.2f} s  {args.n / base_s * 60:8.1f} publications/min "
        f"(baseline: same submit + 3 decisions, no Prefect)"
    )
    print(f"ratio:          {total_s / base_s:8.1f}x slower with orchestration")
    print(
        f"decision → next stage waiting: p50 {statistics.median(lag):.2f} s, "
        f"p95 {pct(lag, 0.95):.2f} s (n={len(lag)})"
    )
    print(
        f"decide returns (in-process, ledger + resume): p50 {statistics.median(decide_s):.3f} s, "
        f"p95 {pct(decide_s, 0.95):.3f} s (n={len(decide_s)})"
    )
    if cli_s:
        print(
            f"`pubreview decide` command wall time: p50 {statistics.median(cli_s):.2f} s "
            f"(n={len(cli_s)}, includes interpreter start and Prefect import)"
        )
    subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
