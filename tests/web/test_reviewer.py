"""The reviewers' logged-in pages: the queue, the decision form on the item page, past decisions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication, Stage, Status
from pubreview import db
from pubreview.review.workflow import Outcome
from tests.support.accounts import form_token, login, set_password
from tests.support.factories import decided, submitted
from tests.support.web import AfterCommitRecorder, ledger_size, make_app, point_at

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"


@pytest.fixture
def recorder() -> AfterCommitRecorder:
    return AfterCommitRecorder()


@pytest.fixture
def app(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    recorder: AfterCommitRecorder,
):
    point_at(monkeypatch, database_url, tmp_path / "data", BASE + "/")
    with db.transaction(engine) as session:
        for username in ("zhang.wei", "li.na", "wang.fang", "zeng.xiang", "liu.yang"):
            set_password(session, username, PASSWORD)
    return make_app(recorder)


def browser(app, username: str) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE) as client:
        login(client, username, PASSWORD)
        yield client


@pytest.fixture
def head(app) -> Iterator[TestClient]:
    yield from browser(app, "li.na")


@pytest.fixture
def clerk(app) -> Iterator[TestClient]:
    yield from browser(app, "zhang.wei")


def test_the_queue_lists_what_waits_on_me_with_the_item_page(
    engine: Engine, head: TestClient
) -> None:
    mine = submitted(engine, title="综合科的信息")
    submitted(engine, submitter="liu.yang", unit="yewu", title="业务科的信息")
    page = head.get("/queue")
    assert page.status_code == 200
    assert f'id="queue-{mine}"' in page.text and f'href="/items/{mine}"' in page.text
    assert "业务科的信息" not in page.text
    assert "待初审" in page.text and "还没有您的审核记录" in page.text


def test_a_head_decides_on_the_item_page_and_sees_it_among_past_decisions(
    engine: Engine, head: TestClient, recorder: AfterCommitRecorder
) -> None:
    pub = submitted(engine)
    page = head.get(f"/items/{pub}")
    assert page.status_code == 200 and 'id="decide-form"' in page.text
    assert 'name="stage" value="prereview"' in page.text
    done = head.post(
        f"/items/{pub}/decide",
        data={
            "csrf": form_token(page.text),
            "stage": "prereview",
            "revision": "1",
            "outcome": "approve",
            "attest": "yes",
            "comment": "同意发布",
        },
    )
    assert done.status_code == 200, done.text
    assert "已记录您的决定：同意" in done.text
    with db.transaction(engine) as session:
        entry = session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.DECIDED)
        ).one()
        assert (entry.actor, entry.stage, entry.payload["via"]) == (
            "li.na",
            "prereview",
            "web-session",
        )
        assert session.get(Publication, pub).stage is Stage.SIGN_OFF
    assert recorder.calls == [("publication.prereview.approved", pub, "li.na")]
    assert recorder.payloads[0]["decided_stage"] == "prereview"
    queue = head.get("/queue").text
    assert 'id="decided-before"' in queue and "同意发布" in queue and f"/items/{pub}" in queue
    # The step is closed for li.na now: no form, and the item left her queue.
    assert 'id="decide-form"' not in head.get(f"/items/{pub}").text
    assert f'id="queue-{pub}"' not in queue


def test_a_refused_decision_is_explained_in_chinese_and_writes_nothing(
    engine: Engine, head: TestClient
) -> None:
    pub = submitted(engine)
    token = form_token(head.get(f"/items/{pub}").text)
    before = ledger_size(engine)
    refused = head.post(
        f"/items/{pub}/decide",
        data={"csrf": token, "stage": "prereview", "revision": "1", "outcome": "approve"},
    )
    assert refused.status_code == 409
    assert "未能记录您的决定" in refused.text and "--" not in refused.text
    assert ledger_size(engine) == before


def test_the_submitter_sees_no_decision_form(engine: Engine, clerk: TestClient) -> None:
    pub = submitted(engine)
    page = clerk.get(f"/items/{pub}").text
    assert 'id="decide-form"' not in page and 'id="withdraw-form"' in page
    forged = clerk.post(
        f"/items/{pub}/decide",
        data={
            "csrf": form_token(page),
            "stage": "prereview",
            "revision": "1",
            "outcome": "approve",
            "attest": "yes",
        },
    )
    assert forged.status_code == 409
    with db.transaction(engine) as session:
        assert session.get(Publication, pub).status is Status.IN_REVIEW


def test_the_leader_signs_off_after_the_head(engine: Engine, app) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", Outcome.APPROVE, attest=True)
    for leader in browser(app, "zeng.xiang"):
        queue = leader.get("/queue").text
        assert f'href="/items/{pub}"' in queue and "待审签" in queue
        page = leader.get(f"/items/{pub}").text
        assert 'name="stage" value="signoff"' in page and 'id="attest"' not in page
        done = leader.post(
            f"/items/{pub}/decide",
            data={
                "csrf": form_token(page),
                "stage": "signoff",
                "revision": "1",
                "outcome": "return",
                "comment": "请补充会议地点",
            },
        )
        assert done.status_code == 200 and "退回修改" in done.text
    with db.transaction(engine) as session:
        assert session.get(Publication, pub).status is Status.RETURNED
