"""`pubreview submit` screens before its write transaction: nobody waits on a slow file."""

from __future__ import annotations

import random
import threading

import docx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from models import LedgerEntry, Publication
from pubreview import db, migrate
from pubreview.accounts.org import load_org
from pubreview.cli.parser import main
from pubreview.review.status import list_status
from tests.conftest import SAMPLE_ORG
from tests.screening.test_archive import bomb

SUBMIT = ["submit", "--as", "zhang.wei", "--unit", "zonghe", "--title", "工作动态一则"]
SUBMIT += ["--body", "正文。", "--category", "工作动态", "--channel", "网站"]


@pytest.fixture
def ledger(tmp_path, monkeypatch):
    """A SQLite ledger file the in-process command uses; a writer gives up after 0.25 s."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PUBREVIEW_SQLITE_BUSY_TIMEOUT_S", "0.25")
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # nothing listens
    migrate.upgrade(url)
    engine = db.engine_for(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
    yield engine
    engine.dispose()
    db.engine_for.cache_clear()


def test_a_bomb_is_refused_and_nothing_is_written(ledger, tmp_path, capsys):
    path = tmp_path / "通知.docx"
    path.write_bytes(bomb(150 * 1024 * 1024))
    assert main([*SUBMIT, "--attach", str(path)]) == 1
    assert "附件“通知.docx”解压后有" in capsys.readouterr().err
    with db.snapshot(ledger) as session:
        assert session.scalar(select(func.count()).select_from(Publication)) == 0
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_readers_and_writers_go_on_while_a_large_file_is_screened(ledger, tmp_path):
    # About 1.2 million characters of varied text: it compresses like a real report (about
    # 3:1) and takes the screen a good part of a second, several times the writer's patience.
    rng = random.Random(7)
    words = "为进一步做好机构编制信息公开工作经科室负责人初审分管领导审签后交中心发布"
    document = docx.Document()
    for _ in range(2000):
        document.add_paragraph("".join(rng.choice(words) for _ in range(600)) + "。")
    path = tmp_path / "年度报告.docx"
    document.save(path)
    outcome: list[int] = []
    submitting = threading.Thread(
        target=lambda: outcome.append(main([*SUBMIT, "--attach", str(path)]))
    )
    reads = writes = refused = 0
    submitting.start()
    while submitting.is_alive():
        with db.snapshot(ledger) as session:
            list_status(session, only_open=True)
        reads += 1
        try:
            # A writer's turn: it waits at most 0.25 s, less than the screening takes.
            with db.transaction(ledger) as session:
                session.scalar(select(func.count()).select_from(Publication))
            writes += 1
        except OperationalError:
            refused += 1
    submitting.join()
    assert outcome == [0]
    assert reads and writes and refused == 0
