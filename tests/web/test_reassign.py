"""The 改派 page over HTTP on SQLite: an administrator reassigns a waiting step with a reason;
refusals are Chinese, name the field and write nothing; CSRF; the new person is told."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication
from pubreview import db
from pubreview.accounts.org import load_org
from pubreview.notify.outbox import read_outbox
from pubreview.review import deciders
from tests.chains.conftest import FIXTURES as CHAIN_FIXTURES
from tests.support.accounts import form_token
from tests.support.factories import decided, submitted
from tests.support.web import ledger_size

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PASSWORD = "Rb7-secure-pw"


@pytest.fixture(autouse=True)
def sample_routing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages go to the sample outbox routing (under the test's data folder)."""
    monkeypatch.delenv("PUBREVIEW_APPRISE_CONFIG", raising=False)
    monkeypatch.delenv("PUBREVIEW_APPRISE_YAML", raising=False)


def waiting_on(engine: Engine, pub_id: int) -> list[str]:
    with db.transaction(engine) as session:
        return [p.username for p in deciders.eligible(session, session.get(Publication, pub_id))]


def test_an_administrator_reassigns_a_waiting_step(office, engine: Engine) -> None:
    pub = submitted(engine)
    client = office(("wu.gang",), PASSWORD, logged_in_as="wu.gang")
    assert 'href="/admin/reassign"' in client.get("/admin").text
    listing = client.get("/admin/reassign")
    assert listing.status_code == 200 and f'href="/admin/reassign/{pub}"' in listing.text
    shown = client.get(f"/admin/reassign/{pub}").text
    assert "现在可决定：李娜（li.na）、王芳（wang.fang）" in shown
    token = form_token(shown)

    before = ledger_size(engine)
    for data, field, words in [
        ({"to": "wang.fang", "reason": ""}, "reason", "改派须填写理由"),
        ({"to": "", "reason": "出差"}, "to", "请选择改由谁决定"),
        ({"to": "zeng.xiang", "reason": "出差"}, "to", "不是综合科的科室负责人"),
        ({"to": "nobody", "reason": "出差"}, "to", "没有用户名为「nobody」的人员"),
    ]:
        refused = client.post(f"/admin/reassign/{pub}", data={"csrf": token, **data})
        assert refused.status_code == 400 and words in refused.text, data
        assert "本次访问未作任何更改" in refused.text
        assert re.search(rf'<[^>]* name="{field}"[^>]* aria-invalid="true"', refused.text), field
    forged = client.post(
        f"/admin/reassign/{pub}", data={"csrf": "0" * 64, "to": "wang.fang", "reason": "出差"}
    )
    assert forged.status_code == 403
    assert ledger_size(engine) == before

    done = client.post(
        f"/admin/reassign/{pub}",
        data={"csrf": token, "to": "wang.fang", "reason": "李娜出差"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert waiting_on(engine, pub) == ["wang.fang"]
    after = client.get(done.headers["location"]).text
    assert "已改派" in after and "已由管理员 wu.gang 改派给 wang.fang（李娜出差）" in after
    with db.transaction(engine) as session:
        (entry,) = session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.REASSIGNED)
        ).all()
        assert (entry.actor, entry.stage, entry.comment, entry.payload["to"]) == (
            "wu.gang",
            "prereview",
            "李娜出差",
            "wang.fang",
        )
        assert entry.payload["via"] == "web-session"
    # The item's history says where it was done, as for a decision.
    (line,) = [li for li in client.get(f"/items/{pub}").text.splitlines() if "改派 · 初审" in li]
    assert "（登录后网页）" in line
    # The new person is told at once.
    assert [m for m in read_outbox("wang.fang") if f"{pub}" in m.title]


def test_only_an_administrator_reassigns(office, engine: Engine) -> None:
    pub = submitted(engine)
    client = office(("zeng.xiang",), PASSWORD, logged_in_as="zeng.xiang")
    assert client.get("/admin/reassign").status_code == 403
    assert client.get(f"/admin/reassign/{pub}").status_code == 403
    token = form_token(client.get("/account/delegation").text)
    before = ledger_size(engine)
    refused = client.post(
        f"/admin/reassign/{pub}", data={"csrf": token, "to": "wang.fang", "reason": "出差"}
    )
    assert refused.status_code == 403 and "只有管理员可以改派审核环节" in refused.text
    assert ledger_size(engine) == before
    assert client.get("/admin/reassign/999").status_code == 403


def test_a_countersign_seat_is_reassigned_on_the_page(
    office, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_CHAINS", str(CHAIN_FIXTURES / "countersign.yaml"))
    with db.transaction(engine) as session:
        load_org(session, CHAIN_FIXTURES / "org.yaml")
    pub = submitted(engine)
    decided(engine, pub, "li.na", attest=True)  # 部门会签: 2 of chen.jing, sun.li, bao.an
    client = office(("wu.gang",), PASSWORD, logged_in_as="wu.gang")
    shown = client.get(f"/admin/reassign/{pub}").text
    assert "改派会签席位" in shown and 'name="seat"' in shown
    # li.na decided 初审 (separation of duties) and sun.li is a member: neither is offered.
    takers = shown[shown.index('id="to"') :]
    assert 'value="wang.fang"' in takers and 'value="li.na"' not in takers
    assert 'value="sun.li"' not in takers
    done = client.post(
        f"/admin/reassign/{pub}",
        data={"csrf": form_token(shown), "seat": "chen.jing", "to": "wang.fang", "reason": "休假"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert waiting_on(engine, pub) == ["bao.an", "sun.li", "wang.fang"]
    with db.transaction(engine) as session:
        (entry,) = session.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.REASSIGNED)
        ).all()
        assert (entry.payload["seat"], entry.payload["via"]) == ("chen.jing", "web-session")
