"""The scale-out setup as processes: a Prefect server, the `pubreview` process work pool with
the deployments of deployments/prefect.yaml, and N `prefect worker` processes; plus a driver
process that pushes reviews through it at once with scripted decisions.

Used by tests/deployments/test_scale_out.py and tests/flows/test_step_worker.py;
benchmarks/pool_driver.py measures with the same pieces.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication, Stage, Status
from pubreview import db
from pubreview.orchestration import waiting_key
from pubreview.orchestration.after_commit import after_commit
from pubreview.review.decisions import DecisionRequest, decide
from pubreview.review.submission import Draft, resubmit, submit
from pubreview.review.workflow import TERMINAL, Outcome
from pubreview.settings import PROJECT_ROOT
from tests.support import factories
from tests.support.prefect_stack import BIN, PrefectStack, rest_api, wait_until

POOL = "pubreview"
PREFECT_FILE = "deployments/prefect.yaml"
DECIDERS = {"prereview": "li.na", "signoff": "zeng.xiang", "publication": "zhou.min"}

# How the driver calls Prefect's REST API: PrefectStack.api, or Api in the driver process.
Api = Callable[..., Any]


class PoolStack(PrefectStack):
    """A Prefect server and `prefect worker start --pool pubreview` processes (no `serve`)."""

    def __init__(
        self,
        home: Path,
        database_url: str,
        server_db_url: str | None = None,
        workers: int = 2,
        step_worker: bool = False,
    ) -> None:
        super().__init__(home, database_url, server_db_url)
        # With the step worker, each machine of the pool runs one beside its `prefect worker`.
        self.env["PUBREVIEW_STEP_WORKER"] = "1" if step_worker else "0"
        self.step_worker = step_worker
        self.env["PREFECT_WORKER_QUERY_SECONDS"] = "1"
        self.env["PREFECT_WORKER_HEARTBEAT_SECONDS"] = "5"
        # Workers say which flow runs they start (their logs show both took work).
        self.env["PREFECT_LOGGING_LEVEL"] = "INFO"
        self.workers: list[subprocess.Popen] = []
        self.step_workers: list[subprocess.Popen] = []
        self.worker_count = workers

    def start(self) -> PoolStack:
        """Server, work pool, `prefect deploy --all`, then the workers."""
        try:
            self.start_server()
            self.prefect("work-pool", "create", POOL, "--type", "process")
            self.prefect("--no-prompt", "deploy", "--all", "--prefect-file", PREFECT_FILE)
            for _ in range(self.worker_count):
                self.add_worker()
        except BaseException:
            self.stop()
            raise
        return self

    def prefect(self, *args: str) -> str:
        """Run the `prefect` command against this server, from the repository root."""
        proc = subprocess.run(
            [str(BIN / "prefect"), *args],
            env=self.env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            raise AssertionError(f"prefect {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def add_worker(self) -> None:
        """Start one more `prefect worker` on the pool and wait until the server sees it."""
        n = len(self.workers) + 1
        name = f"worker-{n}"
        self.workers.append(
            self._spawn(
                name,
                [str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--type", "process"]
                + ["--name", name, "--limit", "8"],
            )
        )
        if self.step_worker:
            self.step_workers.append(
                self._spawn(f"step-worker-{n}", [str(BIN / "python"), "-m", "flows.step_worker"])
            )
        wait_until(
            lambda: (
                name
                in {w["name"] for w in self.api("POST", f"/work_pools/{POOL}/workers/filter", {})}
            ),
            120,
            f"{name} to poll the pool",
        )

    def stop(self) -> None:
        """Stop the workers (and their flow runs), then the server."""
        for proc in [*self.step_workers, *self.workers]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        super().stop()


def draft(i: int) -> Draft:
    """The i-th draft of a bulk run."""
    return factories.draft(title=f"批量审核信息 {i}", body=f"第 {i} 条信息的正文。")


def plan(i: int) -> str:
    """The scripted fate of the i-th item: most approved, some returned once, some rejected."""
    return {1: "return-once", 3: "reject"}.get(i % 5, "approve")


def submit_all(engine: Engine, n: int, script: Callable[[int], str] = plan) -> dict[int, str]:
    """Submit n drafts and announce each; return each publication's scripted plan."""
    plans = {}
    for i in range(n):
        with db.transaction(engine) as session:
            pub_id = submit(session, draft(i)).id
        plans[pub_id] = script(i)
        after_commit("publication.submitted", pub_id, actor="zhang.wei", resume=False)
    return plans


