"""What every page shares: the SQLite writers' turn, across threads and web processes."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from pubreview.web import common


def test_a_sqlite_writer_holds_the_lock_file_other_web_processes_wait_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    other = os.open(tmp_path / "ledger.db.web-writer", os.O_RDWR | os.O_CREAT)  # another process's
    try:
        with common._sqlite_writer(url), pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again once the writer is done
        fcntl.flock(other, fcntl.LOCK_UN)
    finally:
        os.close(other)


def test_an_in_memory_database_has_no_lock_file() -> None:
    with common._sqlite_writer("sqlite://"):
        pass
    assert common._turn_file("sqlite:///:memory:") is None
