"""Re-scan of the live archive after a list changes: which items now carry a finding."""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.cli import rescan as rescan_command
from pubreview.publishing.retraction import retract
from pubreview.screening.links import Site
from pubreview.screening.rescan import rescan_published
from pubreview.screening.screen import load_lists
from tests.support.site import CENTER, seed_published

NO_SITE = Site("http://www.example.gov.cn/", None)
BEFORE = "leaders:\n  - {name: 赵明远, title: 副局长, unit: 市数据局}\n"
AFTER = (
    "leaders:\n"
    "  - name: 赵明远\n"
    "    title: 局长\n"
    "    unit: 市数据局\n"
    "    former: [{title: 副局长, until: 2026-02-01}]\n"
)


def on(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T10:00:00+08:00")


@pytest.fixture
def archive(engine: Engine) -> dict[str, int]:
    """Live items that name 赵明远 as 副局长 before and after the change, and others."""
    return {
        "news_before": seed_published(engine, "调研", "副局长赵明远带队调研。", on("2026-01-10")),
        "after": seed_published(engine, "分工", "副局长赵明远分管数据工作。", on("2026-02-20")),
        "right": seed_published(engine, "会议", "局长赵明远主持会议。", on("2026-03-01")),
        "old_link": seed_published(
            engine, "转载", "转自 http://www.gov.cn/zhengce/ 。", on("2026-03-02")
        ),
        "retracted": seed_published(engine, "撤回", "副局长赵明远出席。", on("2026-03-03")),
    }


def test_a_title_change_reports_the_live_items_that_use_the_old_title(
    engine: Engine, archive: dict[str, int], tmp_path: Path
) -> None:
    with db.transaction(engine) as session:
        retract(session, archive["retracted"], CENTER, "内容有误")
    leaders = tmp_path / "leaders.yaml"
    leaders.write_text(BEFORE, encoding="utf-8")
    with db.transaction(engine) as session:
        stale = rescan_published(session, load_lists(leaders_path=leaders), site=NO_SITE)
    # With the list not yet updated, the item that already used the new title stands out.
    assert stale.screened == 4  # the retracted item is not live
    assert [i.publication_id for i in stale.items] == [archive["right"]]

    leaders.write_text(AFTER, encoding="utf-8")
    with db.transaction(engine) as session:
        report = rescan_published(session, load_lists(leaders_path=leaders), site=NO_SITE)
    found = {
        item.publication_id: [(f.detector, f.severity, f.suggestion) for f in item.findings]
        for item in report.items
    }
    assert found == {
        # Right when published (before 1 February): a warning to check a current page.
        archive["news_before"]: [("leader_title", "warn", "局长赵明远")],
        # Published after the change with the old title: wrong.
        archive["after"]: [("leader_title", "block", "局长赵明远")],
    }
    after = next(i for i in report.items if i.publication_id == archive["after"])
    assert after.blocked and after.published_on == datetime.date(2026, 2, 20)
    assert after.url and after.url.endswith(f"articles/{archive['after']}.html")
    assert after.manage_url.endswith(f"/center/items/{archive['after']}")
    text = report.to_markdown()
    assert "复查在线信息 4 条，2 条有新发现的问题（其中 1 条须更正或撤回）" in text
    assert f"[更正或撤回]({after.manage_url})" in text


def test_a_name_added_to_the_departed_list_is_found_in_the_archive(
    engine: Engine, archive: dict[str, int], tmp_path: Path
) -> None:
    leaders = tmp_path / "leaders.yaml"
    leaders.write_text(
        "departed:\n  - {name: 赵明远, status: 正接受审查调查, since: 2026-04-01}\n",
        encoding="utf-8",
    )
    with db.transaction(engine) as session:
        report = rescan_published(session, load_lists(leaders_path=leaders), site=NO_SITE)
    assert sorted(i.publication_id for i in report.items) == sorted(
        archive[k] for k in ("news_before", "after", "right", "retracted")
    )
    assert all(f.detector == "departed_leader" for i in report.items for f in i.findings)
    with db.transaction(engine) as session:
        only_blocks = rescan_published(
            session, load_lists(leaders_path=leaders), site=NO_SITE, min_severity="block"
        )
    assert len(only_blocks.items) == 4


def test_findings_known_at_approval_are_not_reported_again(
    engine: Engine, archive: dict[str, int]
) -> None:
    # The external link in "old_link" was listed when it was screened on submission.
    with db.transaction(engine) as session:
        report = rescan_published(session, load_lists(), site=NO_SITE)
    assert archive["old_link"] not in {i.publication_id for i in report.items}
    assert report.to_dict()["screened"] == 5


def test_cli_prints_the_rescan(
    engine: Engine,
    archive: dict[str, int],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    parser = argparse.ArgumentParser(prog="pubreview")
    rescan_command.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["rescan", "--json"])
    assert args.handler(args) == 0
    data = json.loads(capsys.readouterr().out)
    # The shipped sample list does not know 赵明远: nothing new, but all five were screened.
    assert (data["screened"], data["with_new_findings"]) == (5, 0)
