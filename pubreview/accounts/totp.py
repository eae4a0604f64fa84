"""The optional second factor: time-based one-time codes (TOTP, RFC 6238) with pyotp.

The shared secret is stored sealed (AES-GCM, "v1:" + base64 of nonce and ciphertext), bound to
the account it belongs to, under a key derived (HKDF) from the web app's signing secret: a copy
of the database alone does not give anyone the codes. Changing that signing secret makes the
sealed secrets unreadable; the people concerned then enrol again (an administrator clears it).
"""

from __future__ import annotations

import base64
import binascii
import os
import time

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from models import Account, Person
from pubreview.accounts import audit
from pubreview.accounts.audit import AccessEvent
from pubreview.errors import TotpSecretUnreadable

ISSUER = "政务公开发布审核"
_STEP_S = 30
# One step either side: a phone's clock a little off still works.
_WINDOW = 1
SEALED_PREFIX = "v1:"
_KEY_INFO = b"pubreview.accounts.totp secret v1"
_NONCE_BYTES = 12


def sealing_key(signing_secret: str) -> bytes:
    """The 256-bit key that seals TOTP secrets, derived from the web app's signing secret."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO)
    return hkdf.derive(signing_secret.encode())


def _bound_to(person_id: int) -> bytes:
    # Associated data: a sealed secret copied onto another account does not open there.
    return f"account:{person_id}".encode()


def seal(secret: str, key: bytes, person_id: int) -> str:
    """The stored form of a base32 secret."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), _bound_to(person_id))
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(stored: str, key: bytes, person_id: int) -> str:
    """The base32 secret of a stored value, or TotpSecretUnreadable."""
    try:
        raw = base64.urlsafe_b64decode(stored.removeprefix(SEALED_PREFIX))
        if not stored.startswith(SEALED_PREFIX) or len(raw) <= _NONCE_BYTES:
            raise ValueError("not sealed")
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        return AESGCM(key).decrypt(nonce, sealed, _bound_to(person_id)).decode()
    except (InvalidTag, ValueError, binascii.Error) as exc:
        raise TotpSecretUnreadable(
            "动态验证码的密钥无法读取（系统的签名密钥可能已更换）："
            "请联系管理员清除您的动态验证码后重新设置"
        ) from exc


def new_secret() -> str:
    """A fresh base32 secret for enrolment."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// address an authenticator app takes (typed in or scanned)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth address as an inline SVG QR code (no script, no image fetch: CSP-safe)."""
    return segno.make(uri, error="m").svg_inline(scale=4, title="扫描二维码添加账户")


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


def check_code(account: Account, code: str, *, key: bytes, now: float | None = None) -> bool:
    """Whether the code is right for the enrolled secret and not used before (replay).

    Raises TotpSecretUnreadable when the stored secret cannot be opened with `key`.
    """
    if not account.totp_secret:
        return False
    secret = unseal(account.totp_secret, key, account.person_id)
    step = _matching_step(secret, code, now)
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
    key: bytes,
    ip: str | None = None,
) -> bool:
    """Turn the second factor on once the person proves their app shows the right code."""
    step = _matching_step(secret, code)
    if step is None:
        return False
    account.totp_secret = seal(secret, key, account.person_id)
    account.totp_last_step = step
    audit.record(
        session, AccessEvent.TOTP_ENROLLED, actor=person.username, username=person.username, ip=ip
    )
    return True
