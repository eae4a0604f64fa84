"""Cross-site request forgery protection: a form token bound to the signed link and a cookie.

The review page sets a random cookie (SameSite=Lax, HttpOnly) and puts HMAC(link, cookie) in
its form. A POST must carry both and they must match: another site can neither read the
cookie nor compute the token, and a token lifted from one link does not fit another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pubreview.links import secret_key

COOKIE = "pubreview_csrf"
_NONCE_BYTES = 24


def new_nonce() -> str:
    """A fresh random cookie value."""
    return secrets.token_urlsafe(_NONCE_BYTES)


def usable_nonce(value: str | None) -> bool:
    """Whether a cookie value looks like one we set (so it can be reused across tabs)."""
    return (
        bool(value) and 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum()
    )


def form_token(link_token: str, nonce: str) -> str:
    """The hidden form field for this link and this browser's cookie."""
    message = f"csrf\0{link_token}\0{nonce}".encode()
    return hmac.new(secret_key().encode(), message, hashlib.sha256).hexdigest()


def valid(link_token: str, nonce: str | None, submitted: str | None) -> bool:
    """Whether a POST's form token matches its link and its cookie."""
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(form_token(link_token, nonce), submitted)
