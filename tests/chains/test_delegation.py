"""代签: a decision by delegation names both people; a lapsed delegation and SoD through a
delegate are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication, Role
from models.base import utcnow
from pubreview import db, ledger
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.review import deciders, delegation
from pubreview.review.slip import approval_slip
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def delegate(engine: Engine, giver: str, taker: str, role: Role | None = Role.LEADER) -> int:
    with db.transaction(engine) as session:
        return delegation.grant(
            session,
            delegator=giver,
            delegate=taker,
            role=role,
            ends=utcnow() + timedelta(days=3),
            actor="admin",
        ).id


def waiting_on(engine: Engine, pub_id: int) -> list[str]:
    with db.transaction(engine) as session:
        return [p.username for p in deciders.eligible(session, session.get(Publication, pub_id))]


def test_a_delegate_signs_for_the_leader_and_both_names_are_recorded(engine: Engine) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", attest=True)
    delegate(engine, "zeng.xiang", "chen.jing")
    assert waiting_on(engine, pub) == ["zeng.xiang", "chen.jing"]
    result = decided(engine, pub, "chen.jing")
    assert "陈静 代 曾翔（chen.jing 代 zeng.xiang）" in result.message
    with db.transaction(engine) as session:
        entry = session.get(LedgerEntry, result.entry_id)
        assert (entry.actor, entry.payload["acting_for"]) == ("chen.jing", "zeng.xiang")
        slip = approval_slip(session, pub)
        signed = next(s for s in slip.steps if s.step == "审签")
        assert (signed.name, signed.acting_for) == ("陈静", "曾翔（zeng.xiang）")
    # The leader's role reached 审签 only: 中心发布 stays with the center.
    with pytest.raises(DecisionRefused, match="不是中心发布人员"):
        decided(engine, pub, "chen.jing", Outcome.REJECT, comment="不宜发布")


def test_a_revoked_or_expired_delegation_is_refused(engine: Engine) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", attest=True)
    revoked = delegate(engine, "zeng.xiang", "chen.jing")
    with db.transaction(engine) as session:
        delegation.revoke(session, revoked, actor="admin", reason="提前返岗")
    with pytest.raises(DecisionRefused, match="受 zeng.xiang 委托的代签已于 .* 撤销"):
        decided(engine, pub, "chen.jing")
    with db.transaction(engine) as session:
        # A delegation recorded last week that has since run out.
        ledger.append(
            session,
            kind=LedgerKind.DELEGATED,
            actor="admin",
            payload={
                "delegator": "zeng.xiang",
                "delegate": "sun.li",
                "role": "leader",
                "starts": (utcnow() - timedelta(days=7)).isoformat(),
                "ends": (utcnow() - timedelta(days=1)).isoformat(),
            },
        )
    with pytest.raises(DecisionRefused, match="受 zeng.xiang 委托的代签已于 .* 到期"):
        decided(engine, pub, "sun.li")
    assert waiting_on(engine, pub) == ["zeng.xiang"]
    with db.transaction(engine) as session, pytest.raises(ValidationError, match="不能委托给本人"):
        delegation.grant(
            session, delegator="li.na", delegate="li.na", ends=utcnow() + timedelta(1), actor="a"
        )


def test_separation_of_duties_holds_for_the_delegate_and_the_delegator(engine: Engine) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", attest=True)
    delegate(engine, "zeng.xiang", "li.na")
    with pytest.raises(DecisionRefused, match="您已决定过本稿的另一个环节.*代签亦然"):
        decided(engine, pub, "li.na", Outcome.RETURN, comment="请修改")
    # li.na submits an item herself and delegates her 初审 to someone else: still refused.
    own = submitted(engine, submitter="li.na", title="李娜报送的信息")
    delegate(engine, "li.na", "chen.jing", Role.SECTION_HEAD)
    with pytest.raises(
        DecisionRefused, match="委托人李娜（li.na）已决定过本稿的另一个环节或是报送人"
    ):
        decided(engine, own, "chen.jing", attest=True)
    assert "chen.jing" not in waiting_on(engine, own)
    with db.transaction(engine) as session:
        kinds = session.scalars(
            select(LedgerEntry.kind).where(LedgerEntry.kind == LedgerKind.DELEGATED)
        ).all()
    assert len(kinds) == 2
