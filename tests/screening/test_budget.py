"""The per-file time budget: a file whose screening outlasts it is refused by name, nothing kept."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import LedgerEntry
from pubreview import db
from pubreview.cli.parser import main
from pubreview.screening import screen_document, screen_files
from pubreview.screening.budget import ScreeningTooSlow, TimeBudget
from pubreview.screening.extract import extract
from tests.screening.test_archive import small_docx
from tests.screening.test_extract import make_pdf, make_xlsx

FILES = {
    "报告.pdf": make_pdf(*[f"page {n}" for n in range(1, 21)]),
    "通知.docx": small_docx("本单位召开工作会议。" * 50),
    "统计.xlsx": make_xlsx({"表一": [[n, "数据"] for n in range(200)]}),
    "说明.txt": "本单位召开工作会议。\n".encode() * 100,
}


@pytest.fixture
def no_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A budget no real file can be screened in (one microsecond)."""
    monkeypatch.setenv("PUBREVIEW_SCREEN_SECONDS_PER_FILE", "0.000001")


@pytest.mark.parametrize("name", list(FILES))
def test_a_file_past_its_budget_is_refused_by_name(no_time, name: str) -> None:
    with pytest.raises(ScreeningTooSlow, match=f"附件“{name}”筛查超过 1e-06 秒") as refused:
        screen_document("标题", "正文", [(name, FILES[name])])
    assert refused.value.field == "attachments"


@pytest.mark.parametrize("name", list(FILES))
def test_the_same_files_pass_in_the_default_budget(name: str) -> None:
    result = screen_document("标题", "正文", [(name, FILES[name])])
    assert name not in result.not_screened


def test_readers_stop_between_pages_rows_and_paragraphs() -> None:
    # The readers themselves ask the budget: a spent one stops them before the next page.
    spent = TimeBudget("报告.pdf", 0.000001)
    for name, data in FILES.items():
        if name.endswith(".txt"):
            continue
        with pytest.raises(ScreeningTooSlow):
            extract(name, data, spent)
    assert extract("报告.pdf", FILES["报告.pdf"], TimeBudget.unlimited()).parts


def test_zero_means_no_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBREVIEW_SCREEN_SECONDS_PER_FILE", "0")
    assert screen_document("标题", "正文", list(FILES.items())).not_screened == {}


def test_pubreview_screen_refuses_it_too(no_time, tmp_path, capsys) -> None:
    path = tmp_path / "报告.pdf"
    path.write_bytes(FILES["报告.pdf"])
    with pytest.raises(ScreeningTooSlow):
        screen_files([path])
    assert main(["screen", str(path)]) == 2  # refused, not "a block finding" (1)
    err = capsys.readouterr().err
    assert "附件“报告.pdf”筛查超过" in err and len(err.splitlines()) == 1


def test_submit_refuses_it_and_writes_nothing(no_time, tmp_path, monkeypatch, capsys) -> None:
    from pubreview import migrate
    from pubreview.accounts.org import load_org
    from tests.conftest import SAMPLE_ORG

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    migrate.upgrade(url)
    engine = db.engine_for(url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
        before = session.scalar(select(func.count()).select_from(LedgerEntry))
    path = tmp_path / "报告.pdf"
    path.write_bytes(FILES["报告.pdf"])
    argv = ["submit", "--as", "zhang.wei", "--unit", "zonghe", "--title", "工作动态一则"]
    argv += [
        "--body",
        "正文。",
        "--category",
        "工作动态",
        "--channel",
        "网站",
        "--attach",
        str(path),
    ]
    try:
        assert main(argv) == 1
        assert "附件“报告.pdf”筛查超过" in capsys.readouterr().err
        with db.snapshot(engine) as session:
            assert session.scalar(select(func.count()).select_from(LedgerEntry)) == before
    finally:
        engine.dispose()
        db.engine_for.cache_clear()
