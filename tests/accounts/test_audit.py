"""The access audit: in the hash-chained ledger, append-only, readable, role changes included."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DatabaseError

from models import LedgerEntry, LedgerKind
from models.base import utcnow
from pubreview import db, ledger
from pubreview.accounts import audit, org
from pubreview.accounts.audit import AccessEvent
from pubreview.accounts.org import load_org
from tests.conftest import SAMPLE_ORG


def test_records_are_ledger_entries_read_back_newest_first(engine: Engine) -> None:
    with db.transaction(engine) as session:
        audit.record(session, AccessEvent.LOGIN, actor="li.na", username="li.na", ip="192.0.2.1")
        audit.record(
            session, AccessEvent.ACCOUNT_DISABLED, actor="wu.gang", username="li.na", via="web"
        )
    with db.transaction(engine) as session:
        records = audit.entries(session)
        entry = session.get(LedgerEntry, records[0].entry_id)
        assert entry.kind == LedgerKind.ACCESS and entry.publication_id is None
        assert ledger.verify(session).ok
    assert [r.event for r in records] == [AccessEvent.ACCOUNT_DISABLED, AccessEvent.LOGIN]
    assert records[0].actor == "wu.gang" and records[0].label == "停用账户"
    assert records[1].ip == "192.0.2.1" and records[1].at.utcoffset() == timedelta(0)
    assert records[1].to_dict()["at"].endswith("+00:00")
    with db.transaction(engine) as session:
        assert audit.entries(session, since=utcnow() + timedelta(minutes=1)) == []
        assert len(audit.entries(session, since=utcnow() - timedelta(minutes=5))) == 2
        assert len(audit.entries(session, limit=1)) == 1
        by_or_to = audit.entries(session, username="wu.gang")
        assert [r.event for r in by_or_to] == [AccessEvent.ACCOUNT_DISABLED]
        assert len(audit.entries(session, username="li.na")) == 2
        assert audit.entries(session, username="zhang.wei") == []


def test_an_access_record_cannot_be_edited_or_deleted(engine: Engine) -> None:
    with db.transaction(engine) as session:
        entry = audit.record(session, AccessEvent.LOGIN, actor="li.na", username="li.na")
        entry_id = entry.id
    for statement in (
        "UPDATE ledger_entries SET actor = 'someone' WHERE id = :id",
        "DELETE FROM ledger_entries WHERE id = :id",
    ):
        with pytest.raises(DatabaseError), db.transaction(engine) as session:
            session.execute(text(statement), {"id": entry_id})


def test_a_role_changed_by_org_load_is_audited(engine: Engine, tmp_path: Path) -> None:
    changed = tmp_path / "org.yaml"
    changed.write_text(
        SAMPLE_ORG.read_text(encoding="utf-8").replace(
            "      - {unit: zonghe, role: section_head}\n      - {unit: zonghe, role: submitter}",
            "      - {unit: zonghe, role: submitter}\n      - {unit: yewu, role: section_head}",
        ),
        encoding="utf-8",
    )
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG, actor="wu.gang")  # nothing changed: nothing recorded
        assert audit.entries(session) == []
        load_org(session, changed, actor="wu.gang")
        records = audit.entries(session)
        assert org.holds(session, org.person(session, "li.na").id, "section_head") is True
    assert len(records) == 1
    assert records[0].event is AccessEvent.ROLE_CHANGED and records[0].username == "li.na"
    assert records[0].actor == "wu.gang" and records[0].via == "org-load"
    assert records[0].detail == {
        "added": ["section_head@yewu"],
        "removed": ["section_head@zonghe"],
    }
