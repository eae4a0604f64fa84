"""The review chain moved on by the step worker (the default), and by a process per resume."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from models import LedgerKind
from tests.conftest import _prepare
from tests.support import work_pool
from tests.support.prefect_stack import PrefectStack
from tests.support.review_flow import approve_through, decide_at, decisions, entries_of, submit
from tests.support.review_flow import verify as verify_ledger
from tests.support.work_pool import PoolStack

EACH_STEP_ONCE = {(1, "prereview"): 1, (1, "signoff"): 1, (1, "publication"): 1}
MOVED_ON = "the step worker moves it on"
pytestmark = pytest.mark.prefect
# The step worker does not depend on the ledger's database: these run on SQLite only.
on_sqlite = pytest.mark.parametrize("stack", ["sqlite"], indirect=True)


@pytest.fixture
def per_resume(stack: PrefectStack) -> Iterator[PrefectStack]:
    """The session's stack, its worker restarted with the step worker off (and back on after)."""
    stack.env["PUBREVIEW_STEP_WORKER"] = "0"
    stack.kill_worker()
    stack.start_worker()
    try:
        yield stack
    finally:
        del stack.env["PUBREVIEW_STEP_WORKER"]
        stack.kill_worker()
        stack.start_worker()


def _states(stack: PrefectStack, run_id: str) -> list[dict]:
    """The run's state history, oldest first."""
    states = stack.api("GET", f"/flow_run_states/?flow_run_id={run_id}")
    return sorted(states, key=lambda s: s["timestamp"])


def _told_once(stack: PrefectStack, pub_id: int) -> None:
    sent = Counter(
        (e.stage, e.payload["event"], e.payload["recipient"])
        for e in entries_of(stack, pub_id)
        if e.kind == LedgerKind.NOTIFIED and e.outcome == "sent"
    )
    assert sent and set(sent.values()) == {1}, sent


def _opened_once(stack: PrefectStack, pub_id: int) -> None:
    opened = Counter(
        e.stage for e in entries_of(stack, pub_id) if e.kind == LedgerKind.STAGE_OPENED
    )
    assert opened == {"prereview": 1, "signoff": 1, "publication": 1}


@on_sqlite
def test_one_run_moved_on_without_a_process_per_step(stack: PrefectStack) -> None:
    pub_id = submit(stack, "由常驻进程推进的信息")
    approve_through(stack, pub_id)
    runs = stack.run_of(pub_id)
    assert len(runs) == 1 and runs[0]["state"]["type"] == "COMPLETED"
    states = _states(stack, runs[0]["id"])
    running = [s for s in states if s["type"] == "RUNNING"]
    # Started and moved on at each of the three decisions by the step worker, never by a process.
    assert [s["message"] for s in running] == [MOVED_ON] * 4, running
    keys = [
        s["state_details"]["pause_key"].rsplit(":", 1)[0] for s in states if s["type"] == "PAUSED"
    ]
    assert keys == ["prereview:r1", "signoff:r1", "publication:r1"]
    status = stack.cli_json("status", str(pub_id))
    assert status["status"] == "published"
    assert status["channel_status"]["网站"].endswith(f"/articles/{pub_id}.html")
    assert decisions(stack, pub_id) == EACH_STEP_ONCE
    _opened_once(stack, pub_id)
    _told_once(stack, pub_id)
    artifacts = stack.api(
        "POST",
        "/artifacts/filter",
        {"artifacts": {"key": {"any_": [f"publication-{pub_id}-history"]}}, "limit": 50},
    )
    assert {a["flow_run_id"] for a in artifacts} == {runs[0]["id"]}
    verify_ledger(stack)


@on_sqlite
def test_a_dead_step_worker_loses_nothing(stack: PrefectStack) -> None:
    """Decided while no worker ran, and killed holding a run: the item still ends, once."""
    pub_id = submit(stack, "常驻进程中断的检验")
    stack.wait_paused(pub_id, "prereview:r1")
    stack.kill_worker()
    stack.cli("decide", str(pub_id), "approve", "--as", "li.na", "--attest-no-secrets")
    stack.start_worker()  # it catches up on what the ledger says
    run = stack.wait_paused(pub_id, "signoff:r1")

    # As if the step worker had taken the run and died before suspending it again.
    answer = stack.api(
        "POST",
        f"/flow_runs/{run['id']}/set_state",
        {"state": {"type": "RUNNING", "name": "Running", "message": MOVED_ON}},
    )
    assert answer["status"] == "ACCEPT", answer
    stack.kill_worker()
    stack.cli("decide", str(pub_id), "approve", "--as", "zeng.xiang")
    stack.start_worker()
    actions = stack.cli_json("reconcile", "--stale-after", "0")
    assert [a["action"] for a in actions if a["publication_id"] == pub_id] == [
        "crashed",
        "started",
    ]
    decide_at(stack, pub_id, "publication:r1", "zhou.min", "--url", "微博=https://weibo.example/3")
    stack.wait_completed(pub_id)

    assert decisions(stack, pub_id) == EACH_STEP_ONCE
    _opened_once(stack, pub_id)
    _told_once(stack, pub_id)
    verify_ledger(stack)


def _running_messages(api, run_id: str) -> list[str]:
    return [
        s["message"]
        for s in api("GET", f"/flow_run_states/?flow_run_id={run_id}")
        if s["type"] == "RUNNING"
    ]


@on_sqlite
def test_per_resume_mode_still_takes_an_item_through(per_resume: PrefectStack) -> None:
    """PUBREVIEW_STEP_WORKER=0: the trigger starts the run and each resume is a new process."""
    pub_id = submit(per_resume, "逐次恢复进程审核的信息")
    decide_at(per_resume, pub_id, "prereview:r1", "li.na", "--attest-no-secrets")
    decide_at(
        per_resume, pub_id, "signoff:r1", "zeng.xiang", "--comment", "请核实", outcome="return"
    )
    per_resume.wait_paused(pub_id, "returned:r1")
    per_resume.cli("resubmit", str(pub_id), "--as", "zhang.wei", "--body", "核实后的正文。")
    approve_through(per_resume, pub_id, revision=2)
    (run,) = per_resume.run_of(pub_id)
    running = _running_messages(per_resume.api, run["id"])
    assert running and MOVED_ON not in running, running
    assert per_resume.cli_json("status", str(pub_id))["status"] == "published"
    verify_ledger(per_resume)


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[PoolStack]:
    """The scale-out setup with the step worker: the deployments on the work pool, two machines
    each running `prefect worker` and a step worker (SQLite ledger and Prefect server)."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    _prepare(url)
    stack = PoolStack(tmp_path, url, workers=2, step_worker=True)
    try:
        yield stack.start()
    finally:
        stack.stop()


def test_on_a_work_pool_two_step_workers_move_each_step_once(pool: PoolStack) -> None:
    """Approved, returned and resubmitted, rejected: each move made by one of the two step
    workers, no flow-run process, each item one run, completed."""
    result = work_pool.run_driver(pool, 4, "mixed", timeout_s=600)
    plans = result["plans"]
    work_pool.assert_decided_as_scripted(pool.env["PUBREVIEW_DATABASE_URL"], plans)
    assert set(plans.values()) == {"approve", "return-once", "reject"}
    for pub_id in plans:
        (run,) = pool.run_of(pub_id)
        assert run["state"]["type"] == "COMPLETED"
        assert set(_running_messages(pool.api, run["id"])) == {MOVED_ON}, pub_id
    assert pool.cli_json("ledger", "verify")["ok"]
