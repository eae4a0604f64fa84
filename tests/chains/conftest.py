"""Chains tests: the sample chains file, with the 保密办 and the legal office in the org."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.accounts.org import load_org

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "chains"
SAMPLE_CHAINS = Path(__file__).resolve().parents[2] / "config" / "sample-chains.yaml"


@pytest.fixture
def chains_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """PUBREVIEW_CHAINS pointing at a copy of the sample chains (tests may rewrite it)."""
    path = tmp_path / "chains.yaml"
    path.write_text(SAMPLE_CHAINS.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("PUBREVIEW_CHAINS", str(path))
    monkeypatch.setenv("PUBREVIEW_CATALOG", str(FIXTURES / "catalog.yaml"))
    return path


@pytest.fixture
def chain_engine(engine: Engine, chains_env: Path) -> Engine:
    """The sample organisation plus the 保密办 and the legal office, under the sample chains."""
    with db.transaction(engine) as session:
        load_org(session, FIXTURES / "org.yaml")
    return engine
