"""Passwords: the policy, Argon2 hashing (pwdlib) and setting one for a person."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import yaml
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Account, Person
from models.base import utcnow
from pubreview import settings
from pubreview.accounts import audit, sessions
from pubreview.accounts.audit import AccessEvent
from pubreview.errors import PasswordRejected

MIN_LENGTH = 10
MAX_LENGTH = 256  # Argon2 takes any length; a bound keeps a hostile form from costing much
MIN_CLASSES = 3

_CLASS_LABEL = {
    "lower": "小写字母",
    "upper": "大写字母",
    "digit": "数字",
    "other": "符号（如 - _ ! @ #）或汉字",
}


def _hasher() -> PasswordHash:
    config = settings.load()
    return _hasher_for(config.argon2_time_cost, config.argon2_memory_kib)


@cache
def _hasher_for(time_cost: int, memory_kib: int) -> PasswordHash:
    return PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))


def _classes(password: str) -> set[str]:
    found = set()
    for ch in password:
        if ch.isascii() and ch.islower():
            found.add("lower")
        elif ch.isascii() and ch.isupper():
            found.add("upper")
        elif ch.isdigit():
            found.add("digit")
        elif not ch.isspace():
            found.add("other")
    return found


def policy_problems(password: str, username: str) -> list[str]:
    """What is wrong with a new password, in Chinese; empty when the policy accepts it."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"至少 {MIN_LENGTH} 个字符（现在 {len(password)} 个）")
    if len(password) > MAX_LENGTH:
        problems.append(f"不超过 {MAX_LENGTH} 个字符")
    missing = [label for key, label in _CLASS_LABEL.items() if key not in _classes(password)]
    if len(_CLASS_LABEL) - len(missing) < MIN_CLASSES:
        problems.append(
            f"需包含小写字母、大写字母、数字、符号中的至少 {MIN_CLASSES} 类"
            f"（还缺：{'、'.join(missing)}，请补上其中 {MIN_CLASSES - 4 + len(missing)} 类）"
        )
    if username and username.casefold() in password.casefold():
        problems.append("不能包含用户名")
    if password != password.strip():
        problems.append("首尾不能有空格")
    return problems


def check_policy(password: str, username: str) -> None:
    """Raise PasswordRejected naming every rule a new password breaks."""
    problems = policy_problems(password, username)
    if problems:
        raise PasswordRejected("密码不符合要求：" + "；".join(problems) + "。")


def hash_password(password: str) -> str:
    """The Argon2 hash (PHC string) of a password."""
    return _hasher().hash(password)


def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """Whether the password matches, and a new hash if the stored one's parameters are old."""
    if not hashed:
        # Same cost as a real check, so a missing account does not answer faster.
        _hasher().verify(password, _dummy_hash())
        return False, None
    try:
        return _hasher().verify_and_update(password, hashed)
    except UnknownHashError:
        return False, None


@cache
def _dummy_hash() -> str:
    return _hasher().hash("pubreview-no-such-account")


def account_of(session: Session, person: Person) -> Account:
    """The person's account row, created (without a password) on first need."""
    account = session.get(Account, person.id)
    if account is None:
        account = Account(person_id=person.id, disabled=False, failed_logins=0)
        session.add(account)
        session.flush()
    return account


def set_password(
    session: Session,
    person: Person,
    password: str,
    *,
    actor: str,
    via: str = "web",
    ip: str | None = None,
    keep_session: int | None = None,
    **detail: object,
) -> Account:
    """Set a person's password after the policy check; their other sessions end.

    The person changing their own password keeps the session they did it from
    (`keep_session`); set by anyone else the event is PASSWORD_SET and every session ends.
    """
    check_policy(password, person.username)
    return store_hash(
        session,
        person,
        hash_password(password),
        actor=actor,
        via=via,
        ip=ip,
        keep_session=keep_session,
        **detail,
    )


def store_hash(
    session: Session,
    person: Person,
    hashed: str,
    *,
    actor: str,
    via: str,
    ip: str | None = None,
    keep_session: int | None = None,
    **detail: object,
) -> Account:
    """Store an Argon2 hash made by `hash_password` of a password the policy accepted."""
    account = account_of(session, person)
    account.password_hash = hashed
    account.password_changed_at = utcnow()
    account.failed_logins = 0
    account.locked_until = None
    ended = sessions.revoke_all(session, person.id, reason="password", keep=keep_session)
    event = AccessEvent.PASSWORD_CHANGED if actor == person.username else AccessEvent.PASSWORD_SET
    audit.record_about(
        session, event, person, actor=actor, ip=ip, via=via, sessions_ended=ended, **detail
    )
    return account


def link_fingerprint(account: Account | None) -> str:
    """Changes whenever the password does: a one-time link carries it, so it works once."""
    state = ""
    if account is not None and account.password_hash:
        state = account.password_hash
    return hashlib.sha256(f"pw\0{state}".encode()).hexdigest()[:16]


def set_sample_passwords(session: Session, path: Path) -> dict[str, str]:
    """Set the sample organisation's passwords from its sample-only file; username → password."""
    found = yaml.safe_load(path.read_text(encoding="utf-8"))["passwords"]
    for username, password in found.items():
        person = session.scalars(select(Person).where(Person.username == username)).first()
        if person is not None:
            set_password(session, person, str(password), actor="sample", via="sample")
    return {str(k): str(v) for k, v in found.items()}
