"""The optional second factor: time-based one-time codes (TOTP, RFC 6238) with pyotp."""

from __future__ import annotations

import time

import pyotp
from sqlalchemy.orm import Session

from models import Account, Person
from pubreview.accounts import audit
from pubreview.accounts.audit import AccessEvent

ISSUER = "政务公开发布审核"
_STEP_S = 30
# One step either side: a phone's clock a little off still works.
_WINDOW = 1


def new_secret() -> str:
    """A fresh base32 secret for enrolment."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// address an authenticator app takes (typed in or scanned)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    for offset in range(-_WINDOW, _WINDOW + 1):
        at = now + offset * _STEP_S
        if totp.verify(code, for_time=at, valid_window=0):
            return int(at // _STEP_S)
    return None


def check_code(account: Account, code: str, *, now: float | None = None) -> bool:
    """Whether the code is right for the enrolled secret and not used before (replay)."""
    if not account.totp_secret:
        return False
    step = _matching_step(account.totp_secret, code, now)
    if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
        return False
    account.totp_last_step = step
    return True


def enrol(
    session: Session,
    person: Person,
    account: Account,
    secret: str,
    code: str,
    *,
    ip: str | None = None,
) -> bool:
    """Turn the second factor on once the person proves their app shows the right code."""
    step = _matching_step(secret, code)
    if step is None:
        return False
    account.totp_secret = secret
    account.totp_last_step = step
    audit.record(
        session, AccessEvent.TOTP_ENROLLED, actor=person.username, username=person.username, ip=ip
    )
    return True
