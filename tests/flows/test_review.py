"""The approval chain end to end through a real Prefect server and a served deployment."""

from __future__ import annotations

from collections import Counter

import pytest

from models import LedgerKind
from pubreview import db
from pubreview.review.decisions import DecisionRequest, decide
from pubreview.review.workflow import Outcome
from tests.support.prefect_stack import PrefectStack, wait_until
from tests.support.review_flow import (
    approve_through,
    decide_at,
    decisions,
    entries_of,
    submit,
    verify,
)

# One decision at each step of the default chain, on the first revision.
EACH_STEP_ONCE = {(1, "prereview"): 1, (1, "signoff"): 1, (1, "publication"): 1}
# The approve and the return-and-resubmit paths run on both ledgers; the rest of the flow's
# paths only on SQLite: the run's logic does not depend on the database, whose own races and
# locks are tested beside the ledger (tests/ledger, tests/review) and end to end on PostgreSQL
# by the scale-out test. It keeps the suite within its time budget.
SQLITE_ONLY = pytest.mark.parametrize("stack", ["sqlite"], indirect=True)


def test_approve_path(stack: PrefectStack) -> None:
    pub_id = submit(stack, "关于召开政务公开工作会议的通知")
    approve_through(stack, pub_id)
    status = stack.cli_json("status", str(pub_id))
    assert status["status"] == "published"
    assert status["channel_status"]["微博"] == "https://weibo.example/post/1"
    assert status["channel_status"]["网站"].endswith(f"/articles/{pub_id}.html")
    assert decisions(stack, pub_id) == EACH_STEP_ONCE
    runs = stack.run_of(pub_id)
    assert len(runs) == 1 and runs[0]["name"].startswith(f"#{pub_id} ")
    assert {"unit:zonghe", "category:工作动态", f"publication:{pub_id}"} <= set(runs[0]["tags"])
    verify(stack)


def test_return_and_resubmit_path(stack: PrefectStack) -> None:
    pub_id = submit(stack, "业务工作动态（初稿）")
    decide_at(stack, pub_id, "prereview:r1", "li.na", "--attest-no-secrets")
    decide_at(
        stack, pub_id, "signoff:r1", "zeng.xiang", "--comment", "数据需核实", outcome="return"
    )
    stack.wait_paused(pub_id, "returned:r1")
    status = stack.cli_json("status", str(pub_id))
    assert status["status"] == "returned" and status["waiting_on"] == ["zhang.wei"]
    refused = stack.cli("resubmit", str(pub_id), "--as", "li.na", "--body", "改", check=False)
    assert refused.returncode == 1 and "只能由其报送人" in refused.stderr
    stack.cli("resubmit", str(pub_id), "--as", "zhang.wei", "--body", "核实后的正文。")
    approve_through(stack, pub_id, revision=2)
    assert decisions(stack, pub_id) == {
        (1, "prereview"): 1,
        (1, "signoff"): 1,
        (2, "prereview"): 1,
        (2, "signoff"): 1,
        (2, "publication"): 1,
    }
    verify(stack)


@SQLITE_ONLY
def test_reject_path(stack: PrefectStack) -> None:
    pub_id = submit(stack, "不宜公开的内容")
    stack.wait_paused(pub_id, "prereview:r1")
    stack.cli("decide", str(pub_id), "reject", "--as", "wang.fang", "--comment", "涉及内部事务")
    stack.wait_completed(pub_id)
    assert stack.cli_json("status", str(pub_id))["status"] == "rejected"
    late = stack.cli("decide", str(pub_id), "approve", "--as", "zeng.xiang", check=False)
    assert late.returncode == 1 and "「不予发布」" in late.stderr
    assert decisions(stack, pub_id) == {(1, "prereview"): 1}
    verify(stack)


