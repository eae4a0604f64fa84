"""The review chain with PUBREVIEW_STEP_WORKER on: runs moved on by `pubreview worker` itself."""

from __future__ import annotations

from collections import Counter

import pytest

from models import LedgerKind
from tests.support.prefect_stack import PrefectStack, wait_until
from tests.support.review_flow import approve_through, decide_at, decisions, entries_of, submit
from tests.support.review_flow import verify as verify_ledger

EACH_STEP_ONCE = {(1, "prereview"): 1, (1, "signoff"): 1, (1, "publication"): 1}
MOVED_ON = "the step worker moves it on"
# The step worker is off by default; its two restarts of the worker cost a minute and a half per
# ledger, so it is checked on the embedded default (SQLite) only until it is turned on.
pytestmark = pytest.mark.parametrize("stack", ["sqlite"], indirect=True)


def _trigger_is(stack: PrefectStack, present: bool) -> None:
    """Wait until the restarted worker has applied its deployments: the trigger gone or back."""
    dep = stack.api("GET", "/deployments/name/review-publication/review-publication")
    path = f"/automations/related-to/prefect.deployment.{dep['id']}"
    wait_until(lambda: bool(stack.api("GET", path)) == present, 120, "the worker's deployments")


@pytest.fixture(scope="module")
def warm(stack: PrefectStack):
    """The session's stack, its worker restarted with the step worker on (and back off after)."""
    stack.env["PUBREVIEW_STEP_WORKER"] = "1"
    stack.kill_worker()
    stack.start_worker()
    _trigger_is(stack, present=False)  # else a submission could still start a process
    try:
        yield stack
    finally:
        del stack.env["PUBREVIEW_STEP_WORKER"]
        stack.kill_worker()
        stack.start_worker()
        _trigger_is(stack, present=True)  # the tests after these start runs from it


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


def test_one_run_moved_on_without_a_process_per_step(warm: PrefectStack) -> None:
    pub_id = submit(warm, "由常驻进程推进的信息")
    approve_through(warm, pub_id)
    runs = warm.run_of(pub_id)
    assert len(runs) == 1 and runs[0]["state"]["type"] == "COMPLETED"
    states = _states(warm, runs[0]["id"])
    running = [s for s in states if s["type"] == "RUNNING"]
    # Started and moved on at each of the three decisions by the step worker, never by a process.
    assert [s["message"] for s in running] == [MOVED_ON] * 4, running
    keys = [
        s["state_details"]["pause_key"].rsplit(":", 1)[0] for s in states if s["type"] == "PAUSED"
    ]
    assert keys == ["prereview:r1", "signoff:r1", "publication:r1"]
    status = warm.cli_json("status", str(pub_id))
    assert status["status"] == "published"
    assert status["channel_status"]["网站"].endswith(f"/articles/{pub_id}.html")
    assert decisions(warm, pub_id) == EACH_STEP_ONCE
    _opened_once(warm, pub_id)
    _told_once(warm, pub_id)
    artifacts = warm.api(
        "POST",
        "/artifacts/filter",
        {"artifacts": {"key": {"any_": [f"publication-{pub_id}-history"]}}, "limit": 50},
    )
    assert {a["flow_run_id"] for a in artifacts} == {runs[0]["id"]}
    verify_ledger(warm)


def test_a_dead_step_worker_loses_nothing(warm: PrefectStack) -> None:
    """Decided while no worker ran, and killed holding a run: the item still ends, once."""
    pub_id = submit(warm, "常驻进程中断的检验")
    warm.wait_paused(pub_id, "prereview:r1")
    warm.kill_worker()
    warm.cli("decide", str(pub_id), "approve", "--as", "li.na", "--attest-no-secrets")
    warm.start_worker()  # it catches up on what the ledger says
    run = warm.wait_paused(pub_id, "signoff:r1")

    # As if the step worker had taken the run and died before suspending it again.
    answer = warm.api(
        "POST",
        f"/flow_runs/{run['id']}/set_state",
        {"state": {"type": "RUNNING", "name": "Running", "message": MOVED_ON}},
    )
    assert answer["status"] == "ACCEPT", answer
    warm.kill_worker()
    warm.cli("decide", str(pub_id), "approve", "--as", "zeng.xiang")
    warm.start_worker()
    actions = warm.cli_json("reconcile", "--stale-after", "0")
    assert [a["action"] for a in actions if a["publication_id"] == pub_id] == [
        "crashed",
        "started",
    ]
    decide_at(warm, pub_id, "publication:r1", "zhou.min", "--url", "微博=https://weibo.example/3")
    warm.wait_completed(pub_id)

    assert decisions(warm, pub_id) == EACH_STEP_ONCE
    _opened_once(warm, pub_id)
    _told_once(warm, pub_id)
    verify_ledger(warm)
