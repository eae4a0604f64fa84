"""Time pubreview's delivery (render once, send, ledger entry per attempt) against plain Apprise.

Both send the same rendered message to a loopback SMTP server (aiosmtpd), each message
through a freshly built service, as the review flow does once per step. The difference is
what pubreview adds: the dedupe check before the send and the hash-chained ledger entry after.

Run: .venv/bin/python benchmarks/notify.py [--messages 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import apprise
from aiosmtpd.controller import Controller

from pubreview import db, migrate
from pubreview.accounts.org import load_org
from pubreview.notify.delivery import Delivery, RetryPolicy, deliver
from pubreview.notify.messages import message_for
from pubreview.notify.recipients import notice_for
from pubreview.review.submission import Draft, submit
from pubreview.settings import PROJECT_ROOT

SAMPLE_ORG = PROJECT_ROOT / "config" / "sample-org.yaml"


class Counting:
    """An SMTP handler that only counts what it accepts."""

    def __init__(self) -> None:
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        self.accepted += 1
        return "250 OK"


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rate(count: int, seconds: float) -> float:
    """Messages per second."""
    return count / seconds if seconds else float("inf")


def main() -> int:
    """Send N messages each way and print both rates and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--database-url", help="ledger database (default: a fresh SQLite file)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pubreview-bench-notify-"))
    os.environ["PUBREVIEW_DATA_DIR"] = str(work)  # the signed-link secret lives here
    url = args.database_url or f"sqlite:///{work / 'ledger.db'}"
    migrate.upgrade(url)
    engine = db.make_engine(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
        pub = submit(
            session,
            Draft(
                "关于召开全市编办主任会议的通知",
                "会议内容如下。",
                "工作动态",
                ["网站"],
                "zonghe",
                "zhang.wei",
            ),
        )
        notice = notice_for(session, pub)
        message = message_for(session, notice, notice.recipients[0])
        pub_id = pub.id

    handler = Counting()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    target = (
        f"mailto://bench@127.0.0.1:{smtp.port}"
        "?mode=insecure&from=pubreview@example.gov.cn&to=li.na@example.gov.cn"
    )
    n = args.messages
    try:
        started = time.perf_counter()
        for _ in range(n):
            plain = apprise.Apprise()
            plain.add(target)
            if not plain.notify(body=message.html, title=message.subject, body_format="html"):
                raise SystemExit("plain Apprise failed to send")
        plain_s = time.perf_counter() - started

        policy = RetryPolicy(attempts=1, backoff_s=0)
        started = time.perf_counter()
        for i in range(n):
            # A distinct event per message: one delivery each, as n different steps would be.
            delivery = Delivery(pub_id, 1, "prereview", f"bench-{i}", "li.na")
            (outcome,) = deliver(
                delivery,
                message,
                [apprise.Apprise.instantiate(target)],
                engine=engine,
                policy=policy,
            )
            if outcome.outcome != "sent":
                raise SystemExit(f"pubreview failed to send: {outcome.error}")
        ours_s = time.perf_counter() - started
    finally:
        smtp.stop()
        engine.dispose()
    assert handler.accepted == 2 * n, handler.accepted
    print(f"messages per side : {n} (SMTP server accepted {handler.accepted})")
    print(f"ledger            : {engine.dialect.name}")
    print(f"plain apprise     : {rate(n, plain_s):8.1f} msg/s  ({plain_s:.2f} s)")
    print(f"pubreview deliver : {rate(n, ours_s):8.1f} msg/s  ({ours_s:.2f} s)")
    print(f"ratio             : {ours_s / plain_s:.2f}× the time of plain Apprise")
    return 0


if __name__ == "__main__":
    sys.exit(main())
