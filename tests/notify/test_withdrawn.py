"""A withdrawn item: whoever was told of its revision hears that it ended; nobody else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.notify.config import ENV_YAML
from pubreview.notify.dispatch import notify_publication
from pubreview.review.withdrawal import withdraw
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted
from tests.support.notify import JsonReceiver, SmtpServer, apprise_yaml, email_of


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    receiver = JsonReceiver().start()
    monkeypatch.setenv(ENV_YAML, apprise_yaml(server.port, receiver.port, ()))
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PUBREVIEW_NOTIFY_BACKOFF_S", "0.01")
    yield server
    server.stop()
    receiver.stop()


def withdrawn_mail(smtp: SmtpServer, username: str) -> list:
    return [m for m in smtp.to(email_of(username)) if m.subject.startswith("【已撤销】")]


def test_the_heads_asked_to_review_hear_it_was_withdrawn(engine: Engine, smtp: SmtpServer) -> None:
    pub = submitted(engine)
    notify_publication(pub, engine=engine)  # 待初审 to both heads
    with db.transaction(engine) as session:
        withdraw(session, pub, "zhang.wei", "内容有误")
    report = notify_publication(pub, engine=engine)
    assert report.event == "withdrawn" and report.failed == []
    for head in ("li.na", "wang.fang"):
        (mail,) = withdrawn_mail(smtp, head)
        assert f"#{pub}" in mail.subject and "原在初审环节" in mail.text
    assert withdrawn_mail(smtp, "zhang.wei") == []  # the submitter did it
    assert withdrawn_mail(smtp, "zeng.xiang") == []  # never told of it
    # Running the step again sends nothing twice.
    notify_publication(pub, engine=engine)
    assert len(withdrawn_mail(smtp, "li.na")) == 1


def test_a_returned_item_withdrawn_tells_who_returned_it(engine: Engine, smtp: SmtpServer) -> None:
    pub = submitted(engine)
    notify_publication(pub, engine=engine)
    decided(engine, pub, "li.na", Outcome.RETURN, comment="请补充")
    notify_publication(pub, engine=engine)
    with db.transaction(engine) as session:
        withdraw(session, pub, "zhang.wei")
    notify_publication(pub, engine=engine)
    (mail,) = withdrawn_mail(smtp, "li.na")
    assert "初审：李娜 退回修改" in mail.text
