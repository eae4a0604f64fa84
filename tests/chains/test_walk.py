"""Items walk their own chain through submit and decide: four-step chains, and a chain changed
while an item is in flight (it finishes on the version it was submitted under)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication
from pubreview import db
from pubreview.chains.binding import chain_of
from pubreview.chains.standing import standing
from pubreview.errors import DecisionRefused
from pubreview.review import deciders, replay
from pubreview.review.status import item_status
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted


def stage_of(engine: Engine, pub_id: int) -> tuple[str, str | None]:
    with db.transaction(engine) as session:
        pub = session.get(Publication, pub_id)
        return pub.status.value, pub.stage.value if pub.stage else None


def decided_steps(engine: Engine, pub_id: int) -> list[tuple[int, str, str, str]]:
    with db.transaction(engine) as session:
        return [
            (e.revision, e.stage, e.actor, e.outcome)
            for e in session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.publication_id == pub_id, LedgerEntry.kind == LedgerKind.DECIDED)
                .order_by(LedgerEntry.id)
            )
        ]


def test_secrecy_chain_for_its_category(chain_engine: Engine) -> None:
    pub = submitted(chain_engine, category="政务公开")
    first = decided(chain_engine, pub, "li.na", attest=True)
    assert (first.next_stage, first.event) == ("secrecy", "publication.prereview.approved")
    assert "等待保密审查" in first.message
    with db.transaction(chain_engine) as session:
        item = session.get(Publication, pub)
        assert [p.username for p in deciders.eligible(session, item)] == ["bao.an"]
        assert item_status(session, item).stage_label == "保密审查"
        refusal = deciders.refusal(session, item, session.merge(_person(session, "wang.fang")))
        assert refusal == "王芳（wang.fang）不是保密办的科室负责人，第 1 号信息的保密审查不由您决定"
    secrecy = decided(chain_engine, pub, "bao.an")
    assert (secrecy.next_stage, secrecy.event) == ("signoff", "publication.secrecy.approved")
    assert decided(chain_engine, pub, "zeng.xiang").event == "publication.signed_off"
    assert decided(chain_engine, pub, "zhou.min").event == "publication.published"
    assert stage_of(chain_engine, pub) == ("published", None)
    assert [s[1] for s in decided_steps(chain_engine, pub)] == [
        "prereview",
        "secrecy",
        "signoff",
        "publication",
    ]
    with db.transaction(chain_engine) as session:
        assert replay.check(session) == []


def _person(session, username: str):
    from pubreview.accounts import org

    return org.person(session, username)


def test_legality_review_before_signoff_returns_to_the_previous_step(chain_engine: Engine) -> None:
    pub = submitted(chain_engine, category="行政规范性文件")
    decided(chain_engine, pub, "li.na", attest=True)
    assert stage_of(chain_engine, pub) == ("in_review", "legality")
    # 合法性审核 returns to 初审 (return_to: previous), not to the submitter.
    back = decided(chain_engine, pub, "fa.lv", Outcome.RETURN, comment="依据条款需补充")
    assert (back.status, back.next_stage) == ("in_review", "prereview")
    assert back.event == "publication.legality.returned"
    # 初审 is decided again by whoever may decide it; the legal office then decides again.
    decided(chain_engine, pub, "li.na", attest=True)
    decided(chain_engine, pub, "fa.lv")
    with pytest.raises(DecisionRefused, match="不是综合科的分管领导，第 1 号信息的审签不由您决定"):
        decided(chain_engine, pub, "li.na")
    decided(chain_engine, pub, "zeng.xiang")
    decided(chain_engine, pub, "zhou.min")
    assert stage_of(chain_engine, pub) == ("published", None)
    assert [s[1:] for s in decided_steps(chain_engine, pub)] == [
        ("prereview", "li.na", "approve"),
        ("legality", "fa.lv", "return"),
        ("prereview", "li.na", "approve"),
        ("legality", "fa.lv", "approve"),
        ("signoff", "zeng.xiang", "approve"),
        ("publication", "zhou.min", "approve"),
    ]
    with db.transaction(chain_engine) as session:
        assert replay.check(session) == []
        shown = standing(session, session.get(Publication, pub))
        assert shown.chain == "normative"
        assert [s.state for s in shown.steps] == ["done", "done", "done", "done"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_changed_definition_leaves_items_in_flight_on_their_version(
    chain_engine: Engine, chains_env: Path
) -> None:
    old = submitted(chain_engine, category="政务公开")
    decided(chain_engine, old, "li.na", attest=True)
    with db.transaction(chain_engine) as session:
        old_version = chain_of(session, old).version
    # The office drops the 保密审查 from its secrecy chain while the item waits on it.
    text = chains_env.read_text(encoding="utf-8")
    chains_env.write_text(
        text.replace(
            "      - {id: secrecy, label: 保密审查, role: section_head, unit: baomi, "
            "deadline_days: 3}\n",
            "",
        ),
        encoding="utf-8",
    )
    new = submitted(chain_engine, category="政务公开", title="新的信息")
    with db.transaction(chain_engine) as session:
        assert chain_of(session, new).version != old_version
        assert [s.id for s in chain_of(session, new).steps] == [
            "prereview",
            "signoff",
            "publication",
        ]
    assert stage_of(chain_engine, old) == ("in_review", "secrecy")
    for user in ("bao.an", "zeng.xiang", "zhou.min"):
        decided(chain_engine, old, user)
    decided(chain_engine, new, "li.na", attest=True)
    assert stage_of(chain_engine, new) == ("in_review", "signoff")
    assert [s[1] for s in decided_steps(chain_engine, old)] == [
        "prereview",
        "secrecy",
        "signoff",
        "publication",
    ]
    with db.transaction(chain_engine) as session:
        # The replay reads each item's own recorded chain.
        assert replay.check(session) == []
        recorded = session.scalars(
            select(LedgerEntry.payload).where(
                LedgerEntry.publication_id == old, LedgerEntry.kind == LedgerKind.SUBMITTED
            )
        ).one()
        assert recorded["chain"]["version"] == old_version
        assert recorded["chain"]["name"] == "secrecy"
