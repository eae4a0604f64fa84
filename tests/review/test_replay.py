"""The publications rows agree with the ledger after every kind of step; an edited row is named."""

from __future__ import annotations

from sqlalchemy import Engine, text

from models.publication import Grade
from pubreview import db
from pubreview.ledger.verification import verify_all
from pubreview.publishing.retraction import retract
from pubreview.review import replay
from pubreview.review.submission import resubmit
from pubreview.review.withdrawal import withdraw
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted
from tests.support.site import CENTER, publish_through_chain


def _found(engine: Engine) -> list[str]:
    with db.transaction(engine) as session:
        return [str(m) for m in replay.check(session)]


def _every_kind_of_step(engine: Engine) -> dict[str, int]:
    published = publish_through_chain(engine, "已发布", "正文")
    retracted = publish_through_chain(engine, "已撤回", "正文")
    with db.transaction(engine) as session:
        retract(session, retracted, CENTER, "数据有误", False)
    returned = submitted(engine)
    decided(engine, returned, "li.na", Outcome.RETURN, comment="请补充")
    with db.transaction(engine) as session:
        resubmit(
            session, returned, "zhang.wei", title="修改后的标题", body="改", attachments=None,
            grade=Grade.SENSITIVE,
        )  # fmt: skip
    rejected = submitted(engine)
    decided(engine, rejected, "li.na", Outcome.REJECT, comment="不宜发布")
    withdrawn = submitted(engine)
    with db.transaction(engine) as session:
        withdraw(session, withdrawn, "zhang.wei", "不发了")
    signed = submitted(engine)
    decided(engine, signed, "li.na", attest=True)
    decided(engine, signed, "zeng.xiang")
    return {
        "published": published,
        "retracted": retracted,
        "resubmitted": returned,
        "rejected": rejected,
        "withdrawn": withdrawn,
        "signed": signed,
    }


def test_cache_agrees_after_every_kind_of_step(engine: Engine) -> None:
    _every_kind_of_step(engine)
    assert _found(engine) == []


def test_edited_row_is_named(engine: Engine) -> None:
    ids = _every_kind_of_step(engine)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE publications SET status = 'published', stage = NULL WHERE id = :p"),
            {"p": ids["signed"]},
        )
        conn.execute(
            text("UPDATE publications SET title = '换了的标题' WHERE id = :p"),
            {"p": ids["published"]},
        )
        conn.execute(
            text("UPDATE publications SET grade = 'ordinary' WHERE id = :p"),
            {"p": ids["resubmitted"]},
        )
    found = _found(engine)
    signed, published = ids["signed"], ids["published"]
    where = f"第 {signed} 号信息：publications"
    assert f"{where}.status 为「published」，按台帐应为「in_review」" in found
    assert f"{where}.stage 为「（空）」，按台帐应为「publication」" in found
    assert any(f"第 {published} 号信息：publications.title" in f for f in found)
    graded = f"第 {ids['resubmitted']} 号信息：publications.grade"
    assert f"{graded} 为「ordinary」，按台帐应为「sensitive」" in found
    assert len(found) == 4, found
    with db.transaction(engine) as session:
        result = verify_all(session)
    assert result.chain.ok and not result.ok and result.cache == found