def paused(api: Api) -> dict[int, str]:
    """publication id → the pause key its suspended review run waits on."""
    found: dict[int, str] = {}
    offset = 0
    while True:
        page = api(
            "POST",
            "/flow_runs/filter",
            {
                "flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}},
                "limit": 200,
                "offset": offset,
            },
        )
        for run in page:
            pub_id = run["parameters"].get("publication_id")
            if isinstance(pub_id, int):
                found[pub_id] = run["state"]["state_details"].get("pause_key") or ""
        if len(page) < 200:
            return found
        offset += 200


def ready(api: Api, engine: Engine, pub_ids: list[int]) -> list[tuple[int, str]]:
    """Items the ledger says wait on a step and whose run is suspended on that very step."""
    runs = paused(api)
    # Reads as snapshots: on SQLite a write transaction would take the lock the runs write under.
    with db.snapshot(engine) as session:
        pubs = session.scalars(
            select(Publication).where(
                Publication.id.in_(pub_ids),
                Publication.status.in_([Status.IN_REVIEW, Status.RETURNED]),
            )
        ).all()
        return [
            (p.id, key)
            for p in pubs
            if (key := waiting_key(p)) and runs.get(p.id, "").startswith(f"{key}:")
        ]


def act(engine: Engine, pub_id: int, script: str) -> str:
    """Take the scripted next step for one item, as a person would; return the resume note."""
    with db.transaction(engine) as session:
        pub = session.get(Publication, pub_id)
        status, stage, revision = pub.status, pub.stage, pub.current_revision
        if status is Status.RETURNED:
            resubmit(
                session, pub_id, "zhang.wei", title=None, body="修改后的正文。", attachments=None
            )
            event, actor, payload = "publication.resubmitted", "zhang.wei", {}
        else:
            outcome, comment = Outcome.APPROVE, None
            if script == "reject" and stage is Stage.PRE_REVIEW:
                outcome, comment = Outcome.REJECT, "不宜公开"
            elif script == "return-once" and stage is Stage.SIGN_OFF and revision == 1:
                outcome, comment = Outcome.RETURN, "请核实数据"
            actor = DECIDERS[stage.value]
            result = decide(
                session,
                DecisionRequest(
                    pub_id, actor, outcome, comment=comment, attest=stage is Stage.PRE_REVIEW
                ),
            )
            assert result.recorded, result.message
            event, payload = result.event, {"outcome": outcome.value, "comment": comment}
    return after_commit(event, pub_id, actor=actor, resume=True, payload=payload)


@dataclass
class Outcomes:
    """What a bulk run did."""

    actions: int = 0
    seconds: float = 0.0
    decide_s: list[float] = field(default_factory=list)
    resumed: int = 0
    other_notes: list[str] = field(default_factory=list)


def drive(
    api: Api,
    engine: Engine,
    plans: dict[int, str],
    *,
    threads: int = 8,
    timeout_s: float = 900,
    progress: Callable[[str], None] | None = None,
) -> Outcomes:
    """Decide every waiting step as soon as its run suspends, `threads` at a time, until done."""
    out = Outcomes()
    seen: set[tuple[int, str]] = set()
    futures: list[Future] = []
    reported = [0]
    start = time.perf_counter()

    def timed(pub_id: int) -> str:
        t0 = time.perf_counter()
        note = act(engine, pub_id, plans[pub_id])
        out.decide_s.append(time.perf_counter() - t0)
        return note

    def finished() -> bool:
        for pub_id, key in ready(api, engine, list(plans)):
            if (pub_id, key) not in seen:
                seen.add((pub_id, key))
                futures.append(pool.submit(timed, pub_id))
        for f in [f for f in futures if f.done()]:
            futures.remove(f)
            out.actions += 1
            note = f.result()  # raises what the action raised
            if note.startswith("resumed"):
                out.resumed += 1
            else:
                out.other_notes.append(note)
        if progress and out.actions // 50 > reported[0]:
            reported[0] = out.actions // 50
            progress(f"{out.actions} steps decided")
        return not futures and all_terminal(engine, list(plans))

    with ThreadPoolExecutor(threads) as pool:
        wait_until(finished, timeout_s, "every item to reach its end", every=0.5)
    out.seconds = time.perf_counter() - start
    return out


def all_terminal(engine: Engine, pub_ids: list[int]) -> bool:
    """Whether every item is published, rejected or retracted in the ledger."""
    with db.snapshot(engine) as session:
        statuses = session.scalars(select(Publication.status).where(Publication.id.in_(pub_ids)))
        return all(s in TERMINAL for s in statuses)


def decided(engine: Engine, pub_ids: list[int]) -> Counter:
    """How many decisions the ledger holds per (publication, revision, stage)."""
    with db.snapshot(engine) as session:
        rows = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.publication_id.in_(pub_ids), LedgerEntry.kind == LedgerKind.DECIDED
            )
        )
        return Counter((e.publication_id, e.revision, e.stage) for e in rows)


