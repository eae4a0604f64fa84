"""Notifications along every path of the chain, through a real SMTP server and a JSON receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind
from pubreview import db, ledger
from pubreview.cli import main
from pubreview.notify.config import ENV_YAML, load_routing
from pubreview.notify.delivery import Delivery, deliver
from pubreview.notify.dispatch import NotifyReport, notify_publication, resend_unsent
from pubreview.notify.messages import message_for
from pubreview.notify.recipients import notice_for
from pubreview.review.status import item_status
from pubreview.review.submission import get, resubmit
from pubreview.review.workflow import Outcome
from pubreview.settings import PROJECT_ROOT
from tests.support.factories import decided, submitted
from tests.support.notify import (
    SMTP_PASSWORD,
    JsonReceiver,
    SmtpServer,
    apprise_yaml,
    email_of,
)
from tests.support.prefect_stack import free_port

PERSONAL_ID = "11010519491231002X"  # a valid 身份证 number: screening flags it


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[JsonReceiver]:
    server = JsonReceiver().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def routed(monkeypatch, tmp_path, smtp: SmtpServer, receiver: JsonReceiver) -> None:
    """Everyone by mail; the leader also by JSON; quick backoff so retries stay fast."""
    monkeypatch.setenv(ENV_YAML, apprise_yaml(smtp.port, receiver.port, ("zeng.xiang",)))
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PUBREVIEW_NOTIFY_BACKOFF_S", "0.01")


def step(engine: Engine, pub_id: int) -> NotifyReport:
    """What the review flow does after a step opens or the item ends."""
    return notify_publication(pub_id, engine=engine)


def subjects(smtp: SmtpServer) -> Counter:
    return Counter((to, m.subject.split("】")[0] + "】") for m in smtp.mails() for to in m.to)


def notified(engine: Engine, pub_id: int) -> list[LedgerEntry]:
    with db.transaction(engine) as session:
        return list(
            session.scalars(
                select(LedgerEntry)
                .where(
                    LedgerEntry.publication_id == pub_id,
                    LedgerEntry.kind == LedgerKind.NOTIFIED,
                )
                .order_by(LedgerEntry.id)
            )
        )


def test_approve_path_reaches_each_stage_then_everyone_involved(
    engine: Engine, smtp: SmtpServer, receiver: JsonReceiver
) -> None:
    pub_id = submitted(
        engine, channels=["网站", "微博"], body=f"联系人身份证号 {PERSONAL_ID}，请核实。"
    )
    step(engine, pub_id)
    (mail,) = smtp.to(email_of("li.na"))
    assert mail.subject.startswith(f"【待初审】#{pub_id} 关于召开全市编办主任会议的通知")
    assert f"pubreview decide {pub_id} approve --as li.na --attest-no-secrets" in mail.text
    assert "1101**********002X" in mail.text and PERSONAL_ID not in mail.text
    assert "/review/" in mail.html  # the personal link
    assert "--as wang.fang --attest-no-secrets" in smtp.to(email_of("wang.fang"))[0].text
    assert smtp.to(email_of("zhang.wei")) == []  # the submitter does not review

    decided(engine, pub_id, "li.na", attest=True, override_reason="已取得本人同意")
    step(engine, pub_id)
    (mail,) = smtp.to(email_of("zeng.xiang"))
    assert mail.subject.startswith("【待审签】")
    assert f"pubreview decide {pub_id} approve --as zeng.xiang" in mail.text
    assert "初审：李娜 同意" in mail.text
    (post,) = receiver.posts["/zeng.xiang"]
    assert post["title"] == mail.subject and "--as zeng.xiang" in post["message"]

    decided(engine, pub_id, "zeng.xiang")
    step(engine, pub_id)
    for center in ("zhou.min", "wu.gang"):
        (mail,) = smtp.to(email_of(center))
        assert mail.subject.startswith("【待发布】")
        assert f"pubreview decide {pub_id} approve --as {center} --url 微博=URL" in mail.text

    decided(engine, pub_id, "zhou.min", urls={"微博": "https://weibo.example/p/1"})
    step(engine, pub_id)
    assert subjects(smtp) == {
        (email_of("li.na"), "【待初审】"): 1,
        (email_of("wang.fang"), "【待初审】"): 1,
        (email_of("zeng.xiang"), "【待审签】"): 1,
        (email_of("zhou.min"), "【待发布】"): 1,
        (email_of("wu.gang"), "【待发布】"): 1,
        (email_of("zhang.wei"), "【已发布】"): 1,
        (email_of("li.na"), "【已发布】"): 1,
        (email_of("zeng.xiang"), "【已发布】"): 1,
    }
    assert "https://weibo.example/p/1" in smtp.to(email_of("zhang.wei"))[0].text
    assert len(receiver.posts["/zeng.xiang"]) == 2


def test_return_reaches_the_submitter_and_the_earlier_approver(
    engine: Engine, smtp: SmtpServer
) -> None:
    pub_id = submitted(engine)
    step(engine, pub_id)
    decided(engine, pub_id, "li.na", attest=True)
    step(engine, pub_id)
    decided(engine, pub_id, "zeng.xiang", Outcome.RETURN, comment="数据需核实")
    step(engine, pub_id)

    (to_submitter,) = [m for m in smtp.to(email_of("zhang.wei"))]
    assert to_submitter.subject.startswith("【退回修改】")
    assert "数据需核实" in to_submitter.text and "审签：曾翔 退回修改" in to_submitter.text
    assert f"pubreview resubmit {pub_id} --as zhang.wei --body-file" in to_submitter.text
    returned = [m for m in smtp.to(email_of("li.na")) if m.subject.startswith("【退回修改】")]
    assert len(returned) == 1 and "数据需核实" in returned[0].text
    assert "pubreview resubmit" not in returned[0].text
    assert [m.subject[:6] for m in smtp.to(email_of("wang.fang"))] == ["【待初审】#"]

    with db.transaction(engine) as session:
        resubmit(session, pub_id, "zhang.wei", title=None, body="核实后的正文。", attachments=None)
    step(engine, pub_id)
    again = [m for m in smtp.to(email_of("wang.fang")) if "第2稿" in m.subject]
    assert len(again) == 1 and again[0].subject.startswith("【待初审】")


def test_reject_reaches_the_submitter_and_only_earlier_approvers(
    engine: Engine, smtp: SmtpServer
) -> None:
    first = submitted(engine)
    step(engine, first)
    decided(engine, first, "wang.fang", Outcome.REJECT, comment="涉及内部事务")
    step(engine, first)
    rejected = [m for m in smtp.mails() if m.subject.startswith("【不予发布】")]
    assert [m.to for m in rejected] == [[email_of("zhang.wei")]]
    assert "涉及内部事务" in rejected[0].text and "初审：王芳 不予发布" in rejected[0].text

    second = submitted(engine, title="第二条信息")
    step(engine, second)
    decided(engine, second, "li.na", attest=True)
    step(engine, second)
    decided(engine, second, "zeng.xiang", Outcome.REJECT, comment="时机不宜")
    step(engine, second)
    rejected = [m for m in smtp.mails() if m.subject.startswith(f"【不予发布】#{second}")]
    assert sorted(to for m in rejected for to in m.to) == [
        email_of("li.na"),
        email_of("zhang.wei"),
    ]


def test_a_title_with_markup_arrives_escaped_in_html(engine: Engine, smtp: SmtpServer) -> None:
    pub_id = submitted(engine, title="<script>alert('x')</script>通知")
    step(engine, pub_id)
    mail = smtp.to(email_of("li.na"))[0]
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;通知" in mail.html
    assert "<script>alert('x')</script>通知" in mail.subject


def test_dead_smtp_server_records_failures_and_never_blocks_the_review(
    engine: Engine, smtp: SmtpServer, monkeypatch, capsys
) -> None:
    smtp.stop()
    pub_id = submitted(engine)
    report = step(engine, pub_id)  # returns: the step completes with the server down
    assert sorted(report.failed) == ["li.na", "wang.fang"]
    entries = notified(engine, pub_id)
    # Each delivery is claimed once, then tried three times; the last failure releases it.
    assert [(e.payload["recipient"], e.outcome) for e in entries if e.outcome == "claimed"] == [
        ("li.na", "claimed"),
        ("wang.fang", "claimed"),
    ]
    attempts = [e for e in entries if e.outcome != "claimed"]
    assert [(e.payload["recipient"], e.payload["attempt"], e.outcome) for e in attempts] == [
        ("li.na", 1, "failed"),
        ("li.na", 2, "failed"),
        ("li.na", 3, "failed"),
        ("wang.fang", 1, "failed"),
        ("wang.fang", 2, "failed"),
        ("wang.fang", 3, "failed"),
    ]
    assert all("Connection refused" in e.payload["error"] for e in attempts)
    assert all(SMTP_PASSWORD not in json.dumps(e.payload) for e in attempts)
    assert all("****" in e.payload["service"] for e in attempts)

    with db.transaction(engine) as session:
        status = item_status(session, get(session, pub_id))
    assert status.failed_notifications == 2
    assert "prereview r1 → li.na via mailto://" in status.notification_failures[0]
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["status", str(pub_id)]) == 0
    assert "! notification not delivered: prereview r1 → wang.fang" in capsys.readouterr().out

    # The decision does not depend on the mail; with the server back, the next step goes out.
    decided(engine, pub_id, "li.na", attest=True)
    smtp.start()
    step(engine, pub_id)
    (mail,) = smtp.mails()
    assert mail.to == [email_of("zeng.xiang")] and mail.subject.startswith("【待审签】")
    with db.transaction(engine) as session:
        assert ledger.verify(session).ok


def test_running_again_sends_nothing_twice(engine: Engine, smtp: SmtpServer) -> None:
    pub_id = submitted(engine)
    for _ in range(3):  # first run, a resume without a decision, a rerun after a crash
        step(engine, pub_id)
    assert len(smtp.mails()) == 2
    sent = [e for e in notified(engine, pub_id) if e.outcome == "sent"]
    assert len(sent) == 2 and all(e.dedupe_key for e in sent)
    assert step(engine, pub_id).attempts == 0


def test_a_failed_service_is_retried_by_a_later_run_of_the_same_step(
    engine: Engine, smtp: SmtpServer, monkeypatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_NOTIFY_ATTEMPTS", "1")
    smtp.stop()
    pub_id = submitted(engine)
    step(engine, pub_id)
    smtp.start()
    step(engine, pub_id)  # the run resumed without a decision: the step is still open
    assert sorted(to for m in smtp.mails() for to in m.to) == [
        email_of("li.na"),
        email_of("wang.fang"),
    ]
    with db.transaction(engine) as session:
        assert item_status(session, get(session, pub_id)).failed_notifications == 0


def test_a_broken_configuration_is_recorded_and_the_review_goes_on(
    engine: Engine, smtp: SmtpServer, monkeypatch
) -> None:
    monkeypatch.setenv(ENV_YAML, "version: 1\nurls:\n  - nosuchschema://x\n")
    pub_id = submitted(engine)
    report = step(engine, pub_id)
    assert sorted(report.failed) == ["li.na", "wang.fang"]
    with db.transaction(engine) as session:
        failures = item_status(session, get(session, pub_id)).notification_failures
    assert len(failures) == 2 and all("no service loaded" in f for f in failures)
    decided(engine, pub_id, "li.na", attest=True)
    assert smtp.mails() == []


def test_nothing_matched_is_misrouting_until_a_target_reaches_the_person(
    engine: Engine, smtp: SmtpServer
) -> None:
    pub_id = submitted(engine)
    delivery = Delivery(pub_id, 1, "prereview", "prereview", "li.na")
    with db.transaction(engine) as session:
        routing = load_routing(session)
        notice = notice_for(session, get(session, pub_id))
        message = message_for(session, notice, notice.recipients[0])
    (result,) = deliver(delivery, message, [], engine=engine)
    assert result.outcome == "misrouted"
    deliver(delivery, message, [], engine=engine)  # recorded once, however often it happens
    with db.transaction(engine) as session:
        (failure,) = item_status(session, get(session, pub_id)).notification_failures
    assert failure.startswith("prereview r1 → li.na: misrouted")
    assert [e.outcome for e in notified(engine, pub_id)] == ["misrouted"]

    (result,) = deliver(delivery, message, routing.targets("li.na"), engine=engine)
    assert result.outcome == "sent" and len(smtp.to(email_of("li.na"))) == 1
    with db.transaction(engine) as session:
        assert item_status(session, get(session, pub_id)).notification_failures == []


def test_senders_racing_on_the_same_step_send_each_message_once(
    engine: Engine, smtp: SmtpServer
) -> None:
    """The decision's hand-off and the review run (and a rerun) notify the same step at once."""
    pub_id = submitted(engine)
    start = threading.Barrier(4)

    def sender() -> NotifyReport:
        start.wait()
        return notify_publication(pub_id, engine=engine)

    with ThreadPoolExecutor(4) as pool:
        reports = [f.result() for f in [pool.submit(sender) for _ in range(4)]]
    assert sorted(to for m in smtp.mails() for to in m.to) == [
        email_of("li.na"),
        email_of("wang.fang"),
    ]
    outcomes = Counter(o.outcome for r in reports for found in r.outcomes.values() for o in found)
    assert outcomes["sent"] == 2 and set(outcomes) <= {"sent", "elsewhere", "already"}
    assert all(not r.failed for r in reports)
    entries = notified(engine, pub_id)
    assert Counter(e.outcome for e in entries) == {"claimed": 2, "sent": 2}
    with db.transaction(engine) as session:
        assert ledger.verify(session).ok


