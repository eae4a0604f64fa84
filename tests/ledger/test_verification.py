"""`ledger verify` runs every check the domain owes it, or refuses to run at all."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.ledger import checkpoints, verification
from tests.support.factories import submitted
from tests.test_layers import ROOT, _imports, _layer

RUNS_VERIFY = {"pubreview.ledger.verification", "pubreview.ledger.backup"}


def test_every_entry_point_that_verifies_loads_the_domain_checks() -> None:
    # An entry point that runs verify (or a backup, which verifies) imports every module that
    # registers a check, so none is skipped wherever verify runs.
    owed = {module for _, module in verification.OWED.values()}
    checked = []
    for top in ("pubreview", "flows", "tasks", "deployments"):
        for path in sorted((ROOT / top).rglob("*.py")):
            found = _imports(path)
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            if found & RUNS_VERIFY and _layer(name) == 4:
                checked.append(name)
                assert owed <= found, f"{name} runs ledger verify without {owed - found}"
    assert {"pubreview.cli.ledger", "pubreview.web.admin", "flows.ledger_backup"} <= set(checked)


def test_verify_refuses_to_run_without_a_domain_check(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(verification._REGISTERED, "publications")
    with db.transaction(engine) as session, pytest.raises(RuntimeError, match="review.replay"):
        verification.verify_all(session)


def test_a_check_the_ledger_does_not_expect_is_refused() -> None:
    with pytest.raises(ValueError, match="OWED"):
        verification.domain_check("publications", "content")


def test_a_checkpoint_signed_while_verify_runs_is_not_entries_lost(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted(engine)
    with db.transaction(engine) as session:
        checkpoints.make(session, create_key=True)
    real_check = verification.guards.check

    def meanwhile(session):
        # verify's snapshot has begun: an item and a checkpoint of it arrive from elsewhere.
        submitted(engine)
        with db.transaction(engine) as other:
            checkpoints.make(other)
        return real_check(session)

    monkeypatch.setattr(verification.guards, "check", meanwhile)
    with db.snapshot(engine) as session:
        result = verification.verify_all(session)
    assert result.ok, result.lines()
