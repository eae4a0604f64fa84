"""A person's queue (deciders.waiting_on) is exactly the open items eligible() gives them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from models import Person, Publication, Role
from models.base import utcnow
from pubreview import db
from pubreview.review import deciders, delegation
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_queue_is_what_eligible_says_for_everyone(engine: Engine) -> None:
    prereview = submitted(engine)
    other_unit = submitted(engine, unit="yewu", submitter="liu.yang")
    signoff = submitted(engine)
    decided(engine, signoff, "li.na", Outcome.APPROVE, attest=True)
    center = submitted(engine, unit="wuling", submitter="zhao.lei")
    decided(engine, center, "sun.li", Outcome.APPROVE, attest=True)
    decided(engine, center, "zeng.xiang", Outcome.APPROVE)
    returned = submitted(engine)
    decided(engine, returned, "wang.fang", Outcome.RETURN, comment="请补充")
    with db.transaction(engine) as session:
        # 陈静 signs for 曾翔 this week: the leader's steps reach her queue through the delegation.
        delegation.grant(
            session,
            delegator="zeng.xiang",
            delegate="chen.jing",
            role=Role.LEADER,
            ends=utcnow() + timedelta(days=7),
            actor="wu.gang",
        )
    with db.snapshot(engine) as session:
        pubs = list(session.scalars(select(Publication).order_by(Publication.id)))
        queues = {
            person.username: [p.id for p in deciders.waiting_on(session, person, pubs)]
            for person in session.scalars(select(Person))
        }
        expected = {
            person.username: [p.id for p in pubs if person in deciders.eligible(session, p)]
            for person in session.scalars(select(Person))
        }
    assert queues == expected
    assert queues["li.na"] == [prereview] and queues["chen.jing"] == [other_unit, signoff]
    assert queues["zhou.min"] == [center] and queues["zhang.wei"] == [returned]
