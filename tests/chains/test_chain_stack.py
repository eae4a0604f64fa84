"""A four-step chain (初审 → 保密审查 → 审签 → 中心发布) through a real Prefect server and worker,
chosen by category and by grade (信息等级 敏感).

The worker is started without PUBREVIEW_CHAINS: it follows the chain the ledger recorded at
submission, which is the point — only the submitting command reads the chains file.
"""

from __future__ import annotations

import os
import random
import time

import pytest

from models import LedgerKind
from pubreview.notify.entries import Notified
from pubreview.review.entries import Decided
from tests.chains.conftest import FIXTURES, SAMPLE_CHAINS
from tests.support.prefect_stack import PrefectStack, wait_until
from tests.support.review_flow import decide_at, decisions, entries_of, submit, verify

pytestmark = pytest.mark.prefect


@pytest.fixture
def chain_stack(stack: PrefectStack) -> PrefectStack:
    """The stack with the 保密办 and the legal office in its organisation."""
    stack.cli("org", "load", str(FIXTURES / "org.yaml"))
    return stack


def settled(stack: PrefectStack, pub_id: int, step: str) -> tuple[list[str], set[str]]:
    """The steps the run waited on, in order, and whom the ledger says it told of `step`."""
    entries = entries_of(stack, pub_id)
    opened = [e.stage for e in entries if e.kind == LedgerKind.STAGE_OPENED]
    told = {
        Notified.from_payload(e.payload).recipient
        for e in entries
        if e.kind == LedgerKind.NOTIFIED and e.stage == step
    }
    return opened, told


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_secrecy_chain_end_to_end(chain_stack: PrefectStack) -> None:
    stack = chain_stack
    pub_id = submit(
        stack,
        "关于公开政务信息的说明",
        body="说明的正文。",
        category="政务公开",
        channels=("网站",),
        chains=SAMPLE_CHAINS,
    )
    # A 工作动态 would take the default chain; graded 敏感 it takes the 保密审查 too.
    graded = submit(
        stack,
        "关于敏感事项的说明",
        channels=("网站",),
        chains=SAMPLE_CHAINS,
        grade="敏感",
    )
    decide_at(stack, pub_id, "prereview:r1", "li.na", "--attest-no-secrets")
    stack.wait_paused(pub_id, "secrecy:r1")
    assert stack.cli_json("status", str(pub_id))["waiting_on"] == ["bao.an"]
    refused = stack.cli("decide", str(pub_id), "approve", "--as", "zeng.xiang", check=False)
    assert refused.returncode == 1 and "保密审查不由您决定" in refused.stderr
    stack.cli("decide", str(pub_id), "approve", "--as", "bao.an")
    decide_at(stack, pub_id, "signoff:r1", "zeng.xiang")
    decide_at(stack, pub_id, "publication:r1", "zhou.min")
    stack.wait_completed(pub_id)

    assert stack.cli_json("status", str(pub_id))["status"] == "published"
    shown = stack.cli_json("chain", "show", str(pub_id))
    assert shown["chain"] == "secrecy"
    assert [s["id"] for s in shown["steps"]] == ["prereview", "secrecy", "signoff", "publication"]
    assert decisions(stack, pub_id) == {
        (1, "prereview"): 1,
        (1, "secrecy"): 1,
        (1, "signoff"): 1,
        (1, "publication"): 1,
    }
    # The run waited on the 保密审查, and whoever it told of it is its reviewer.
    opened, told = settled(stack, pub_id, "secrecy")
    assert opened == ["prereview", "secrecy", "signoff", "publication"]
    assert told <= {"bao.an"}

    # The graded item: its run follows the chain its grade chose, past 初审 to the 保密审查.
    assert stack.cli_json("chain", "show", str(graded))["chain"] == "secrecy"
    decide_at(stack, graded, "prereview:r1", "li.na", "--attest-no-secrets")
    stack.wait_paused(graded, "secrecy:r1")
    assert stack.cli_json("status", str(graded))["waiting_on"] == ["bao.an"]
    verify(stack)


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_two_of_three_countersign_end_to_end(chain_stack: PrefectStack) -> None:
    stack = chain_stack
    pub_id = submit(
        stack,
        "关于联合发文的说明",
        body="须三个部门会签。",
        channels=("网站",),
        chains=FIXTURES / "countersign.yaml",
    )
    decide_at(stack, pub_id, "prereview:r1", "li.na", "--attest-no-secrets")
    waiting = stack.wait_paused(pub_id, "huiqian:r1")
    assert stack.cli_json("status", str(pub_id))["waiting_on"] == ["bao.an", "chen.jing", "sun.li"]
    first = stack.cli_json("decide", str(pub_id), "approve", "--as", "chen.jing")
    assert (first["next_stage"], first["event"]) == (
        "huiqian",
        "publication.huiqian.member_approved",
    )
    # One member's decision resumes nothing: the same run waits on the same pause.
    still = stack.wait_paused(pub_id, "huiqian:r1")
    assert still["id"] == waiting["id"]
    assert (
        still["state"]["state_details"]["pause_key"]
        == waiting["state"]["state_details"]["pause_key"]
    )
    assert stack.cli_json("status", str(pub_id))["waiting_on"] == ["bao.an", "sun.li"]
    stack.cli("decide", str(pub_id), "approve", "--as", "sun.li")
    decide_at(stack, pub_id, "signoff:r1", "zeng.xiang")
    decide_at(stack, pub_id, "publication:r1", "zhou.min")
    stack.wait_completed(pub_id)

    assert len(stack.run_of(pub_id)) == 1
    members = [
        (e.actor, Decided.from_payload(e.payload).countersign.settles)
        for e in entries_of(stack, pub_id)
        if e.kind == LedgerKind.DECIDED and e.stage == "huiqian"
    ]
    assert members == [("chen.jing", None), ("sun.li", "approve")]
    opened, told = settled(stack, pub_id, "huiqian")
    assert opened == ["prereview", "huiqian", "signoff", "publication"]
    assert told <= {"bao.an", "chen.jing", "sun.li"}
    verify(stack)


