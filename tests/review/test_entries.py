"""Review's typed ledger payloads read back exactly what the code wrote (the chain hashes them)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind
from models.base import utcnow
from pubreview import db, ledger
from pubreview.accounts.org import load_org
from pubreview.review import delegation, entries
from pubreview.review.reassignment import reassign
from pubreview.review.submission import resubmit
from pubreview.review.withdrawal import withdraw
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted
from tests.support.journeys import whole_journey

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

TYPED = {
    LedgerKind.SUBMITTED: entries.Submitted,
    LedgerKind.SCREENED: entries.ScreeningRecord,
    LedgerKind.RESUBMITTED: entries.Submitted,
    LedgerKind.DECIDED: entries.Decided,
    LedgerKind.REASSIGNED: entries.Reassigned,
    LedgerKind.WITHDRAWN: entries.Withdrawn,
    LedgerKind.DELEGATED: entries.Delegated,
    LedgerKind.DELEGATION_ENDED: entries.DelegationEnded,
}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "chains"


def round_trips(engine: Engine) -> list[LedgerKind]:
    """Every typed entry's payload read and written again; the kinds seen, in ledger order."""
    seen = []
    with db.snapshot(engine) as session:
        for entry in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)):
            if entry.kind not in TYPED:
                continue
            # The operating-system account is the ledger's, added to every entry's payload.
            written = {k: v for k, v in entry.payload.items() if k != "os_user"}
            assert TYPED[entry.kind].from_payload(entry.payload).to_payload() == written, entry.id
            seen.append(LedgerKind(entry.kind))
        assert ledger.verify(session).ok
    return seen


def test_every_review_entry_reads_back_as_written(engine: Engine) -> None:
    whole_journey(engine)
    blocked = submitted(engine, body="秘密★1年\n\n本文件内容如下。")
    decided(engine, blocked, "li.na", attest=True, override_reason="经核实已解密")
    scheduled = submitted(engine, channels=["网站", "微博"])
    decided(engine, scheduled, "li.na", attest=True)
    with db.transaction(engine) as session:
        grant = delegation.grant(
            session,
            delegator="zeng.xiang",
            delegate="chen.jing",
            role=None,
            ends=utcnow() + timedelta(days=3),
            actor="admin",
            reason="出差",
        )
    decided(engine, scheduled, "chen.jing")  # 代签 for zeng.xiang
    decided(
        engine,
        scheduled,
        "zhou.min",
        urls={"微博": "https://weibo.example/2"},
        publish_at=utcnow() + timedelta(hours=1),
    )
    with db.transaction(engine) as session:
        delegation.revoke(session, grant.id, actor="admin")
    moved = submitted(engine)
    with db.transaction(engine) as session:
        reassign(session, moved, to="wang.fang", reason="李娜出差", actor="wu.gang")
        reassign(session, moved, to="li.na", reason="已返回", actor="wu.gang")
    returned = submitted(engine)
    decided(engine, returned, "li.na", Outcome.RETURN, comment="请补充")
    with db.transaction(engine) as session:
        withdraw(session, returned, "zhang.wei", "不再发布")

    seen = round_trips(engine)
    assert set(seen) == set(TYPED)
    with db.snapshot(engine) as session:
        got = [
            entries.Decided.from_payload(e.payload)
            for e in session.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.kind == LedgerKind.DECIDED,
                    LedgerEntry.publication_id.in_([blocked, scheduled]),
                )
            )
        ]
    assert got[0].screening_override == "经核实已解密" and got[0].attest_no_secrets is True
    assert got[2].acting_for == "zeng.xiang" and got[2].attest_no_secrets is None
    assert got[3].publish_time is not None and got[3].urls["微博"] == "https://weibo.example/2"


def test_a_countersign_vote_and_a_changed_resubmission_read_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_CHAINS", str(FIXTURES / "countersign.yaml"))
    monkeypatch.setenv("PUBREVIEW_CATALOG", str(FIXTURES / "catalog.yaml"))
    with db.transaction(engine) as session:
        load_org(session, FIXTURES / "org.yaml")
    pub = submitted(engine)
    decided(engine, pub, "li.na", attest=True)
    decided(engine, pub, "chen.jing")
    decided(engine, pub, "sun.li", Outcome.RETURN, comment="请修改")
    decided(engine, pub, "bao.an", Outcome.RETURN, comment="同上")
    with db.transaction(engine) as session:
        resubmit(
            session,
            pub,
            "zhang.wei",
            title=None,
            body="修改后的正文。",
            attachments=None,
            channels=["网站", "微博"],
        )

    assert LedgerKind.RESUBMITTED in round_trips(engine)
    with db.snapshot(engine) as session:
        votes = [
            entries.Decided.from_payload(e.payload).countersign
            for e in ledger.decisions_on(session, pub, 1)
            if e.stage == "huiqian"
        ]
        again = ledger.find_by_key(session, entries.revision_key(pub, 2))
    assert [(v.round, v.settles, v.need) for v in votes] == [
        (1, None, 2),
        (1, None, 2),
        (1, "return", 2),
    ]
    assert entries.Submitted.from_payload(again.payload).changed


def test_the_review_runs_stage_opened_entry_reads_back_as_written(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks.review_steps import open_step, read_position

    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    position = read_position(submitted(engine))
    assert open_step.fn(position, "run-1") is True
    assert open_step.fn(position, "run-1") is False  # each wait is recorded once
    with db.snapshot(engine) as session:
        opened = session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.STAGE_OPENED)
        ).all()
    assert len(opened) == 1
    written = {k: v for k, v in opened[0].payload.items() if k != "os_user"}
    assert entries.StageOpened.from_payload(opened[0].payload).to_payload() == written
    assert written == {"waiting_key": position.waiting_key}
    assert opened[0].dedupe_key == entries.opened_key(position.publication_id, position.waiting_key)
