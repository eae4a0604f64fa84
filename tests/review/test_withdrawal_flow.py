"""Withdrawing ends the waiting review run, through a real Prefect server and served worker."""

from __future__ import annotations

import subprocess
import sys

import pytest

from models import LedgerKind
from pubreview import db, ledger
from pubreview.settings import PROJECT_ROOT
from tests.support.prefect_stack import PrefectStack

pytestmark = pytest.mark.prefect


def test_a_withdrawn_item_ends_its_run(stack: PrefectStack) -> None:
    pub_id = int(
        stack.cli(
            "submit",
            "--as",
            "zhang.wei",
            "--unit",
            "zonghe",
            "--title",
            "将撤销的信息",
            "--body",
            "正文。",
            "--category",
            "工作动态",
            "--channel",
            "网站",
        ).stdout
    )
    stack.wait_paused(pub_id, "prereview:r1")
    # What the web route runs: withdraw in a transaction, then after its commit the event. In
    # a process of its own: Prefect reads its API address once, at import, and this test
    # process may have imported it for another server.
    script = (
        "from pubreview import db\n"
        "from pubreview.orchestration.after_commit import after_commit\n"
        "from pubreview.review.withdrawal import EVENT, withdraw\n"
        "with db.transaction() as session:\n"
        f"    withdraw(session, {pub_id}, 'zhang.wei', '不再发布')\n"
        f"print(after_commit(EVENT, {pub_id}, actor='zhang.wei', resume=True))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=stack.env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    note = done.stdout.strip().splitlines()[-1]
    # The step worker follows the ledger and ends the run: the hand-off resumes nothing.
    assert note.endswith("is moved on by the step worker"), note
    stack.wait_completed(pub_id)
    status = stack.cli_json("status", str(pub_id))
    assert status["status"] == "withdrawn" and status["waiting_on"] == []
    late = stack.cli(
        "decide", str(pub_id), "approve", "--as", "li.na", "--attest-no-secrets", check=False
    )
    assert late.returncode == 1
    # The ended run told the heads who had been asked to review it.
    engine = db.make_engine(stack.env["PUBREVIEW_DATABASE_URL"])
    with db.transaction(engine) as session:
        told = {
            e.payload.get("recipient")
            for e in ledger.history(session, pub_id)
            if e.kind == LedgerKind.NOTIFIED and e.payload.get("event") == "withdrawn"
        }
    engine.dispose()
    assert told == {"li.na", "wang.fang"}
    assert stack.cli_json("ledger", "verify")["ok"]