@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_worker_killed_at_random_during_a_countersign(chain_stack: PrefectStack) -> None:
    """kill -9 the worker at random moments of a 2-of-3 会签: each member's decision is recorded
    exactly once, the step completes once, and the item goes on to publication."""
    stack = chain_stack
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    note = f"random seed {seed}"
    pub_id = submit(
        stack,
        "关于联合发文的说明（进程中断检验）",
        body="须三个部门会签。",
        channels=("网站",),
        chains=FIXTURES / "countersign.yaml",
    )
    decide_at(stack, pub_id, "prereview:r1", "li.na", "--attest-no-secrets")
    waiting = stack.wait_paused(pub_id, "huiqian:r1")

    # A member decides; the worker dies at some moment after, and comes back.
    stack.cli("decide", str(pub_id), "approve", "--as", "chen.jing")
    time.sleep(rng.uniform(0, 2))
    stack.kill_worker()
    stack.start_worker()
    # The same decision again is a no-op; the run still waits on the same pause.
    again = stack.cli_json("decide", str(pub_id), "approve", "--as", "chen.jing")
    assert again["recorded"] is False, note
    assert stack.wait_paused(pub_id, "huiqian:r1")["id"] == waiting["id"], note

    # The deciding member: the resumed run is killed at a random moment while it works.
    stack.cli("decide", str(pub_id), "approve", "--as", "sun.li")
    wait_until(
        lambda: (
            any(
                (r["state"] or {}).get("type") in ("RUNNING", "PENDING", "SCHEDULED")
                for r in stack.run_of(pub_id)
            )
            or stack.cli_json("status", str(pub_id))["stage"] != "huiqian"
        ),
        60,
        "the resumed run to start",
        every=0.05,
    )
    time.sleep(rng.uniform(0, 1.5))
    stack.kill_worker()
    stack.start_worker()
    stack.cli("reconcile", "--stale-after", "0")
    # The third member has nothing left to decide: the step completed.
    late = stack.cli("decide", str(pub_id), "approve", "--as", "bao.an", check=False)
    assert late.returncode == 1, (note, late.stdout, late.stderr)
    decide_at(stack, pub_id, "signoff:r1", "zeng.xiang")
    decide_at(stack, pub_id, "publication:r1", "zhou.min")
    stack.wait_completed(pub_id)

    entries = entries_of(stack, pub_id)
    members = [
        (e.actor, Decided.from_payload(e.payload).countersign.settles)
        for e in entries
        if e.kind == LedgerKind.DECIDED and e.stage == "huiqian"
    ]
    assert members == [("chen.jing", None), ("sun.li", "approve")], note
    assert decisions(stack, pub_id) == {
        (1, "prereview"): 1,
        (1, "huiqian"): 2,
        (1, "signoff"): 1,
        (1, "publication"): 1,
    }, note
    opened = [e.stage for e in entries if e.kind == LedgerKind.STAGE_OPENED]
    assert opened == ["prereview", "huiqian", "signoff", "publication"], note
    assert stack.cli_json("status", str(pub_id))["status"] == "published", note
    verify(stack)
