"""The 代签 page over HTTP on SQLite: give, list and revoke a delegation; refusals write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from models import LedgerEntry
from models.base import utcnow
from pubreview import db
from pubreview.clock import local
from pubreview.review import delegation
from tests.support.accounts import form_token
from tests.support.web import ledger_size

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PASSWORD = "Rb7-secure-pw"
PAGE = "/account/delegation"


def office_time(days: float) -> str:
    """A moment `days` from now as a datetime-local field holds it (office time, no zone)."""
    return local(utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def recorded(engine: Engine) -> list[tuple[delegation.Delegation, str]]:
    with db.transaction(engine) as session:
        return [(d, session.get(LedgerEntry, d.id).actor) for d in delegation.delegations(session)]


def test_a_person_delegates_and_revokes(office, engine: Engine) -> None:
    client = office(("wang.fang", "li.na"), PASSWORD, logged_in_as="wang.fang")
    assert PAGE in client.get("/account").text
    token = form_token(client.get(PAGE).text)
    done = client.post(
        PAGE,
        data={
            "csrf": token,
            "delegate": "li.na",
            "role": "section_head",
            "ends": office_time(3),
            "reason": "年休假",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    [(made, actor)] = recorded(engine)
    assert (made.delegator, made.delegate, made.role.value, actor) == (
        "wang.fang",
        "li.na",
        "section_head",
        "wang.fang",
    )
    shown = client.get(done.headers["location"]).text
    assert "代签委托已记录" in shown and "李娜（li.na）" in shown and "生效中" in shown

    revoked = client.post(f"{PAGE}/{made.id}/revoke", data={"csrf": token}, follow_redirects=False)
    assert revoked.status_code == 303
    [(after, _)] = recorded(engine)
    assert after.revoked_at is not None and not after.active()
    assert "撤销" in client.get(PAGE).text


def test_refusals_name_the_field_and_write_nothing(office, engine: Engine) -> None:
    client = office(("wang.fang", "li.na"), PASSWORD, logged_in_as="wang.fang")
    token = form_token(client.get(PAGE).text)
    with db.transaction(engine) as session:
        others = delegation.grant(
            session,
            delegator="zeng.xiang",
            delegate="li.na",
            ends=utcnow() + timedelta(days=1),
            actor="zeng.xiang",
        )
    before = ledger_size(engine)
    cases = [
        ({"delegate": "wang.fang", "ends": office_time(2)}, 400, "不能委托给本人"),
        ({"delegate": "li.na", "ends": office_time(-1)}, 400, "结束时间须晚于"),
        ({"delegate": "li.na", "ends": ""}, 400, "请填写结束时间"),
        ({"delegate": "li.na", "role": "leader", "ends": office_time(2)}, 400, "无此角色可委托"),
        ({"delegate": "li.na", "delegator": "li.na", "ends": office_time(2)}, 403, "管理员"),
    ]
    for fields, status, words in cases:
        answer = client.post(PAGE, data={"csrf": token, **fields})
        assert (answer.status_code, words in answer.text) == (status, True), fields
    forged = client.post(PAGE, data={"csrf": "0" * 64, "delegate": "li.na", "ends": office_time(2)})
    assert forged.status_code == 403 and "无法验证本次提交" in forged.text
    not_hers = client.post(f"{PAGE}/{others.id}/revoke", data={"csrf": token})
    assert not_hers.status_code == 403 and "只有委托人本人或管理员" in not_hers.text
    assert client.post(f"{PAGE}/999999/revoke", data={"csrf": token}).status_code == 404
    assert ledger_size(engine) == before


def test_an_administrator_delegates_for_someone_on_leave(office, engine: Engine) -> None:
    client = office(("wu.gang", "zeng.xiang", "wang.fang"), PASSWORD, logged_in_as="wu.gang")
    form = client.get(PAGE).text
    assert 'name="delegator"' in form
    done = client.post(
        PAGE,
        data={
            "csrf": form_token(form),
            "delegator": "zeng.xiang",
            "delegate": "wang.fang",
            "role": "leader",
            "ends": office_time(5),
            "reason": "曾翔出差",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    [(made, actor)] = recorded(engine)
    assert (made.delegator, made.delegate, actor) == ("zeng.xiang", "wang.fang", "wu.gang")
    listed = client.get(PAGE).text
    assert "曾翔（zeng.xiang）" in listed and 'id="others"' in listed
    revoked = client.post(
        f"{PAGE}/{made.id}/revoke", data={"csrf": form_token(form)}, follow_redirects=False
    )
    assert revoked.status_code == 303
    [(after, _)] = recorded(engine)
    assert after.revoked_at is not None