def assert_decided_as_scripted(url: str, plans: dict[int, str]) -> None:
    """Each item's every stage decided exactly once, as its script says, and the item closed."""
    engine = db.make_engine(url)
    try:
        counted = decided(engine, list(plans))
        assert set(counted.values()) == {1}
        for pub_id, script in plans.items():
            got = {(rev, stage) for (p, rev, stage) in counted if p == pub_id}
            assert got == expected_decisions(script), (pub_id, script)
        assert all_terminal(engine, list(plans))
    finally:
        engine.dispose()


def expected_decisions(script: str) -> set[tuple[int, str]]:
    """The (revision, stage) decisions a scripted item goes through."""
    full = {(1, "prereview"), (1, "signoff"), (1, "publication")}
    if script == "reject":
        return {(1, "prereview")}
    if script == "return-once":
        return {(1, "prereview"), (1, "signoff")} | {(2, s) for _, s in full}
    return full


def completed_runs(api: Api) -> Counter:
    """publication id → how many of its review runs completed."""
    counts: Counter = Counter()
    offset = 0
    while True:
        page = api(
            "POST",
            "/flow_runs/filter",
            {
                "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}},
                "deployments": {"name": {"any_": ["review-publication"]}},
                "limit": 200,
                "offset": offset,
            },
        )
        counts.update(r["parameters"].get("publication_id") for r in page)
        if len(page) < 200:
            return counts
        offset += 200


def run_driver(
    stack: PoolStack,
    n: int,
    script: str,
    timeout_s: float = 3600,
    *,
    module: str = "tests.support.work_pool",
    extra: list[str] | None = None,
) -> dict:
    """Push n reviews through `stack` from a driver process of its own, as people would.

    A process of its own because Prefect reads its settings (the API address) once, when it
    is imported: a driver in the calling process could talk to an earlier stack's server.
    `module` is the driver (this one's `main`, or benchmarks/pool_driver.py's, which measures).
    """
    proc = subprocess.run(
        [str(BIN / "python"), "-m", module, "--n", str(n), "--script", script, *(extra or [])],
        env=stack.env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=(stack.logs / "driver.log").open("ab"),
        text=True,
        timeout=timeout_s,
    )
    if proc.returncode != 0:
        log = (stack.logs / "driver.log").read_text(errors="replace")[-3000:]
        raise AssertionError(f"the driver exited {proc.returncode}:\n{log}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["plans"] = {int(k): v for k, v in result["plans"].items()}
    return result


def say(text: str) -> None:
    """A driver's progress line, on its log (stderr)."""
    print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def driver_arguments(description: str | None) -> argparse.ArgumentParser:
    """The options every driver process takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--script", choices=["mixed", "approve"], default="mixed")
    parser.add_argument("--threads", type=int, default=8)
    return parser


def connect() -> tuple[Api, Engine]:
    """The driver process's Prefect API and ledger engine, from the stack's environment."""
    # The driver process is on its own under load: longer waits than the tests' calls.
    api = rest_api(os.environ["PREFECT_API_URL"], attempts=40, timeout=30)
    return api, db.make_engine(os.environ["PUBREVIEW_DATABASE_URL"])


def scripted(args: argparse.Namespace, engine: Engine) -> dict[int, str]:
    """Submit --n drafts scripted as --script asks."""
    return submit_all(engine, args.n, plan if args.script == "mixed" else lambda _i: "approve")


def finish(api: Api, plans: dict[int, str], outcome: Outcomes) -> dict:
    """Wait until every item's run completed; what the run did, for the JSON line."""
    wait_until(
        lambda: set(completed_runs(api)) >= set(plans), 600, "every run to complete", every=1
    )
    for note in outcome.other_notes:
        say(f"a decision's resume did not land (reconcile caught up): {note}")
    say(f"all decided in {outcome.seconds:.1f} s")
    return {
        "plans": plans,
        "decide_s": outcome.seconds,
        "actions": outcome.actions,
        "resumed": outcome.resumed,
        "other_notes": outcome.other_notes,
        "act_s": outcome.decide_s,
    }


def main() -> None:
    """The tests' driver process: submit, decide every step as soon as its run waits; print JSON."""
    args = driver_arguments(main.__doc__).parse_args()
    api, engine = connect()
    plans = scripted(args, engine)
    say(f"submitted {args.n}")
    outcome = drive(api, engine, plans, threads=args.threads, timeout_s=3600, progress=say)
    print(json.dumps(finish(api, plans, outcome)))


if __name__ == "__main__":
    main()
