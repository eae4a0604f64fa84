"""改派: an administrator gives a waiting step to another person who may decide it, with a reason;
only that person may then decide it, and a person the rule refuses is refused the step too."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication
from pubreview import db
from pubreview.cli.output import os_user
from pubreview.cli.parser import main
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.ledger import cache
from pubreview.review import deciders
from pubreview.review.reassignment import reassign
from pubreview.review.slip import approval_slip
from tests.support.factories import decided, submitted

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def waiting_on(engine: Engine, pub_id: int) -> list[str]:
    with db.transaction(engine) as session:
        return [p.username for p in deciders.eligible(session, session.get(Publication, pub_id))]


def moved(engine: Engine, pub_id: int, to: str, reason: str = "李娜出差") -> None:
    with db.transaction(engine) as session:
        reassign(session, pub_id, to=to, reason=reason, actor="wu.gang")


def test_reassign_from_the_command_line_gives_the_step_to_one_person(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    pub = submitted(engine)
    assert waiting_on(engine, pub) == ["li.na", "wang.fang"]
    args = ["chain", "reassign", str(pub), "--to", "wang.fang", "--reason", "李娜出差", "--json"]
    # Only an administrator reassigns: one line, nothing written.
    assert main([*args, "--as", "zeng.xiang"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "pubreview: error: 只有管理员可以改派审核环节，曾翔（zeng.xiang）不是管理员"
    ]
    assert waiting_on(engine, pub) == ["li.na", "wang.fang"]
    assert main([*args, "--as", "wu.gang"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert (done["stage"], done["to"], done["previous"]) == ("prereview", "wang.fang", None)
    assert waiting_on(engine, pub) == ["wang.fang"]
    with db.transaction(engine) as session:
        entry = session.get(LedgerEntry, done["entry_id"])
        assert (entry.kind, entry.stage, entry.comment) == ("reassigned", "prereview", "李娜出差")
        assert (entry.payload["to"], entry.payload["via"]) == ("wang.fang", "cli")
        # The administrator named, and the operating-system account that ran the command.
        assert (entry.actor, entry.payload["os_user"]) == ("wu.gang", os_user())
    with pytest.raises(
        DecisionRefused, match="已由管理员 .* 改派给 wang.fang（李娜出差），不由您决定"
    ):
        decided(engine, pub, "li.na", attest=True)
    # Back to li.na; the same person twice is refused.
    moved(engine, pub, "li.na", "已返回")
    assert waiting_on(engine, pub) == ["li.na"]
    with pytest.raises(DecisionRefused, match="已改派给 li.na，无需再改派"):
        moved(engine, pub, "li.na")
    decided(engine, pub, "li.na", attest=True)
    # Decided: the reassignment is spent; the next step is open to its own deciders.
    assert waiting_on(engine, pub) == ["zeng.xiang"]
    with db.transaction(engine) as session:
        assert cache.check(session) == []
        kinds = session.scalars(
            select(LedgerEntry.kind).where(LedgerEntry.kind == LedgerKind.REASSIGNED)
        ).all()
        assert len(kinds) == 2
        # The 审批表 shows who reassigned the step, to whom and why.
        rows = [
            (s.step, s.username, s.role, s.decision, s.opinion)
            for s in approval_slip(session, pub).steps
            if s.decision.startswith("改派")
        ]
    assert rows == [
        ("初审", "wu.gang", "管理员", "改派给 wang.fang", "李娜出差"),
        ("初审", "wu.gang", "管理员", "改派给 li.na", "已返回"),
    ]


def test_only_someone_the_rule_allows_and_with_a_reason(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    pub = submitted(engine)
    with pytest.raises(
        DecisionRefused, match="不能改派给 曾翔（zeng.xiang）：.*不是综合科的科室负责人"
    ):
        moved(engine, pub, "zeng.xiang")
    with pytest.raises(ValidationError, match="改派须填写理由"):
        moved(engine, pub, "wang.fang", "  ")
    decided(engine, pub, "li.na", attest=True)
    decided(engine, pub, "zeng.xiang")
    # 中心发布: wu.gang is also center, so the step may go to him.
    moved(engine, pub, "wu.gang")
    assert waiting_on(engine, pub) == ["wu.gang"]
    decided(engine, pub, "wu.gang")
    again = ["chain", "reassign", str(pub), "--to", "zhou.min", "--reason", "x", "--as", "wu.gang"]
    assert main(again) == 1
    assert "没有待决定的环节可改派" in capsys.readouterr().err


def test_a_countersign_step_is_not_reassigned(chain_engine: Engine, chains_env) -> None:
    chains_env.write_text(
        "default: web\nchains:\n  web:\n    steps:\n"
        "      - {id: huiqian, label: 部门会签, role: section_head, group: {rule: all}}\n"
        "      - {id: publication, label: 中心发布, role: center, unit: office}\n",
        encoding="utf-8",
    )
    pub = submitted(chain_engine)
    with pytest.raises(DecisionRefused, match="部门会签是会签环节.*不能改派给一人"):
        moved(chain_engine, pub, "wang.fang")
