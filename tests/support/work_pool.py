"""The scale-out setup as processes: a Prefect server, the `pubreview` process work pool with
the deployments of deployments/prefect.yaml, and N `prefect worker` processes; plus a driver
that pushes many reviews through it at once with scripted decisions.

Used by tests/test_scale_out.py and benchmarks/scale.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication, Stage, Status
from pubreview import db
from pubreview.actions import after_commit
from pubreview.decisions import decide
from pubreview.orchestration import waiting_key
from pubreview.settings import PROJECT_ROOT
from pubreview.submission import Draft, resubmit, submit
from pubreview.workflow import TERMINAL, Outcome
from tests.support.prefect_stack import BIN, PrefectStack, wait_until

POOL = "pubreview"
PREFECT_FILE = "deployments/prefect.yaml"
DECIDERS = {"prereview": "li.na", "signoff": "zeng.xiang", "publication": "zhou.min"}


class PoolStack(PrefectStack):
    """A Prefect server and `prefect worker start --pool pubreview` processes (no `serve`)."""

    def __init__(
        self, home: Path, database_url: str, server_db_url: str | None = None, workers: int = 2
    ) -> None:
        super().__init__(home, database_url, server_db_url)
        self.env["PREFECT_WORKER_QUERY_SECONDS"] = "1"
        self.env["PREFECT_WORKER_HEARTBEAT_SECONDS"] = "5"
        # Workers say which flow runs they start (their logs show both took work).
        self.env["PREFECT_LOGGING_LEVEL"] = "INFO"
        self.workers: list[subprocess.Popen] = []
        self.worker_count = workers

    def start(self) -> PoolStack:
        """Server, work pool, `prefect deploy --all`, then the workers."""
        self.server = self._spawn(
            "server",
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1"]
            + ["--port", str(self.port)],
        )
        try:
            wait_until(self._healthy, 300, "the Prefect server to answer", every=0.5)
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
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        super().stop()


def draft(i: int) -> Draft:
    """The i-th draft of a bulk run."""
    return Draft(
        title=f"批量审核信息 {i}",
        body=f"第 {i} 条信息的正文。",
        category="工作动态",
        channels=["网站"],
        unit="zonghe",
        submitter="zhang.wei",
    )


def plan(i: int) -> str:
    """The scripted fate of the i-th item: most approved, some returned once, some rejected."""
    return {1: "return-once", 3: "reject"}.get(i % 5, "approve")


def submit_all(engine: Engine, n: int) -> dict[int, str]:
    """Submit n drafts and announce each; return each publication's plan."""
    plans = {}
    for i in range(n):
        with db.transaction(engine) as session:
            pub_id = submit(session, draft(i)).id
        plans[pub_id] = plan(i)
        after_commit("publication.submitted", pub_id, actor="zhang.wei", resume=False)
    return plans


def paused(stack: PrefectStack) -> dict[int, str]:
    """publication id → the pause key its suspended review run waits on."""
    found: dict[int, str] = {}
    offset = 0
    while True:
        page = stack.api(
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


def ready(stack: PrefectStack, engine: Engine, pub_ids: list[int]) -> list[tuple[int, str]]:
    """Items the ledger says wait on a step and whose run is suspended on that very step."""
    runs = paused(stack)
    with db.transaction(engine) as session:
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
                pub_id,
                actor,
                outcome,
                comment=comment,
                attest=stage is Stage.PRE_REVIEW,
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
    stack: PrefectStack,
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
    start = time.perf_counter()

    def timed(pub_id: int) -> str:
        t0 = time.perf_counter()
        note = act(engine, pub_id, plans[pub_id])
        out.decide_s.append(time.perf_counter() - t0)
        return note

    def finished() -> bool:
        for pub_id, key in ready(stack, engine, list(plans)):
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
        if progress and out.actions and out.actions % 50 == 0:
            progress(f"{out.actions} steps decided")
        return not futures and all_terminal(engine, list(plans))

    with ThreadPoolExecutor(threads) as pool:
        wait_until(finished, timeout_s, "every item to reach its end", every=0.5)
    out.seconds = time.perf_counter() - start
    return out


def all_terminal(engine: Engine, pub_ids: list[int]) -> bool:
    """Whether every item is published, rejected or retracted in the ledger."""
    with db.transaction(engine) as session:
        statuses = session.scalars(select(Publication.status).where(Publication.id.in_(pub_ids)))
        return all(s in TERMINAL for s in statuses)


def decided(engine: Engine, pub_ids: list[int]) -> Counter:
    """How many decisions the ledger holds per (publication, revision, stage)."""
    with db.transaction(engine) as session:
        rows = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.publication_id.in_(pub_ids), LedgerEntry.kind == LedgerKind.DECIDED
            )
        )
        return Counter((e.publication_id, e.revision, e.stage) for e in rows)


def expected_decisions(script: str) -> set[tuple[int, str]]:
    """The (revision, stage) decisions a scripted item goes through."""
    full = {(1, "prereview"), (1, "signoff"), (1, "publication")}
    if script == "reject":
        return {(1, "prereview")}
    if script == "return-once":
        return {(1, "prereview"), (1, "signoff")} | {(2, s) for _, s in full}
    return full


def completed_runs(stack: PrefectStack) -> Counter:
    """publication id → how many of its review runs completed."""
    counts: Counter = Counter()
    offset = 0
    while True:
        page = stack.api(
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