@SQLITE_ONLY
def test_a_closed_item_whose_run_failed_is_finished_by_reconcile(stack: PrefectStack) -> None:
    """The run fails after the item's last decision (the database went away): reconcile starts
    one run that finishes it, and leaves it alone once a run has."""
    pub_id = submit(stack, "收尾失败的检验")
    stack.wait_paused(pub_id, "prereview:r1")
    stack.cli("decide", str(pub_id), "reject", "--as", "wang.fang", "--comment", "不宜公开")
    run = stack.wait_completed(pub_id)
    answer = stack.api(
        "POST",
        f"/flow_runs/{run['id']}/set_state",
        {"state": {"type": "FAILED", "name": "Failed", "message": "database gone"}, "force": True},
    )
    assert answer["status"] == "ACCEPT", answer

    actions = [a for a in stack.cli_json("reconcile") if a["publication_id"] == pub_id]
    assert [(a["action"], a["detail"]) for a in actions] == [
        ("started", "finishes: its run FAILED")
    ]
    wait_until(
        lambda: (
            sorted((r["state"] or {}).get("type") for r in stack.run_of(pub_id))
            == ["COMPLETED", "FAILED"]
        ),
        90,
        "the finishing run to complete",
    )
    assert not [a for a in stack.cli_json("reconcile") if a["publication_id"] == pub_id]
    told = Counter(
        (e.payload["recipient"], e.payload["event"])
        for e in entries_of(stack, pub_id)
        if e.kind == LedgerKind.NOTIFIED and e.outcome == "sent"
    )
    assert told and set(told.values()) == {1}, told  # nobody told twice
    assert decisions(stack, pub_id) == {(1, "prereview"): 1}
    verify(stack)


@SQLITE_ONLY
def test_killed_worker_and_lost_hand_off_recover(stack: PrefectStack) -> None:
    """SIGKILL the worker while it moves a run on, then lose a decision's hand-off: the step
    worker follows the ledger and reconcile restarts what the dead one left Running."""
    pub_id = submit(stack, "关于机构编制工作的信息")
    stack.wait_paused(pub_id, "prereview:r1")
    stack.crash_worker_mid_run(
        pub_id, str(pub_id), "approve", "--as", "li.na", "--attest-no-secrets"
    )
    stack.wait_paused(pub_id, "signoff:r1")

    # A decision recorded but never handed off (the deciding process died before its event).
    with db.transaction(db.make_engine(stack.env["PUBREVIEW_DATABASE_URL"])) as session:
        decide(session, DecisionRequest(pub_id, "zeng.xiang", Outcome.APPROVE))
    stack.wait_paused(pub_id, "publication:r1")
    actions = stack.cli_json("reconcile")
    assert [a for a in actions if a["publication_id"] == pub_id] == []  # nothing left to fix
    decide_at(stack, pub_id, "publication:r1", "wu.gang")
    stack.wait_completed(pub_id)

    assert decisions(stack, pub_id) == EACH_STEP_ONCE
    opened = Counter(
        e.stage for e in entries_of(stack, pub_id) if e.kind == LedgerKind.STAGE_OPENED
    )
    assert opened == {"prereview": 1, "signoff": 1, "publication": 1}
    verify(stack)


@SQLITE_ONLY
def test_a_run_killed_after_the_last_decision_is_finished_by_reconcile(
    stack: PrefectStack,
) -> None:
    """The worker dies while the run puts the item on the site: a new run finishes it, once."""
    pub_id = submit(stack, "发布环节中断的检验")
    decide_at(stack, pub_id, "prereview:r1", "li.na", "--attest-no-secrets")
    decide_at(stack, pub_id, "signoff:r1", "zeng.xiang")
    stack.wait_paused(pub_id, "publication:r1")
    # kill -9 while the run moves on to the site, restart, reconcile --stale-after 0
    stack.crash_worker_mid_run(
        pub_id, str(pub_id), "approve", "--as", "zhou.min", "--url", "微博=https://weibo.example/9"
    )
    stack.wait_completed(pub_id)

    kinds = Counter(e.kind for e in entries_of(stack, pub_id))
    assert kinds[LedgerKind.PUBLISHED] == 2  # 微博 at the decision, 网站 by the run
    told = Counter(
        e.payload["recipient"]
        for e in entries_of(stack, pub_id)
        if e.kind == LedgerKind.NOTIFIED
        and e.outcome == "sent"
        and e.payload["event"] == "published"
    )
    assert told and set(told.values()) == {1}, told  # everyone told of it, once
    assert decisions(stack, pub_id) == EACH_STEP_ONCE
    verify(stack)


