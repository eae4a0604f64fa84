"""The command line's operating-system account goes into the entries it writes, and no further."""

from __future__ import annotations

from sqlalchemy import Engine

from models import LedgerKind
from pubreview import db, ledger


def _append(engine: Engine, key: str, payload: dict | None = None):
    with db.transaction(engine) as session:
        return ledger.append(
            session, kind=LedgerKind.ACCESS, actor="x", payload=payload, dedupe_key=key
        ).payload


def test_operator_is_recorded_inside_the_block_only(engine: Engine) -> None:
    with ledger.operated_by("clerk-account"):
        assert _append(engine, "a") == {"os_user": "clerk-account"}
        # A caller that names the account itself keeps its own.
        assert _append(engine, "b", {"os_user": "named"}) == {"os_user": "named"}
    assert _append(engine, "c") == {}
    with db.transaction(engine) as session:
        assert ledger.verify(session).ok
