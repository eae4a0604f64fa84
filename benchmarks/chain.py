"""N publications through the whole chain on a real Prefect server, against bare ledger writes.

Prints throughput (publications per minute), the time from a decision to the next reviewer's
message (decision entry → the first delivery entry of the next step's notice) and from a
submission to the section head's (初审) message, the time from a decision to the next stage
waiting in its run (→ the run's `stage_opened` entry), the time a decision takes to return
(in-process with its hand-off, and as the `pubreview decide` command), and the same transitions
done as bare ledger writes without Prefect as the baseline. Decisions
are handed off as the command line and the web app do (`after_commit`). `--concurrent K` takes
up to K decisions at the same moment, each in its own thread. `--step-worker both` runs the
chain with a flow-run process per resume, then with the step worker, on fresh stacks. Ends with
one JSON line (the last mode's figures; `process_per_resume` holds the other's).

    .venv/bin/python benchmarks/chain.py [--n 50] [--concurrent 1] [--cli-samples 5]
        [--step-worker on|off|both] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from benchmarks.common import DECIDERS, bare_chain, fresh_ledger, pct  # noqa: E402
from models import LedgerEntry, LedgerKind, Publication, Status  # noqa: E402
from pubreview import db  # noqa: E402
from pubreview.review.submission import Draft, submit  # noqa: E402
from pubreview.review.workflow import Outcome  # noqa: E402
from tests.support import factories  # noqa: E402
from tests.support.prefect_stack import PrefectStack, wait_until  # noqa: E402


def fresh_db(path: Path, backend: str = "sqlite") -> str:
    """A migrated ledger with the sample organisation (a SQLite file at path, or a new
    PostgreSQL database): its URL."""
    return fresh_ledger(path.parent, path.stem, backend)


def drop_db(url: str) -> None:
    """Drop a PostgreSQL ledger fresh_db made (a SQLite file goes with the temporary folder)."""
    if url.startswith("postgresql"):
        from tests.conftest import drop_pg_database

        drop_pg_database(url)


def draft(i: int) -> Draft:
    """The i-th item of the run."""
    return factories.draft(title=f"基准测试信息 {i}", body=f"第 {i} 条信息的正文。")


def baseline(n: int, tmp: Path, backend: str = "sqlite") -> float:
    """Submit and decide n items as bare ledger writes; return seconds."""
    url = fresh_db(tmp / "baseline.db", backend)
    try:
        return bare_chain(url, n, draft)
    finally:
        drop_db(url)


def waiting(engine, pub_ids: list[int]) -> list[tuple[int, str]]:
    """Items whose run has opened (and so waits on) the stage the ledger says is current."""
    # A read-only snapshot: a loaded ledger's writers must not fail the benchmark's own reads.
    with db.snapshot(engine) as session:
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


def run_chain(args: argparse.Namespace, tmp: Path, step_worker: bool) -> dict:
    """The whole chain for --n items on a fresh stack; its figures."""
    tmp.mkdir(parents=True, exist_ok=True)
    url = fresh_db(tmp / "ledger.db", args.backend)
    stack = PrefectStack(tmp / "stack", url)
    stack.env["PUBREVIEW_STEP_WORKER"] = "1" if step_worker else "0"
    how = "the step worker" if step_worker else "a flow-run process per resume"
    print(f"starting Prefect server and worker in {tmp} ({how}) …", flush=True)
    stack.start()
    saved = dict(os.environ)
    os.environ.update(stack.env)
    from pubreview.orchestration.after_commit import after_commit
    from pubreview.review.decisions import DecisionRequest, decide

    engine = db.make_engine(url)
    pool = ThreadPoolExecutor(max_workers=max(1, args.concurrent))
    try:
        start = time.perf_counter()
        pub_ids = []
        for i in range(args.n):
            with db.transaction(engine) as session:
                pub_ids.append(submit(session, draft(i)).id)
            after_commit("publication.submitted", pub_ids[-1], actor="zhang.wei", resume=False)
        decide_s: list[float] = []
        cli_s: list[float] = []
        locked: list[float] = []

        def one(pub_id: int, stage: str) -> None:
            user = DECIDERS[stage]
            t0 = time.perf_counter()
            request = DecisionRequest(pub_id, user, Outcome.APPROVE, attest=stage == "prereview")
            try:
                with db.transaction(engine) as session:
                    result = decide(session, request)
            except OperationalError as exc:
                # The ledger's write lock not had within the busy timeout: the person is told
                # the decision was not recorded (nothing was); it is taken again next round.
                locked.append(time.perf_counter() - t0)
                print(f"  #{pub_id}: not recorded ({exc.orig})", flush=True)
                return
            note = after_commit(
                result.event,
                pub_id,
                actor=user,
                resume=True,
                payload=request.event_payload(result),
            )
            if not note.startswith("resumed") and "step worker" not in note:
                print(f"  #{pub_id}: {note}", flush=True)
            decide_s.append(time.perf_counter() - t0)

        def step() -> bool:
            ready = waiting(engine, pub_ids)
            while ready and len(cli_s) < args.cli_samples:
                pub_id, stage = ready.pop(0)
                t0 = time.perf_counter()
                extra = ["--attest-no-secrets"] if stage == "prereview" else []
                stack.cli("decide", str(pub_id), "approve", "--as", DECIDERS[stage], *extra)
                cli_s.append(time.perf_counter() - t0)
            # Up to --concurrent decisions at once; the rest wait for the next round.
            list(pool.map(lambda item: one(*item), ready[: max(1, args.concurrent)]))
            with db.snapshot(engine) as session:
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
        told: dict[tuple[int, str], object] = {}
        for e in entries:
            if e.kind == LedgerKind.NOTIFIED and e.outcome == "sent":
                told.setdefault((e.publication_id, e.stage), e.created_at)
        to_message = [
            (told[(pub, following)] - at).total_seconds()
            for (pub, prev), at in decided_at.items()
            if (following := nxt.get(prev)) and (pub, following) in told
        ]
        # Submission → the section head's 初审 message (the first step's first send).
        submit_to_message = [
            (told[(e.publication_id, "prereview")] - e.created_at).total_seconds()
            for e in entries
            if e.kind == LedgerKind.SUBMITTED and (e.publication_id, "prereview") in told
        ]
        lag = [
            (e.created_at - decided_at[(e.publication_id, prev)]).total_seconds()
            for e in entries
            if e.kind == LedgerKind.STAGE_OPENED
            for prev, following in nxt.items()
            if following == e.stage
        ]
    finally:
        pool.shutdown()
        stack.stop()
        engine.dispose()
        drop_db(url)
        os.environ.clear()
        os.environ.update(saved)
    return {
        "total_s": total_s,
        "lag": lag,
        "decide_s": decide_s,
        "to_message": to_message,
        "submit_to_message": submit_to_message,
        "cli_s": cli_s,
        "locked": locked,
    }


def figures(n: int, base_s: float, run: dict) -> dict:
    """Print one chain's figures; return them for the JSON line."""
    total_s, lag, decide_s = run["total_s"], run["lag"], run["decide_s"]
    to_message, cli_s = run["to_message"], run["cli_s"]
    print(f"with Prefect:   {total_s:8.1f} s  {n / total_s * 60:8.1f} publications/min")
    print(f"ratio:          {total_s / base_s:8.1f}x slower than bare ledger writes")
    print(
        f"decision → next stage waiting: p50 {statistics.median(lag):.2f} s, "
        f"p95 {pct(lag, 0.95):.2f} s (n={len(lag)})"
    )
    print(
        f"decide returns (in-process, ledger + hand-off): p50 {statistics.median(decide_s):.3f} s, "
        f"p95 {pct(decide_s, 0.95):.3f} s (n={len(decide_s)})"
    )
    if to_message:
        print(
            f"decision → next reviewer's message: p50 {statistics.median(to_message):.2f} s, "
            f"p95 {pct(to_message, 0.95):.2f} s (n={len(to_message)})"
        )
    submit_to_message = run["submit_to_message"]
    if submit_to_message:
        print(
            f"submission → section head's message: p50 {statistics.median(submit_to_message):.2f}"
            f" s, p95 {pct(submit_to_message, 0.95):.2f} s (n={len(submit_to_message)})"
        )
    print(f"decisions refused for the ledger's write lock (taken again): {len(run['locked'])}")
    if cli_s:
        print(
            f"`pubreview decide` command wall time: p50 {statistics.median(cli_s):.2f} s, "
            f"p95 {pct(cli_s, 0.95):.2f} s (n={len(cli_s)}, includes interpreter start)"
        )
    return {
        "per_min": round(n / total_s * 60, 2),
        "ratio": round(total_s / base_s, 1),
        "decide_cli_p95_s": round(pct(cli_s, 0.95), 3) if cli_s else None,
        "decide_p95_s": round(pct(decide_s, 0.95), 3),
        "decision_to_message_p50_s": (
            round(statistics.median(to_message), 3) if to_message else None
        ),
        "decision_to_message_p95_s": round(pct(to_message, 0.95), 3) if to_message else None,
        "submission_to_message_p95_s": (
            round(pct(submit_to_message, 0.95), 3) if submit_to_message else None
        ),
        "decision_to_step_open_p50_s": round(statistics.median(lag), 3),
        "decision_to_step_open_p95_s": round(pct(lag, 0.95), 3),
        "decisions_locked_out": len(run["locked"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="publications (default 50)")
    parser.add_argument(
        "--cli-samples",
        type=int,
        default=5,
        help="decisions also timed as the `pubreview decide` command",
    )
    parser.add_argument(
        "--concurrent", type=int, default=1, help="decisions taken at the same moment (default 1)"
    )
    parser.add_argument(
        "--step-worker",
        choices=("on", "off", "both"),
        default="on",
        help="runs moved on by the step worker (PUBREVIEW_STEP_WORKER), a flow-run process per "
        "resume, or both one after the other (default on)",
    )
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the ledger's database, for the chain and its baseline (default sqlite)",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pubreview-bench-"))

    base_s = baseline(args.n, tmp, args.backend)
    modes = {"on": [True], "off": [False], "both": [False, True]}[args.step_worker]
    runs = {mode: run_chain(args, tmp / ("warm" if mode else "cold"), mode) for mode in modes}

    print(f"\npublications: {args.n}, each through 初审 → 审签 → 中心发布 ({args.backend} ledger)")
    print(
        f"bare ledger:    {base_s:8.2f} s  {args.n / base_s * 60:8.1f} publications/min "
        f"(baseline: same submit + 3 decisions, no Prefect)"
    )
    result = {}
    for mode, run in runs.items():
        print(f"\n== {'step worker' if mode else 'a flow-run process per resume'}")
        result[mode] = figures(args.n, base_s, run)
    line = {
        "benchmark": "chain",
        "n": args.n,
        "backend": args.backend,
        "concurrent": args.concurrent,
        "step_worker": modes[-1],
        "baseline_per_min": round(args.n / base_s * 60, 2),
        **result[modes[-1]],
    }
    if len(modes) == 2:
        line["process_per_resume"] = result[False]
    print(json.dumps(line))
    subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
