"""`pubreview resubmit` may change 内容类别, 发布渠道 and 公开属性, through the same checks."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from models import Publication
from models.publication import Disclosure
from pubreview import db
from pubreview.cli.parser import main
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted
from tests.support.web import ledger_size


@pytest.fixture
def cli_db(engine: Engine, database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # nothing to reach
    return engine


def test_resubmit_changes_the_attributes_and_keeps_what_it_is_not_given(cli_db, capsys) -> None:
    pub = submitted(cli_db, disclosure=Disclosure.ON_REQUEST, disclosure_reason="涉及第三方")
    decided(cli_db, pub, "li.na", Outcome.RETURN, comment="改为政务公开，加微信")
    args = ["resubmit", str(pub), "--as", "zhang.wei", "--category", "政务公开"]
    status = main([*args, "--channel", "网站", "--channel", "微信", "--json"])
    assert status == 0
    assert json.loads(capsys.readouterr().out)["revision"] == 2
    with db.transaction(cli_db) as session:
        item = session.get(Publication, pub)
        assert (item.category, item.channels) == ("政务公开", ["网站", "微信"])
        # Not given: 公开属性 and its reason stay as they were.
        assert (item.disclosure, item.disclosure_reason) == (Disclosure.ON_REQUEST, "涉及第三方")


def test_a_refused_attribute_names_the_field_not_the_flag(cli_db, capsys) -> None:
    pub = submitted(cli_db)
    decided(cli_db, pub, "li.na", Outcome.RETURN, comment="请修改")
    before = ledger_size(cli_db)
    status = main(["resubmit", str(pub), "--as", "zhang.wei", "--disclosure", "不予公开"])
    assert status == 1
    err = capsys.readouterr().err
    assert "公开属性：选择依申请公开或不予公开时，须填写理由" in err and "--" not in err
    assert ledger_size(cli_db) == before
