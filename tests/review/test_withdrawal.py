"""Withdrawing an item (撤销): only its submitter, only before a decision or while returned."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication, Status
from pubreview import db, ledger
from pubreview.errors import DecisionRefused
from pubreview.review.decisions import DecisionRequest, decide
from pubreview.review.entries import Withdrawn
from pubreview.review.withdrawal import may_withdraw, withdraw
from pubreview.review.workflow import OPEN, TERMINAL, Outcome
from tests.support.factories import decided, submitted


def test_the_submitter_withdraws_an_undecided_item_once(engine: Engine) -> None:
    pub = submitted(engine)
    with db.transaction(engine) as session:
        withdraw(session, pub, "zhang.wei", "  标题有误  ")
    with db.transaction(engine) as session:
        item = session.get(Publication, pub)
        assert (item.status, item.stage) == (Status.WITHDRAWN, None)
        entry = session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.WITHDRAWN)
        ).one()
        assert (entry.actor, entry.comment, entry.revision) == ("zhang.wei", "标题有误", 1)
        assert Withdrawn.from_payload(entry.payload) == Withdrawn("in_review", "prereview")
        assert ledger.verify(session).ok
    assert Status.WITHDRAWN in TERMINAL and Status.WITHDRAWN not in OPEN
    with pytest.raises(DecisionRefused, match="已经撤销"), db.transaction(engine) as session:
        withdraw(session, pub, "zhang.wei")
    # Nobody decides on a withdrawn item.
    with pytest.raises(DecisionRefused), db.transaction(engine) as session:
        decide(session, DecisionRequest(pub, "li.na", Outcome.APPROVE, attest=True))


def test_only_the_submitter_and_only_before_a_decision(engine: Engine) -> None:
    pub = submitted(engine)
    with (
        pytest.raises(DecisionRefused, match="只能由其报送人撤销"),
        db.transaction(engine) as session,
    ):
        withdraw(session, pub, "li.na")
    decided(engine, pub, "li.na", Outcome.APPROVE, attest=True)
    with db.transaction(engine) as session:
        assert not may_withdraw(session, session.get(Publication, pub), "zhang.wei")
    with pytest.raises(DecisionRefused, match="已有审核决定"), db.transaction(engine) as session:
        withdraw(session, pub, "zhang.wei")


def test_a_returned_item_may_be_withdrawn(engine: Engine) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", Outcome.RETURN, comment="请补充")
    with db.transaction(engine) as session:
        withdraw(session, pub, "zhang.wei")
        assert session.get(Publication, pub).status is Status.WITHDRAWN


def test_a_decided_item_cannot_be_withdrawn(engine: Engine) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", Outcome.REJECT, comment="不宜发布")
    with pytest.raises(DecisionRefused, match="已审核完毕"), db.transaction(engine) as session:
        withdraw(session, pub, "zhang.wei")
