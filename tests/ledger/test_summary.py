"""item_summaries move with the entries; verify names a tampered, missing or extra row."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from pubreview import db
from pubreview.cli.parser import main
from pubreview.ledger import summary
from pubreview.ledger.verification import verify_all
from pubreview.publishing.adoption import adopt
from pubreview.publishing.retraction import retract
from pubreview.settings import PROJECT_ROOT
from tests.support.factories import submitted
from tests.support.site import CENTER, publish_through_chain


def _small_ledger(engine: Engine) -> dict[str, int]:
    both = publish_through_chain(
        engine, "两个渠道", "正文", channels=("网站", "微博"), urls={"微博": "https://weibo.com/1"}
    )
    plain = publish_through_chain(engine, "一个渠道", "正文")
    with db.transaction(engine) as session:
        adopt(session, both, "central", "人民网", None)
        adopt(session, both, "provincial", "省报", None)
        retract(session, plain, CENTER, "数据有误", False)
    return {"both": both, "plain": plain, "waiting": submitted(engine)}


def _problems(engine: Engine) -> list[str]:
    with db.transaction(engine) as session:
        return [str(m) for m in summary.check(session)]


def _stored(engine: Engine) -> dict[int, dict]:
    with db.transaction(engine) as session:
        return summary.stored(session)


def test_rows_follow_the_entries_and_rebuild_the_same(engine: Engine) -> None:
    ids = _small_ledger(engine)
    rows = _stored(engine)
    assert set(rows) == {ids["both"], ids["plain"]}  # a waiting item has no row yet
    both = rows[ids["both"]]
    assert (both["channels"], bool(both["with_url"])) == ('["微博","网站"]', True)
    assert (both["adopted_central"], both["adopted_provincial"]) == (1, 1)
    assert both["year"] == both["first_published_at"][:4]
    assert _problems(engine) == []
    with db.transaction(engine) as session:
        assert summary.rebuild(session) == 2
    assert _stored(engine) == rows


def test_migration_fills_the_rows_of_an_existing_ledger(engine: Engine) -> None:
    _small_ledger(engine)
    rows = _stored(engine)
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["url"] = engine.url.render_as_string(hide_password=False)
    command.downgrade(config, "0010")
    command.upgrade(config, "0011")
    assert _stored(engine) == rows


def test_tampered_missing_or_extra_row_fails_verify(engine: Engine) -> None:
    ids = _small_ledger(engine)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE item_summaries SET channels = '[\"网站\"]' WHERE publication_id = :p"),
            {"p": ids["both"]},
        )
        conn.execute(
            text("DELETE FROM item_summaries WHERE publication_id = :p"), {"p": ids["plain"]}
        )
        conn.execute(
            text(
                "INSERT INTO item_summaries (publication_id, first_published_at, year, channels,"
                " with_url, adopted_central, adopted_provincial)"
                " VALUES (:p, '2026-01-01T09:00:00+08:00', '2026', '[\"网站\"]', false, 0, 0)"
            ),
            {"p": ids["waiting"]},
        )
    found = _problems(engine)
    assert found == [
        f'第 {ids["both"]} 号信息：item_summaries.channels 为「["网站"]」，'
        f'按台帐应为「["微博","网站"]」',
        f"第 {ids['plain']} 号信息：item_summaries.id 为「（没有这一行）」，"
        f"按台帐应为「{ids['plain']}（台帐中有它的记录）」",
        f"第 {ids['waiting']} 号信息：item_summaries.id 为「{ids['waiting']}」，"
        "按台帐应为「（台帐中没有这条信息的发布记录）」",
    ]
    with db.transaction(engine) as session:
        result = verify_all(session)
    assert result.chain.ok and not result.ok and result.cache == found
    with db.transaction(engine) as session:
        summary.rebuild(session)
    assert _problems(engine) == []


def test_the_command_rewrites_the_rows_and_says_how_many_differed(
    engine: Engine, database_url: str, monkeypatch, capsys
) -> None:
    ids = _small_ledger(engine)
    rows = _stored(engine)
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM item_summaries WHERE publication_id = :p"), {"p": ids["plain"]}
        )
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    db.engine_for.cache_clear()
    assert main(["ledger", "rebuild-summaries"]) == 0
    said = capsys.readouterr().out.strip()
    assert said == "已按台帐重写年度汇总缓存 2 行（重写前与台帐不符 1 处）"
    assert _stored(engine) == rows and _problems(engine) == []
