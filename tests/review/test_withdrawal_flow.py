"""Withdrawing ends the waiting review run, through a real Prefect server and served worker."""

from __future__ import annotations

import pytest

from pubreview import db
from pubreview.orchestration.after_commit import after_commit
from pubreview.review.withdrawal import EVENT, withdraw
from tests.support.prefect_stack import PrefectStack

pytestmark = pytest.mark.prefect


def test_a_withdrawn_item_ends_its_run(
    stack: PrefectStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PUBREVIEW_DATABASE_URL", "PUBREVIEW_DATA_DIR", "PREFECT_API_URL"):
        monkeypatch.setenv(name, stack.env[name])
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
    engine = db.make_engine(stack.env["PUBREVIEW_DATABASE_URL"])
    with db.transaction(engine) as session:
        withdraw(session, pub_id, "zhang.wei", "不再发布")
    engine.dispose()
    # What the web route runs after its commit: the event, then the resume.
    note = after_commit(EVENT, pub_id, actor="zhang.wei", resume=True)
    assert note.startswith("resumed review run"), note
    stack.wait_completed(pub_id)
    status = stack.cli_json("status", str(pub_id))
    assert status["status"] == "withdrawn" and status["waiting_on"] == []
    late = stack.cli(
        "decide", str(pub_id), "approve", "--as", "li.na", "--attest-no-secrets", check=False
    )
    assert late.returncode == 1
    assert stack.cli_json("ledger", "verify")["ok"]
