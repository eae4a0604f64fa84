"""Notifications through the real review flow: a real Prefect server, worker and outbox plugin."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.support.prefect_stack import PrefectStack, wait_until
from tests.support.review_flow import submit, verify


def outbox(stack: PrefectStack, pub_id: int) -> Counter:
    """(recipient, subject tag) of each outbox message about this publication."""
    return Counter(
        (m["to"], m["title"].split("】")[0] + "】")
        for m in stack.cli_json("outbox")
        if m["title"].split(" ")[0].endswith(f"#{pub_id}")
    )


def history_artifact(stack: PrefectStack, pub_id: int) -> str:
    """The latest markdown of the publication's history artifact."""
    found = stack.api(
        "POST",
        "/artifacts/latest/filter",
        {"artifacts": {"key": {"any_": [f"publication-{pub_id}-history"]}}},
    )
    return found[0]["data"]


def test_flow_notifies_each_step_once_and_shows_what_failed(stack: PrefectStack) -> None:
    # wang.fang's outbox folder cannot be created: a real delivery failure for one recipient.
    blocker = Path(stack.env["PUBREVIEW_DATA_DIR"]) / "outbox" / "wang.fang"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    # Earlier tests on this stack may have delivered to wang.fang: keep that folder aside.
    kept = blocker.with_name("wang.fang.kept")
    if blocker.is_dir():
        blocker.rename(kept)
    blocker.write_text("not a folder")
    try:
        pub_id = submit(stack, "关于印发《政务公开工作要点》的通知")
        stack.wait_paused(pub_id, "prereview:r1")
        # The run may wait before the sender's last try (the submission's hand-off may be the
        # one sending): keep the folder blocked until every attempt is recorded.
        wait_until(
            lambda: any(
                "after 3 attempt(s)" in failure
                for failure in stack.cli_json("status", str(pub_id))["notification_failures"]
            ),
            60,
            "wang.fang's delivery to fail three times",
        )
    finally:
        blocker.unlink()
        if kept.exists():
            kept.rename(blocker)
    assert outbox(stack, pub_id) == {("li.na", "【待初审】"): 1}
    status = stack.cli_json("status", str(pub_id))
    assert status["failed_notifications"] == 1
    assert "prereview r1 → wang.fang" in status["notification_failures"][0]
    assert "after 3 attempt(s)" in status["notification_failures"][0]
    assert "通知未送达" in history_artifact(stack, pub_id)

    stack.cli("decide", str(pub_id), "approve", "--as", "li.na", "--attest-no-secrets")
    stack.wait_paused(pub_id, "signoff:r1")
    # Kill the worker while it moves the run on; reconcile starts it again from the top.
    stack.crash_worker_mid_run(pub_id, str(pub_id), "approve", "--as", "zeng.xiang")
    stack.wait_paused(pub_id, "publication:r1")
    stack.cli(
        "decide",
        str(pub_id),
        "approve",
        "--as",
        "zhou.min",
        "--url",
        "微博=https://weibo.example/9",
    )
    stack.wait_completed(pub_id)

    assert outbox(stack, pub_id) == {
        ("li.na", "【待初审】"): 1,
        ("zeng.xiang", "【待审签】"): 1,
        ("zhou.min", "【待发布】"): 1,
        ("wu.gang", "【待发布】"): 1,
        ("zhang.wei", "【已发布】"): 1,
        ("li.na", "【已发布】"): 1,
        ("zeng.xiang", "【已发布】"): 1,
    }
    (published,) = [
        m
        for m in stack.cli_json("outbox", "--to", "zhang.wei")
        if m["title"].startswith(f"【已发布】#{pub_id} ")
    ]
    assert "https://weibo.example/9" in published["body"]
    verify(stack)
