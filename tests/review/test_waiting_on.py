"""A person's queue (deciders.waiting_on) and eligible_all() are exactly what eligible() gives."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from models import Person, Publication, Role
from models.base import utcnow
from models.publication import step_id
from pubreview import db
from pubreview.accounts.org import load_org
from pubreview.chains.binding import chain_of, chains_of
from pubreview.review import deciders, delegation
from pubreview.review.reassignment import reassign
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted

CHAIN_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "chains"


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


CHAIN = """default: web
chains:
  web:
    steps:
      - {id: prereview, label: 初审, role: section_head}
      - id: huiqian
        label: 部门会签
        role: section_head
        group: {members: [chen.jing, sun.li, bao.an], rule: 2}
      - {id: signoff, label: 审签, role: leader, return_to: previous}
      - {id: publication, label: 中心发布, role: center, unit: office}
"""


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_every_item_agrees_with_eligible_in_a_varied_office(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """eligible_all() and waiting_on() give what eligible() gives, item by item, person by person:
    会签 rounds, 代签 (in force, lapsed, for a member), 改派, separation of duties, returns."""
    chains = tmp_path / "chains.yaml"
    chains.write_text(CHAIN, encoding="utf-8")
    monkeypatch.setenv("PUBREVIEW_CHAINS", str(chains))
    monkeypatch.setenv("PUBREVIEW_CATALOG", str(CHAIN_FIXTURES / "catalog.yaml"))
    with db.transaction(engine) as session:
        load_org(session, CHAIN_FIXTURES / "org.yaml")
    week = utcnow() + timedelta(days=7)
    # Separation of duties: 李娜 submits (she heads the unit too), so only 王芳 may take 初审.
    own = submitted(engine, submitter="li.na")
    plain = submitted(engine)
    other_unit = submitted(engine, unit="yewu", submitter="liu.yang")
    # 会签: 陈静 has had her say this round; 孙丽's delegate 赵磊 counts for her.
    huiqian = submitted(engine)
    decided(engine, huiqian, "wang.fang", attest=True, stage=step_id("prereview"))
    decided(engine, huiqian, "chen.jing", stage=step_id("huiqian"))
    signed_for = submitted(engine)
    decided(engine, signed_for, "li.na", attest=True, stage=step_id("prereview"))
    # 陈静 took the 会签 of this one: she may not sign for 曾翔 at 审签 of the same revision.
    at_signoff = submitted(engine)
    decided(engine, at_signoff, "wang.fang", attest=True, stage=step_id("prereview"))
    decided(engine, at_signoff, "chen.jing", stage=step_id("huiqian"))
    decided(engine, at_signoff, "bao.an", stage=step_id("huiqian"))
    returned = submitted(engine)
    decided(engine, returned, "li.na", Outcome.RETURN, comment="请补充")
    moved = submitted(engine)
    with db.transaction(engine) as session:
        reassign(session, moved, to="wang.fang", reason="李娜出差", actor="wu.gang")
        delegation.grant(
            session,
            delegator="sun.li",
            delegate="zhao.lei",
            role=Role.SECTION_HEAD,
            ends=week,
            actor="wu.gang",
        )
        # 陈静 signs for 曾翔 (any role) this week; 李娜's delegation to 刘洋 has lapsed.
        delegation.grant(
            session, delegator="zeng.xiang", delegate="chen.jing", ends=week, actor="wu.gang"
        )
        lapsed = delegation.grant(
            session,
            delegator="li.na",
            delegate="liu.yang",
            role=Role.SECTION_HEAD,
            ends=week,
            actor="wu.gang",
        )
        delegation.revoke(session, lapsed.id, actor="wu.gang", reason="提前返岗")
    # A step given to 陈静's delegator: 陈静 may take it for him.
    for_chen = submitted(engine)
    decided(engine, for_chen, "wang.fang", attest=True, stage=step_id("prereview"))
    decided(engine, for_chen, "bao.an", stage=step_id("huiqian"))
    decided(engine, for_chen, "sun.li", stage=step_id("huiqian"))
    with db.transaction(engine) as session:
        reassign(session, for_chen, to="zeng.xiang", reason="专人审签", actor="wu.gang")
    with db.snapshot(engine) as session:
        ids = list(session.scalars(select(Publication.id).order_by(Publication.id)))
        one_each = {i: chain_of(session, i) for i in ids}
    with db.snapshot(engine) as session:
        # The chains read all at once are the ones read one by one (a fresh session each).
        assert chains_of(session, ids) == one_each
        assert one_each[plain].name == "web" and one_each[plain].step("huiqian").group
    with db.snapshot(engine) as session:
        pubs = list(session.scalars(select(Publication).order_by(Publication.id)))
        people = list(session.scalars(select(Person).order_by(Person.username)))
        every = deciders.eligible_all(session, pubs)
        one_by_one = {p.id: deciders.eligible(session, p) for p in pubs}
        queues = {
            person.username: [p.id for p in deciders.waiting_on(session, person, pubs)]
            for person in people
        }
    assert {i: [p.username for p in ps] for i, ps in every.items()} == {
        i: [p.username for p in ps] for i, ps in one_by_one.items()
    }
    assert queues == {
        person.username: [p.id for p in pubs if person in one_by_one[p.id]] for person in people
    }
    # The cases above did what they say (so the agreement covers them).
    names = {i: [p.username for p in ps] for i, ps in every.items()}
    assert names[own] == ["wang.fang"] and names[plain] == ["li.na", "wang.fang"]
    assert names[other_unit] == ["chen.jing"] and names[returned] == ["zhang.wei"]
    assert names[huiqian] == ["bao.an", "sun.li", "zhao.lei"]
    assert names[signed_for] == ["bao.an", "chen.jing", "sun.li", "zhao.lei"]
    assert names[at_signoff] == ["zeng.xiang"]
    assert names[moved] == ["wang.fang"] and names[for_chen] == ["zeng.xiang", "chen.jing"]
    assert queues["liu.yang"] == [] and queues["chen.jing"] == [other_unit, signed_for, for_chen]