@SQLITE_ONLY
def test_a_second_run_for_the_same_item_repeats_nothing(stack: PrefectStack) -> None:
    """Two review runs of one item (a duplicate trigger, a manual rerun): no step twice."""
    pub_id = submit(stack, "重复运行的检验")
    stack.wait_paused(pub_id, "prereview:r1")
    dep = stack.api("GET", "/deployments/name/review-publication/review-publication")
    stack.api(
        "POST",
        f"/deployments/{dep['id']}/create_flow_run",
        {"parameters": {"publication_id": pub_id}},
    )
    wait_until(
        lambda: (
            len([r for r in stack.run_of(pub_id) if (r["state"] or {}).get("type") == "PAUSED"])
            == 2
        ),
        90,
        "both runs to wait",
    )
    approve_through(stack, pub_id)
    # The run that was not resumed still waits on 初审; reconcile wakes it and it finishes.
    actions = stack.cli_json("reconcile")
    assert [a["action"] for a in actions if a["publication_id"] == pub_id] == ["resumed"]
    wait_until(
        lambda: (
            [(r["state"] or {}).get("type") for r in stack.run_of(pub_id)]
            == ["COMPLETED", "COMPLETED"]
        ),
        90,
        "both runs to complete",
    )
    assert decisions(stack, pub_id) == EACH_STEP_ONCE
    kinds = Counter(e.kind for e in entries_of(stack, pub_id))
    assert kinds[LedgerKind.STAGE_OPENED] == 3 and kinds[LedgerKind.PUBLISHED] == 2
    verify(stack)


@SQLITE_ONLY
def test_scheduled_publication_goes_out_at_its_time(stack: PrefectStack) -> None:
    """定时发布: approved with a publish time, the item goes out then and not before."""
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    pub_id = submit(stack, "定时发布的信息")
    decide_at(stack, pub_id, "prereview:r1", "li.na", "--attest-no-secrets")
    decide_at(stack, pub_id, "signoff:r1", "zeng.xiang")
    stack.wait_paused(pub_id, "publication:r1")
    # Far enough out that a slow resume on a busy machine still finds the time ahead of it.
    at = datetime.now(UTC) + timedelta(seconds=45)
    stack.cli(
        "decide",
        str(pub_id),
        "approve",
        "--as",
        "zhou.min",
        "--url",
        "微博=https://weibo.example/post/9",
        "--publish-at",
        at.isoformat(),
    )
    status = stack.cli_json("status", str(pub_id))
    assert status["status"] == "scheduled" and status["publish_at"]
    article = Path(stack.env["PUBREVIEW_DATA_DIR"]) / "site" / "articles" / f"{pub_id}.html"
    # The review run hands over to a release run of the same deployment and ends.
    wait_until(lambda: len(stack.run_of(pub_id)) == 2, 90, "the release run to be created")
    assert stack.cli_json("status", str(pub_id))["status"] == "scheduled"
    assert not article.exists()
    wait_until(
        lambda: stack.cli_json("status", str(pub_id))["status"] == "published",
        180,
        "the item to go out",
    )
    assert datetime.now(UTC) >= at
    wait_until(article.exists, 60, "the article page")
    wait_until(
        lambda: (
            [(r["state"] or {}).get("type") for r in stack.run_of(pub_id)]
            == ["COMPLETED", "COMPLETED"]
        ),
        120,
        "both runs to complete",
    )
    assert decisions(stack, pub_id)[(1, "publication")] == 1
    verify(stack)
