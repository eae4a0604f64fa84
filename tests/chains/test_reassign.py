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
from pubreview.review import deciders, replay
from pubreview.review.entries import Reassigned
from pubreview.review.reassignment import reassign
from pubreview.review.slip import approval_slip
from tests.chains.conftest import FIXTURES
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
        assert replay.check(session) == []
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


def test_a_countersign_seat_is_reassigned_and_nobody_counts_twice(
    chain_engine: Engine, chains_env
) -> None:
    chains_env.write_text(
        (FIXTURES / "countersign.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    pub = submitted(chain_engine)
    decided(chain_engine, pub, "li.na", attest=True)  # now 部门会签: 2 of chen.jing, sun.li, bao.an
    assert waiting_on(chain_engine, pub) == ["bao.an", "chen.jing", "sun.li"]

    def seat(member: str | None, to: str):
        with db.transaction(chain_engine) as session:
            return reassign(
                session, pub, to=to, reason="陈静休假", actor="wu.gang", via="cli", seat=member
            )

    with pytest.raises(ValidationError, match="请指明把哪位成员的席位改派给 wang.fang"):
        seat(None, "wang.fang")
    for member, to, words in [
        ("chen.jing", "li.na", "已决定过本稿的另一个环节"),  # SoD: 初审 was hers
        ("chen.jing", "sun.li", "已是部门会签本轮会签的成员，每人只计一次"),
        ("chen.jing", "zeng.xiang", "不是科室负责人"),
        ("zeng.xiang", "wang.fang", "不在部门会签本轮会签的成员之列"),
    ]:
        with pytest.raises(DecisionRefused, match=words):
            seat(member, to)
    decided(chain_engine, pub, "sun.li")
    with pytest.raises(DecisionRefused, match="sun.li）已在部门会签本轮会签中决定过"):
        seat("sun.li", "wang.fang")

    done = seat("chen.jing", "wang.fang")
    assert (done.seat, done.to) == ("chen.jing", "wang.fang")
    assert waiting_on(chain_engine, pub) == ["bao.an", "wang.fang"]
    with db.transaction(chain_engine) as session:
        item = session.get(Publication, pub)
        # The queue's one-pass rule agrees with eligible() on the moved seat.
        assert [p.username for p in deciders.eligible_all(session, [item])[pub]] == [
            "bao.an",
            "wang.fang",
        ]
        entry = session.get(LedgerEntry, done.entry_id)
        assert Reassigned.from_payload(entry.payload) == Reassigned(
            "wang.fang", None, via="cli", seat="chen.jing"
        )
    with pytest.raises(DecisionRefused, match="您的会签席位已由管理员 wu.gang 改派给 wang.fang"):
        decided(chain_engine, pub, "chen.jing")
    decided(chain_engine, pub, "wang.fang")  # the second approval of two
    with db.transaction(chain_engine) as session:
        item = session.get(Publication, pub)
        assert item.stage.value == "signoff"
        vote = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.kind == LedgerKind.DECIDED, LedgerEntry.actor == "wang.fang"
            )
        ).one()
        part = vote.payload["countersign"]
        assert (part["settles"], sorted(part["members"])) == (
            "approve",
            ["bao.an", "sun.li", "wang.fang"],
        )
        assert replay.check(session) == []
        # The 审批表 says whose seat moved, to whom, and where it was done.
        (row,) = [s for s in approval_slip(session, pub).steps if s.decision.startswith("改派")]
        assert (row.decision, row.opinion) == ("改派 chen.jing 的会签席位给 wang.fang", "陈静休假")
        assert "经命令行办理" in row.notes
