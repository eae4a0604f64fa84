"""Consistency between two checkpoints, checkable from the two and a short proof alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from pubreview import db
from pubreview.ledger import checkpoints, keys, proofs
from tests.support.factories import submitted
from tests.support.ledger import build_history


def _make(engine: Engine) -> checkpoints.Checkpoint:
    with db.transaction(engine) as session:
        return checkpoints.make(session, create_key=True)


def test_a_later_checkpoint_is_proven_to_extend_an_earlier_one_across_a_rotation(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    build_history(engine, items=2)
    first = _make(engine)
    with db.transaction(engine) as session:
        checkpoints.rotate(session)
    submitted(engine)
    last = _make(engine)
    assert first.key_id != last.key_id
    env = {**os.environ, "PUBREVIEW_DATABASE_URL": database_url}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pubreview.cli", "ledger", "consistency", *args],
            env=env,
            capture_output=True,
            text=True,
        )

    made = cli("--json")
    assert made.returncode == 0, made.stderr
    proof = json.loads(made.stdout)
    assert proof["old"] == first.to_dict() and proof["new"] == last.to_dict()
    assert proof["path"] and proof["problems"] == []
    saved = tmp_path / "proof.json"
    saved.write_text(made.stdout)
    # Checked from the file alone: no database at all.
    no_db = {**env, "PUBREVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'absent' / 'x.db'}"}
    checked = subprocess.run(
        [sys.executable, "-m", "pubreview.cli", "ledger", "consistency", "--proof", str(saved)],
        env=no_db,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0 and "前者被后者延续" in checked.stdout, checked.stderr
    # A rewritten prefix cannot be given a proof that checks.
    forged = {**proof, "path": [p[::-1] for p in proof["path"]]}
    assert proofs.check_consistency(forged, keys.trusted_keys()) == [
        f"{last.label()}不是{first.label()}的延续：前 {first.size} 条被改写过"
    ]
    unknown = cli("--from", "999")
    assert unknown.returncode == 1 and "没有 999 条的检查点" in unknown.stderr
    assert "Traceback" not in unknown.stderr
