"""`pubreview status` ends with how far signed checkpoints prove the ledger."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from pubreview import db, settings
from pubreview.cli.parser import main
from pubreview.ledger import checkpoints
from tests.support.factories import submitted

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def cli_db(engine: Engine, database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    for name in ("PUBREVIEW_LEDGER_SIGNING_KEY", "PUBREVIEW_LEDGER_CHECKPOINT_DIR"):
        monkeypatch.delenv(name, raising=False)
    return engine


def _status(capsys) -> str:
    assert main(["status"]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_status_names_the_newest_checkpoint_or_its_absence(cli_db: Engine, capsys) -> None:
    submitted(cli_db)
    assert "还没有" in _status(capsys) and "pubreview ledger checkpoint" in _status(capsys)
    with db.transaction(cli_db) as session:
        made = checkpoints.make(session, create_key=True)
    line = _status(capsys)
    assert line.startswith("台帐检查点：最近 ") and f"证明前 {made.size} 条" in line
    assert "新增" not in line
    submitted(cli_db)
    assert "条尚无检查点" in _status(capsys)
    settings.load().signing_key_file.unlink()
    assert "签名密钥缺失" in _status(capsys)
    # The JSON keeps its shape: the items only.
    assert main(["status", "--json"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)
