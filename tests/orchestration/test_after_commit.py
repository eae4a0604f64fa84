"""After a committed step the next person is told at once, without waiting for the review run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.notify.config import ENV_YAML
from pubreview.notify.dispatch import notify_publication
from pubreview.orchestration import resume
from pubreview.orchestration.after_commit import after_commit
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted
from tests.support.notify import JsonReceiver, SmtpServer, apprise_yaml, email_of


@pytest.fixture
def smtp(
    monkeypatch: pytest.MonkeyPatch, tmp_path, engine: Engine, database_url: str
) -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    receiver = JsonReceiver().start()
    monkeypatch.setenv(ENV_YAML, apprise_yaml(server.port, receiver.port, ()))
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    # Nothing listens on port 9: Prefect is down, and the message must go all the same.
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    yield server
    server.stop()
    receiver.stop()


def test_a_submission_reaches_the_section_heads_with_prefect_down(
    engine: Engine, smtp: SmtpServer
) -> None:
    pub = submitted(engine)
    note = after_commit("publication.submitted", pub, actor="zhang.wei", resume=False)
    assert "reconcile" in note  # Prefect catches up later
    for head in ("li.na", "wang.fang"):
        (mail,) = smtp.to(email_of(head))
        assert f"#{pub}" in mail.subject
    # The review run's own pass, when it comes, sends nothing twice.
    assert notify_publication(pub, engine=engine).attempts == 0


def test_a_decision_reaches_the_leader_and_a_publication_waits_for_the_run(
    engine: Engine, smtp: SmtpServer
) -> None:
    pub = submitted(engine)
    after_commit("publication.submitted", pub, actor="zhang.wei", resume=False)
    decided(engine, pub, "li.na", Outcome.APPROVE, attest=True)
    after_commit("publication.prereview.approved", pub, actor="li.na", resume=True)
    (mail,) = smtp.to(email_of("zeng.xiang"))
    assert f"#{pub}" in mail.subject and "审签" in mail.subject
    decided(engine, pub, "zeng.xiang", Outcome.APPROVE)
    after_commit("publication.signed_off", pub, actor="zeng.xiang", resume=True)
    assert len(smtp.to(email_of("zhou.min"))) == 1
    decided(engine, pub, "zhou.min", Outcome.APPROVE)
    before = len(smtp.mails())
    after_commit("publication.published", pub, actor="zhou.min", resume=True)
    # "已发布" goes out only once the review run has put the item on the site.
    assert len(smtp.mails()) == before


def test_with_the_step_worker_a_decision_starts_no_flow_run_process(
    engine: Engine, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step worker moves the run on from the ledger: the decision's hand-off resumes nothing."""
    monkeypatch.setenv("PUBREVIEW_STEP_WORKER", "1")
    pub = submitted(engine)
    decided(engine, pub, "li.na", Outcome.APPROVE, attest=True)
    assert resume("a-run-id", "signoff:r1") == "review run a-run-id is moved on by the step worker"
    after_commit("publication.prereview.approved", pub, actor="li.na", resume=True)
    (mail,) = smtp.to(email_of("zeng.xiang"))  # the next person is still told at once
    assert "审签" in mail.subject


def test_a_ledger_gone_right_after_the_commit_is_not_reported_as_nothing_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The step committed, then the database restarted: nothing listens on port 9.
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", "postgresql://postgres@127.0.0.1:9/gone")
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    db.engine_for.cache_clear()
    try:
        note = after_commit("publication.submitted", 1, actor="zhang.wei", resume=False)
    finally:
        db.engine_for.cache_clear()
    assert note.startswith("recorded in the ledger") and "reconcile" in note
