"""`pubreview report YEAR` and `pubreview report audit`: editions by year, drafts, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pubreview import cli
from tests.support.report import national_supplement


@pytest.fixture
def ledger_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", engine.url.render_as_string(False))
    return engine


def test_a_template_left_as_it_is_gives_a_draft_and_fails(
    ledger_env: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sup = tmp_path / "supplement-2026.yaml"
    assert cli.main(["report", "2026", "--init-supplement", "--supplement", str(sup)]) == 0
    assert "〔2021〕30号" in capsys.readouterr().out
    argv = ["report", "2026", "--supplement", str(sup), "--out", str(tmp_path / "out")]
    assert cli.main(argv) == 1  # a draft, even without --strict
    out = capsys.readouterr().out
    assert "草稿" in out and "全部校验通过" not in out
    text = (tmp_path / "out" / "annual-report-2026-national.md").read_text(encoding="utf-8")
    assert text.startswith("# 【草稿】2026年度政府信息公开工作年度报告")


def test_the_edition_follows_the_year(
    ledger_env: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pubreview.report import formats

    sup = national_supplement(
        tmp_path / "supplement-2020.yaml", year=2020, edition=formats.NATIONAL_2019
    )
    argv = ["report", "2020", "--supplement", str(sup), "--out", str(tmp_path), "--json"]
    assert cli.main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "national-2019" and data["problems"] == []
    text = Path(data["files"]["markdown"]).read_text(encoding="utf-8")
    assert "本年新制作数量" in text and "采购总金额" in text and "本年制发件数" not in text
    # A 2020 supplement used for the 2021 tables is refused in one sentence, not 23 errors.
    assert cli.main([*argv, "--format", "national"]) == 1
    err = capsys.readouterr().err
    assert "表二、表三是按国办公开办函〔2019〕60号格式填写的" in err and "没有这一项" not in err


def test_strict_fails_on_a_contradicted_figure(
    ledger_env: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sup = national_supplement(
        tmp_path / "supplement-2021.yaml",
        narrative={"overview": "予以公开及部分公开6件。", "problems": "无。"},
    )
    argv = ["report", "2021", "--supplement", str(sup), "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    assert "正文数字 1 处：核对 1 处，其中矛盾 1 处" in capsys.readouterr().out
    assert cli.main([*argv, "--strict"]) == 1


def test_audit_and_year_are_told_apart(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "audit"]) == 1
    assert "请指定要检查的年报文件" in capsys.readouterr().err
    assert cli.main(["report", "二〇二一"]) == 1
    assert "不是年份" in capsys.readouterr().err


def test_the_supplement_lives_in_the_data_folder_for_every_caller(
    ledger_env: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pubreview.report import supplement

    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["report", "2026", "--init-supplement"]) == 0
    expected = tmp_path / "data" / "reports" / "2026" / "supplement-2026.yaml"
    assert expected.exists() and supplement.default_path(2026) == expected
    assert not list(tmp_path.glob("supplement-*.yaml"))  # nothing in the working folder
    said = capsys.readouterr().out
    assert str(expected) in said and "`pubreview report 2026`" in said
    # The next command the message names finds it without being told where.
    assert cli.main(["report", "2026"]) == 1  # a draft still
    assert (tmp_path / "data" / "reports" / "2026" / "annual-report-2026-national.md").exists()
