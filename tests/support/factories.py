"""Small builders for test data, going through the real submission and decision code."""

from __future__ import annotations

from sqlalchemy import Engine

from pubreview import db
from pubreview.review.decisions import DecisionRequest, DecisionResult, decide
from pubreview.review.submission import AttachmentFile, Draft, submit
from pubreview.review.workflow import Outcome


def draft(**overrides) -> Draft:
    """A valid draft from zhang.wei of 综合科, changed by `overrides`."""
    values = dict(
        title="关于召开全市编办主任会议的通知",
        body="会议内容如下。",
        category="工作动态",
        channels=["网站"],
        unit="zonghe",
        submitter="zhang.wei",
        attachments=[],
    )
    values.update(overrides)
    return Draft(**values)


def submitted(engine: Engine, **overrides) -> int:
    """Submit a draft and return the publication id."""
    with db.transaction(engine) as session:
        return submit(session, draft(**overrides)).id


def decided(
    engine: Engine, pub_id: int, user: str, outcome: Outcome = Outcome.APPROVE, **kwargs
) -> DecisionResult:
    """Record one decision in its own transaction."""
    with db.transaction(engine) as session:
        return decide(session, DecisionRequest(pub_id, user, outcome, **kwargs))


def attachment(name: str = "附件.txt", text: str = "附件内容") -> AttachmentFile:
    """An in-memory attachment."""
    return AttachmentFile(name, text.encode())
