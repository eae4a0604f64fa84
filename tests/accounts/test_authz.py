"""Authorisation in one place: each action allowed to the right roles and refused in Chinese."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from models import Publication
from pubreview import db
from pubreview.accounts import authz, org, roles
from pubreview.errors import Forbidden
from tests.support.factories import decided, submitted


def _require(engine: Engine, username: str, action: str, **kw) -> None:
    with db.transaction(engine) as session:
        person = org.person(session, username)
        if "unit" in kw:
            kw["unit_id"] = org.unit(session, kw.pop("unit")).id
        if "pub" in kw:
            kw["publication"] = session.get(Publication, kw.pop("pub"))
        authz.require(session, person, action, **kw)


@pytest.mark.parametrize("username", ["zhang.wei", "li.na", "zhou.min"])
def test_admin_pages_are_for_admins_only(engine: Engine, username: str) -> None:
    with pytest.raises(Forbidden, match="只有管理员"):
        _require(engine, username, "admin")
    _require(engine, "wu.gang", "admin")


def test_center_console_is_for_the_center(engine: Engine) -> None:
    _require(engine, "zhou.min", "center")
    with pytest.raises(Forbidden, match="只有中心发布人员"):
        _require(engine, "zhang.wei", "center")


def test_submit_needs_the_submitter_role_for_that_unit(engine: Engine) -> None:
    _require(engine, "zhang.wei", "submit", unit="zonghe")
    _require(engine, "zhang.wei", "submit")
    with pytest.raises(Forbidden, match="不是业务科的报送人"):
        _require(engine, "zhang.wei", "submit", unit="yewu")
    with pytest.raises(Forbidden, match="没有任何单位的报送权限"):
        _require(engine, "wang.fang", "submit")


def test_an_item_is_seen_by_its_submitter_reviewers_center_and_admin(engine: Engine) -> None:
    pub = submitted(engine)  # zhang.wei for 综合科
    for username in ("zhang.wei", "wang.fang", "zeng.xiang", "zhou.min", "wu.gang"):
        _require(engine, username, "view_item", pub=pub)
    for username in ("liu.yang", "chen.jing", "sun.li"):  # other units
        with pytest.raises(Forbidden, match="无权查看这条信息"):
            _require(engine, username, "view_item", pub=pub)


def test_someone_who_decided_an_item_keeps_seeing_it(engine: Engine) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", attest=True)
    with db.transaction(engine) as session:
        person = org.person(session, "li.na")
        # Roles taken away: what they decided on stays visible to them, nothing else.
        roles.set_roles(session, person, set(), actor="wu.gang")
    _require(engine, "li.na", "view_item", pub=pub)
    other = submitted(engine)
    with pytest.raises(Forbidden):
        _require(engine, "li.na", "view_item", pub=other)


def test_roles_of_lists_role_and_unit(engine: Engine) -> None:
    with db.transaction(engine) as session:
        person = org.person(session, "li.na")
        zonghe = org.unit(session, "zonghe").id
        assert authz.roles_of(session, person.id) == frozenset(
            {("section_head", zonghe), ("submitter", zonghe)}
        )
        assert authz.allowed(session, person, "submit", unit_id=zonghe)
        assert not authz.allowed(session, person, "admin")
