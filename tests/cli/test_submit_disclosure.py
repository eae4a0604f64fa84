"""`pubreview submit --disclosure`: 公开属性 from the command line, with its reason."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from models import Publication
from models.publication import Disclosure
from pubreview import db
from pubreview.cli.parser import main

ARGS = [
    "submit",
    "--as",
    "zhang.wei",
    "--unit",
    "zonghe",
    "--title",
    "通知",
    "--body",
    "正文",
    "--category",
    "工作动态",
    "--channel",
    "网站",
    "--json",
]


@pytest.fixture
def cli_db(engine: Engine, database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # nothing to reach
    return engine


def _submit(capsys, *extra: str) -> tuple[int, dict]:
    status = main([*ARGS, *extra])
    return status, json.loads(capsys.readouterr().out)


def test_submit_defaults_to_active_and_takes_a_disclosure_with_reason(cli_db, capsys) -> None:
    status, plain = _submit(capsys)
    assert status == 0
    status, withheld = _submit(
        capsys, "--disclosure", "不予公开", "--disclosure-reason", "内部管理信息"
    )
    assert status == 0
    with db.transaction(cli_db) as session:
        assert session.get(Publication, plain["id"]).disclosure is Disclosure.ACTIVE
        pub = session.get(Publication, withheld["id"])
        assert (pub.disclosure, pub.disclosure_reason) == (Disclosure.NOT_PUBLIC, "内部管理信息")


def test_a_disclosure_without_its_reason_is_refused(cli_db, capsys) -> None:
    status, refused = _submit(capsys, "--disclosure", "依申请公开")
    assert status == 1 and "须填写理由" in refused["message"]
