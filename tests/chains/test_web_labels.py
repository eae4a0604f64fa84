"""The web history tables name a chain's own steps in its words (保密审查, not `secrecy`)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.review.workflow import Outcome
from pubreview.web.items import decided_before, timeline
from tests.support.factories import decided, submitted

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_history_and_decided_before_use_the_items_chain_labels(chain_engine: Engine) -> None:
    pub = submitted(chain_engine, category="政务公开")
    decided(chain_engine, pub, "li.na", attest=True)
    decided(chain_engine, pub, "bao.an", Outcome.RETURN, comment="涉及内部数据")
    with db.transaction(chain_engine) as session:
        rows = timeline(session, pub, {})
        mine = decided_before(session, "bao.an")
    stages = {r["stage"] for r in rows if r["kind"] == "审核决定"}
    assert stages == {"初审", "保密审查"}
    assert "secrecy" not in {r["stage"] for r in rows}
    assert [(m["stage"], m["outcome"]) for m in mine] == [("保密审查", "退回修改")]
