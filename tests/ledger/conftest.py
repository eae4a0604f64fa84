"""The ledger tests keep their signing key and checkpoint log in the test's own data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubreview.requests import files as _request_files  # noqa: F401  registers its verify check
from pubreview.review import replay as _replay  # noqa: F401  registers its verify check


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PUBREVIEW_DATA_DIR in a fresh folder: no key, no checkpoints, no site yet."""
    home = tmp_path / "data"
    home.mkdir()
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(home))
    monkeypatch.delenv("PUBREVIEW_LEDGER_SIGNING_KEY", raising=False)
    monkeypatch.delenv("PUBREVIEW_LEDGER_CHECKPOINT_DIR", raising=False)
    return home
