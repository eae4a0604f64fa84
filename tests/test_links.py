"""The web signing secret survives a write that fails (a full disk) and an empty file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pubreview import links

# Every write past 0 bytes fails (EFBIG), as on a full disk; SIGXFSZ ignored so write() errors.
FULL_DISK = """
import resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
from pubreview import links
try:
    links.secret_key()
except OSError as exc:
    print("refused", exc.errno)
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PUBREVIEW_WEB_SECRET", raising=False)
    monkeypatch.setenv("PUBREVIEW_WEB_URL", "http://testserver/")
    return tmp_path / "data"


def test_a_failed_write_leaves_no_secret_and_the_next_start_makes_one(data_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK], env=os.environ, capture_output=True, text=True
    )
    assert done.stdout.startswith("refused"), done.stderr
    assert not (data_dir / links.SECRET_FILE).exists()
    assert list(data_dir.iterdir()) == []  # no partial file either
    # Space is back: the secret is made, and links carry it.
    assert links.review_link("li.na", 1, "prereview", 1)
    assert (data_dir / links.SECRET_FILE).read_text().strip() == links.secret_key()


def test_an_empty_secret_file_is_replaced(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / links.SECRET_FILE).write_text("")
    first = links.secret_key()
    assert len(first) > 40 and links.secret_key() == first
    assert links.review_link("li.na", 1, "prereview", 1)
