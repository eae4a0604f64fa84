"""`pubreview delegate grant|revoke`: `--as` must be the delegator or an administrator."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind
from pubreview import db
from pubreview.cli.output import os_user
from pubreview.cli.parser import main
from tests.support.web import ledger_size

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
UNTIL = "2099-12-31T18:00"


def grant(delegator: str, delegate: str, actor: str) -> list[str]:
    return ["delegate", "grant", "--from", delegator, "--to", delegate, "--until", UNTIL,
            "--as", actor, "--json"]  # fmt: skip


def test_only_the_delegator_or_an_admin_grants_and_revokes(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    before = ledger_size(engine)
    assert main(grant("li.na", "wang.fang", "zhang.wei")) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "pubreview: error: 只有管理员可以为他人设置代签委托，张伟（zhang.wei）只能为本人设置"
    ]
    assert ledger_size(engine) == before

    assert main(grant("li.na", "wang.fang", "li.na")) == 0
    own = json.loads(capsys.readouterr().out)["id"]
    # An administrator, for someone on leave.
    assert main(grant("zeng.xiang", "chen.jing", "wu.gang")) == 0
    for_leave = json.loads(capsys.readouterr().out)["id"]
    with db.transaction(engine) as session:
        made = session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.DELEGATED)
        ).all()
    assert [(e.id, e.actor, e.payload["os_user"]) for e in made] == [
        (own, "li.na", os_user()),
        (for_leave, "wu.gang", os_user()),
    ]

    size = ledger_size(engine)
    assert main(["delegate", "revoke", str(own), "--as", "wang.fang"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "pubreview: error: 只有委托人本人或管理员可以撤销这项代签委托，"
        f"王芳（wang.fang）不是第 {own} 号委托的委托人"
    ]
    assert ledger_size(engine) == size
    assert main(["delegate", "revoke", str(own), "--as", "li.na"]) == 0
    assert main(["delegate", "revoke", str(for_leave), "--as", "wu.gang"]) == 0
    assert main(["delegate", "revoke", "99", "--as", "nobody"]) == 1
    with db.transaction(engine) as session:
        ended = session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.DELEGATION_ENDED)
        ).all()
    assert [(e.payload["delegation"], e.actor) for e in ended] == [
        (own, "li.na"),
        (for_leave, "wu.gang"),
    ]
