"""Importing an old 台帐: rows become chained, published items; a bad row refuses the file."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from models import LedgerEntry, LedgerKind, Publication, Status
from pubreview import cli, db, ledger
from pubreview.errors import ValidationError
from pubreview.publishing.entries import Imported, imported_key
from pubreview.publishing.importer import import_file
from tests.support.report import HEADER, write_csv


def counts(engine: Engine) -> tuple[int, int]:
    with db.transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Publication)),
            session.scalar(select(func.count()).select_from(LedgerEntry)),
        )


def test_xlsx_rows_become_published_chained_items(engine: Engine, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(
        [
            datetime(2018, 5, 4),
            "市编办召开全市编办主任会议",
            "工作动态",
            "网站、微信",
            "综合科",
            "https://a.example.gov.cn/1.html https://mp.weixin.qq.com/s/1",
            "中央级：人民网、省级",
        ]
    )
    sheet.append(["2018年12月31日", "减证便民专项行动", "专题", "微博", "yewu", None, None])
    path = tmp_path / "台帐.xlsx"
    book.save(path)
    with db.transaction(engine) as session:
        summary = import_file(session, path, "zhou.min")
    assert (summary.items, summary.published, summary.adoptions) == (2, 3, 2)
    with db.transaction(engine) as session:
        assert ledger.verify(session).ok
        pub = session.scalars(select(Publication).order_by(Publication.id)).first()
        assert (pub.status, pub.channels, pub.category) == (
            Status.PUBLISHED,
            ["网站", "微信"],
            "工作动态",
        )
        entries = ledger.history(session, pub.id)
    assert [e.kind for e in entries] == ["imported", "published", "published", "adopted", "adopted"]
    assert entries[0].payload["row"] == 2 and entries[0].actor == "zhou.min"
    site, wechat = entries[1].payload, entries[2].payload
    assert site["published_at"] == "2018-05-04T00:00:00+08:00" and site["imported"] is True
    assert wechat["url"] == "https://mp.weixin.qq.com/s/1"
    assert site["fingerprint"] == entries[0].payload["fingerprint"]
    assert [(e.payload["level"], e.payload["outlet"]) for e in entries[3:]] == [
        ("central", "人民网"),
        ("provincial", "省级报刊或网站"),
    ]
    # The typed payload reads back exactly the JSON stored (the chain hashed it), under its key.
    stored = {k: v for k, v in entries[0].payload.items() if k != "os_user"}
    assert Imported.from_payload(entries[0].payload).to_payload() == stored
    assert entries[0].dedupe_key == imported_key(date(2018, 5, 4), pub.title, stored["unit"])


def test_bad_rows_are_named_and_nothing_is_written(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["2018-01-02", "好的一行", "工作动态", "网站", "zonghe", "", ""],
            ["2018-02-30", "日期不对", "工作动态", "网站", "zonghe", "", ""],
            ["2018-03-01", "分类不对", "新闻", "抖音", "不存在的科", "ftp://x", "县级"],
            ["2018-01-02", "好的一行", "工作动态", "网站", "zonghe", "", ""],
        ],
    )
    before = counts(engine)
    with pytest.raises(ValidationError) as raised, db.transaction(engine) as session:
        import_file(session, path, "zhou.min")
    message = str(raised.value)
    for expected in [
        "row 3, column 日期: not a date: '2018-02-30'",
        "row 4, column 分类: 内容类别：“新闻”不在目录中",
        "文件位置由 PUBREVIEW_CATALOG 设置",
        "row 4, column 渠道: '抖音'",
        "row 4, column 单位: unknown unit '不存在的科'",
        "row 4, column 网址: 'ftp://x' is not an http(s) address",
        "row 4, column 采用: '县级'",
        "row 5, column 标题: same date, title and unit as row 2",
        "nothing imported",
    ]:
        assert expected in message, expected
    assert counts(engine) == before


def test_a_file_imported_twice_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "once.csv", [["2018-01-02", "一条", "工作动态", "网站", "zonghe", "", ""]]
    )
    with db.transaction(engine) as session:
        import_file(session, path, "zhou.min")
    before = counts(engine)
    with (
        pytest.raises(ValidationError, match="row 2: already imported"),
        db.transaction(engine) as session,
    ):
        import_file(session, path, "zhou.min")
    assert counts(engine) == before


def test_missing_columns_are_named(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cols.csv", [["2018-01-02", "一条"]], header=["日期", "标题"])
    with (
        pytest.raises(ValidationError, match="row 1: missing column.*分类, 渠道, 单位"),
        db.transaction(engine) as session,
    ):
        import_file(session, path, "zhou.min")


def test_import_from_the_cli(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", engine.url.render_as_string(False))
    path = write_csv(
        tmp_path / "cli.csv",
        [["2018-01-02", "一条", "工作动态", "网站、微博", "wuling", "", "省级"]],
    )
    assert cli.main(["ledger", "import", str(path), "--as", "zhou.min", "--json"]) == 0
    assert '"items": 1' in capsys.readouterr().out
    assert cli.main(["ledger", "import", str(path), "--as", "zhou.min"]) == 1
    assert "row 2: already imported" in capsys.readouterr().err
    with db.transaction(engine) as session:
        kinds = session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.id)).all()
    assert kinds == [LedgerKind.IMPORTED, "published", "published", "adopted"]
