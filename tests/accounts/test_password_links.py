"""The one-time set-password link: audited when issued, refused once used, forged or expired."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.accounts import audit, org, passwords
from pubreview.accounts.audit import AccessEvent
from pubreview.accounts.password_links import issue_password_link, link_person
from pubreview.errors import LinkRefused

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SECRET = "a-test-secret-of-the-web-app"
BASE = "https://gk.example.gov.cn/"


def issued(engine: Engine, username: str = "sun.li") -> str:
    """The token of a link issued by the administrator."""
    with db.transaction(engine) as session:
        url = issue_password_link(
            session,
            org.person(session, username),
            secret=SECRET,
            base_url=BASE,
            actor="wu.gang",
            ip="10.0.0.8",
        )
    assert url.startswith(f"{BASE}password/")
    return url.removeprefix(f"{BASE}password/")


def test_a_link_names_its_person_until_a_password_is_set(engine: Engine) -> None:
    token = issued(engine)
    with db.transaction(engine) as session:
        person = link_person(session, token, secret=SECRET)
        assert person.username == "sun.li"
        told = audit.entries(session, username="sun.li")[0]
        assert (told.event, told.actor, told.ip) == (
            AccessEvent.PASSWORD_LINK,
            "wu.gang",
            "10.0.0.8",
        )
        assert told.detail["valid_hours"] == 72
        hashed = passwords.hash_password("Sunny-day-2026")
        passwords.store_hash(session, person, hashed, actor="sun.li", via="link")
    with pytest.raises(LinkRefused, match="已使用过"), db.transaction(engine) as session:
        link_person(session, token, secret=SECRET)


def test_a_link_under_another_secret_or_edited_is_refused(engine: Engine) -> None:
    token = issued(engine)
    with db.transaction(engine) as session:
        with pytest.raises(LinkRefused, match="签名不符"):
            link_person(session, token, secret="another-secret")
        with pytest.raises(LinkRefused, match="签名不符"):
            link_person(session, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), secret=SECRET)


def test_an_expired_link_is_refused(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    token = issued(engine)
    monkeypatch.setenv("PUBREVIEW_PASSWORD_LINK_TTL_S", "-1")
    with pytest.raises(LinkRefused, match="已过期"), db.transaction(engine) as session:
        link_person(session, token, secret=SECRET)
