"""The password policy and hashing: what is refused, and how the refusal says what to fix."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from models import Account
from pubreview import db
from pubreview.accounts import org, passwords, sessions
from pubreview.errors import PasswordRejected


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Ab1-xyz", "至少 10 个字符（现在 7 个）"),
        ("abcdefghijk", "还缺：大写字母、数字、符号"),
        ("abcdefghij1", "请补上其中 1 类"),
        ("Zhang.Wei-2026", "不能包含用户名"),
        (" Leading-sp4ce", "首尾不能有空格"),
    ],
)
def test_policy_names_what_to_fix(password: str, expected: str) -> None:
    with pytest.raises(PasswordRejected) as refused:
        passwords.check_policy(password, "zhang.wei")
    assert expected in str(refused.value)
    assert str(refused.value).startswith("密码不符合要求：")


@pytest.mark.parametrize(
    "password", ["Demo-zw-2026", "abcdefgh12-x", "ABCDEFGH12x", "政务公开Abc12345"]
)
def test_policy_accepts_three_classes_of_ten(password: str) -> None:
    passwords.check_policy(password, "zhang.wei")


def test_hash_is_argon2_and_verifies_only_the_right_password() -> None:
    hashed = passwords.hash_password("Demo-zw-2026")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password("Demo-zw-2026", hashed) == (True, None)
    assert passwords.verify_password("Demo-zw-2027", hashed)[0] is False
    assert passwords.verify_password("anything", None) == (False, None)
    assert passwords.verify_password("anything", "not-a-hash") == (False, None)



def test_production_cost_is_argon2id_m64mib_t3(monkeypatch: pytest.MonkeyPatch) -> None:
    # The suite hashes at the lowest cost (tests/conftest.py); an office gets the recommended one.
    monkeypatch.delenv("PUBREVIEW_ARGON2_TIME_COST")
    monkeypatch.delenv("PUBREVIEW_ARGON2_MEMORY_KIB")
    hashed = passwords.hash_password("Demo-zw-2026")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert passwords.verify_password("Demo-zw-2026", hashed) == (True, None)


def test_setting_a_password_ends_the_persons_sessions(engine: Engine) -> None:
    with db.transaction(engine) as session:
        person = org.person(session, "zhang.wei")
        kept = sessions.start(session, person.id)
        other = sessions.start(session, person.id)
        passwords.set_password(
            session, person, "Demo-zw-2026", actor="zhang.wei", keep_session=kept.row.id
        )
        assert sessions.find(session, kept.session_id)[0] is not None
        assert sessions.find(session, other.session_id) == (None, "revoked")
        passwords.set_password(session, person, "Demo-zw-2027", actor="wu.gang")
        assert sessions.find(session, kept.session_id) == (None, "revoked")
        account = session.get(Account, person.id)
        assert account.password_hash.startswith("$argon2id$")
        assert passwords.verify_password("Demo-zw-2027", account.password_hash)[0]


def test_a_weak_password_changes_nothing(engine: Engine) -> None:
    with db.transaction(engine) as session:
        person = org.person(session, "zhang.wei")
        with pytest.raises(PasswordRejected):
            passwords.set_password(session, person, "weak", actor="wu.gang")
        assert session.get(Account, person.id) is None
