"""A decision checked in a read snapshot and written under the lock only if the item stood still."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from models import LedgerEntry, LedgerKind
from models.publication import step_id
from pubreview import db, ledger
from pubreview.errors import DecisionRefused
from pubreview.review.decisions import (
    DecisionRequest,
    DecisionResult,
    Prepared,
    decide,
    prepare,
    record_prepared,
)
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted


def approve(pub: int, user: str = "li.na") -> DecisionRequest:
    """li.na's 初审 approval from the web, the step not named."""
    return DecisionRequest(pub, user, Outcome.APPROVE, attest=True, via="web-session")


def prepared(engine: Engine, request: DecisionRequest) -> Prepared | DecisionResult:
    """`prepare` in a read snapshot of its own."""
    with db.snapshot(engine) as session:
        return prepare(session, request)


def decisions(engine: Engine, pub: int) -> list[LedgerEntry]:
    """The item's decided entries."""
    with db.snapshot(engine) as session:
        return list(
            session.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.publication_id == pub, LedgerEntry.kind == LedgerKind.DECIDED
                )
            )
        )


def test_prepared_in_a_snapshot_writes_what_decide_writes(engine: Engine) -> None:
    by_decide, by_prepare = submitted(engine), submitted(engine)
    expected = decided(engine, by_decide, "li.na", attest=True, via="web-session")
    ready = prepared(engine, approve(by_prepare))
    assert isinstance(ready, Prepared)
    with db.transaction(engine) as session:
        result = record_prepared(session, ready)
    assert result is not None and result.recorded
    assert (result.status, result.next_stage, result.event) == (
        expected.status,
        expected.next_stage,
        expected.event,
    )

    def plain(r: DecisionResult) -> str:
        return r.message.replace(f"台帐第 {r.entry_id} 条", "台帐第 N 条").replace(
            f"第 {r.publication_id} 号", "第 X 号"
        )

    assert plain(result) == plain(expected)
    (one,), (other,) = decisions(engine, by_decide), decisions(engine, by_prepare)
    assert one.payload == other.payload
    assert one.dedupe_key.split(":")[2:] == other.dedupe_key.split(":")[2:]


def test_item_moved_after_the_check_writes_nothing_and_decide_refuses(engine: Engine) -> None:
    pub = submitted(engine)
    ready = prepared(engine, approve(pub))
    assert isinstance(ready, Prepared)
    decided(engine, pub, "li.na", Outcome.RETURN, comment="请补充依据")  # meanwhile
    with db.transaction(engine) as session:
        assert record_prepared(session, ready) is None
    with pytest.raises(DecisionRefused, match="没有待决定的环节"), db.transaction(engine) as s:
        decide(s, approve(pub))
    assert [e.outcome for e in decisions(engine, pub)] == ["return"]


def test_any_new_entry_of_the_item_sends_it_back_to_decide(engine: Engine) -> None:
    pub = submitted(engine)
    ready = prepared(engine, approve(pub))
    with db.transaction(engine) as session:
        ledger.append(session, kind=LedgerKind.NOTIFIED, publication_id=pub, actor="system")
    with db.transaction(engine) as session:
        assert record_prepared(session, ready) is None
        assert decide(session, approve(pub)).recorded
    with db.snapshot(engine) as session:
        count = session.scalar(
            select(func.count()).where(
                LedgerEntry.publication_id == pub, LedgerEntry.kind == LedgerKind.DECIDED
            )
        )
    assert count == 1


def test_a_replay_and_a_refusal_come_from_the_snapshot_unchanged(engine: Engine) -> None:
    pub = submitted(engine)
    first = decided(engine, pub, "li.na", attest=True)
    again = prepared(
        engine,
        DecisionRequest(pub, "li.na", Outcome.APPROVE, stage=step_id(first.stage), revision=1),
    )
    assert isinstance(again, DecisionResult) and not again.recorded
    assert again.entry_id == first.entry_id
    with pytest.raises(DecisionRefused) as in_snapshot:
        prepared(engine, approve(pub, "chen.jing"))
    with pytest.raises(DecisionRefused) as under_lock, db.transaction(engine) as session:
        decide(session, approve(pub, "chen.jing"))
    assert str(in_snapshot.value) == str(under_lock.value)
