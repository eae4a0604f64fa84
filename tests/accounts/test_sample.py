"""The sample organisation's sample-only passwords: one per person, each within the policy."""

from __future__ import annotations

import yaml
from sqlalchemy import select

from models import Account, Person, Role
from pubreview import db
from pubreview.accounts import passwords
from pubreview.devstack import demo
from tests.support.accounts import sample_passwords


def test_every_sample_person_has_a_password_the_policy_accepts() -> None:
    people = yaml.safe_load(demo.SAMPLE_ORG.read_text(encoding="utf-8"))["people"]
    found = sample_passwords()
    assert set(found) == {p["username"] for p in people}
    for username, password in found.items():
        passwords.check_policy(password, username)
    shown = {username for _, username in demo.SAMPLE_LOGINS}
    roles = {r["role"] for p in people if p["username"] in shown for r in p["roles"]}
    assert roles == {r.value for r in Role}  # one sample login per role is enough for all
    assert [u for _, u, _ in demo.sample_logins()] == [u for _, u in demo.SAMPLE_LOGINS]


def test_the_demo_sets_them_with_the_sample_organisation(database_url: str) -> None:
    engine = db.make_engine(database_url)
    with db.transaction(engine) as session:
        assert demo.ensure_org(session)
    with db.transaction(engine) as session:
        rows = session.execute(
            select(Person.username, Account.password_hash).join(
                Account, Account.person_id == Person.id
            )
        ).all()
    engine.dispose()
    found = sample_passwords()
    assert {u for u, _ in rows} == set(found)
    username, hashed = rows[0]
    assert passwords.verify_password(found[username], hashed)[0]
