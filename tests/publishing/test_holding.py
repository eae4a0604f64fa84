"""An approved item whose stored content was edited is held off the site, recorded and reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from models import LedgerEntry, LedgerKind
from pubreview import db
from pubreview.errors import ContentTampered
from pubreview.notify.outbox import read_outbox
from pubreview.review.workflow import Outcome
from pubreview.site import default_out_dir
from pubreview.site.content import article_path
from tasks.review_steps import render_site
from tests.support.factories import decided, submitted


@pytest.fixture
def office(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Engine:
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    for name in ("PUBREVIEW_APPRISE_CONFIG", "PUBREVIEW_APPRISE_YAML"):
        monkeypatch.delenv(name, raising=False)  # the embedded outbox
    return engine


def _held(engine: Engine, pub: int) -> int:
    with db.transaction(engine) as session:
        return session.scalar(
            select(func.count()).where(
                LedgerEntry.publication_id == pub, LedgerEntry.kind == LedgerKind.HELD
            )
        )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_forged_body_is_held_recorded_once_and_the_center_told_once(office: Engine) -> None:
    pub = submitted(office)
    decided(office, pub, "li.na", Outcome.APPROVE, attest=True)
    decided(office, pub, "zeng.xiang", Outcome.APPROVE)
    decided(office, pub, "zhou.min", Outcome.APPROVE)
    with db.transaction(office) as session:
        session.execute(
            text("UPDATE revisions SET body = '伪造的正文' WHERE publication_id = :p"), {"p": pub}
        )
    for _ in range(2):  # the task's retry, or a rerun: recorded and told once
        with pytest.raises(ContentTampered):
            render_site.fn(pub)
    assert _held(office, pub) == 1
    for person in ("zhou.min", "wu.gang"):
        (mail,) = [m for m in read_outbox(person) if "暂停上网" in m.title]
        assert f"第 {pub} 号" in mail.title and "审批时的内容指纹不符" in mail.body
    assert not (default_out_dir() / article_path(pub)).exists()
