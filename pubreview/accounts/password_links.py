"""The one-time set-password link: signed, expiring, and spent once a password is set.

The link is signed with the web secret (the caller passes it: reading or creating it is the
web layer's I/O), expires after PUBREVIEW_PASSWORD_LINK_TTL_S and carries a fingerprint of the
current password, so it stops working once a password is set. Issuing one is an access entry
in the ledger; the administrator page and `pubreview accounts password-link` both issue here.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Account, Person
from pubreview import settings
from pubreview.accounts import audit, passwords
from pubreview.accounts.audit import AccessEvent
from pubreview.errors import LinkRefused

# Unchanged since the links lived in the web layer: links already sent keep working.
SALT = "pubreview.web.password-link"


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def issue_password_link(
    session: Session,
    person: Person,
    *,
    secret: str,
    base_url: str,
    actor: str,
    via: str = "web",
    ip: str | None = None,
    **detail: object,
) -> str:
    """A signed, expiring link under `base_url` with which the person chooses a password once."""
    fingerprint = passwords.link_fingerprint(session.get(Account, person.id))
    token = _serializer(secret).dumps({"u": person.username, "f": fingerprint})
    hours = settings.load().password_link_ttl_s // 3600
    audit.record_about(
        session,
        AccessEvent.PASSWORD_LINK,
        person,
        actor=actor,
        ip=ip,
        via=via,
        valid_hours=hours,
        **detail,
    )
    return f"{base_url}password/{token}"


def link_person(session: Session, token: str, *, secret: str) -> Person:
    """The person a set-password link is for; LinkRefused if forged, expired or used."""
    try:
        data = _serializer(secret).loads(token, max_age=settings.load().password_link_ttl_s)
    except SignatureExpired as exc:
        raise LinkRefused("该设置密码链接已过期，请向管理员索取新的链接") from exc
    except BadSignature as exc:
        raise LinkRefused("该设置密码链接无效：签名不符，可能被改动") from exc
    if not isinstance(data, dict):
        raise LinkRefused("该设置密码链接无效")
    person = session.scalars(select(Person).where(Person.username == str(data.get("u")))).first()
    if person is None:
        raise LinkRefused("该设置密码链接所指的账户不存在")
    if passwords.link_fingerprint(session.get(Account, person.id)) != data.get("f"):
        raise LinkRefused("该设置密码链接已使用过（密码已设置），如需重设请向管理员索取新链接")
    return person