class StallingReceiver:
    """Apprise's json:// posts to an HTTP server that never answers while `stalling` is set.

    A stalled post is not counted: its sender is killed waiting, so nobody was told.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.answered: list[dict] = []
        self.stalled = threading.Event()  # a post arrived and is being held
        self.stalling = True
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server hook
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if receiver.stalling:
                    receiver.stalled.set()
                    receiver._release.wait(60)
                    return
                receiver.answered.append(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Let go of a held post and shut down."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


# A sender in a process of its own: notify the item with a lease of LEASE_S, and stall on
# the first service that does not answer until the test kills it.
SENDER = """
import sys
from pubreview.notify.delivery import RetryPolicy
from pubreview.notify.dispatch import notify_publication
notify_publication(int(sys.argv[1]), policy=RetryPolicy(attempts=1, lease_s=float(sys.argv[2])))
"""
LEASE_S = 3.0


def test_a_message_claimed_by_a_sender_that_died_is_sent_by_the_reconcile_pass(
    engine: Engine, smtp: SmtpServer, monkeypatch
) -> None:
    stalling = StallingReceiver()
    try:
        yaml = apprise_yaml(smtp.port, stalling.port, ("li.na",))
        monkeypatch.setenv(ENV_YAML, yaml)
        pub_id = submitted(engine)
        url = engine.url.render_as_string(hide_password=False)
        child = subprocess.Popen(
            [sys.executable, "-c", SENDER, str(pub_id), str(LEASE_S)],
            env={**os.environ, "PUBREVIEW_DATABASE_URL": url},
            cwd=PROJECT_ROOT,
        )
        try:
            assert stalling.stalled.wait(60), "the sender never reached the stalling service"
        finally:
            child.kill()
            child.wait()
        claimed = [e for e in notified(engine, pub_id) if e.outcome == "claimed"]
        assert len(claimed) >= 1 and claimed[-1].payload["service"].startswith("json://")

        stalling.stalling = False
        # Within the dead sender's lease, nobody else sends: it might still be sending.
        assert all(not r.attempts for r in resend_unsent(engine=engine).values())
        assert stalling.answered == []
        with db.snapshot(engine) as session:
            assert item_status(session, get(session, pub_id)).notification_failures == []

        time.sleep(LEASE_S)
        (report,) = resend_unsent(engine=engine).values()
        assert not report.failed
        assert len(stalling.answered) == 1
        assert sorted(to for m in smtp.mails() for to in m.to) == [
            email_of("li.na"),
            email_of("wang.fang"),
        ]
        assert resend_unsent(engine=engine) == {}  # settled: the next pass has nothing to do
        with db.snapshot(engine) as session:
            assert item_status(session, get(session, pub_id)).notification_failures == []
            assert ledger.verify(session).ok
    finally:
        stalling.stop()
