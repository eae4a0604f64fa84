"""Helpers for tests of logged-in pages: passwords, logging a TestClient in, the sample logins."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pubreview.accounts import org, passwords
from pubreview.settings import PROJECT_ROOT

SAMPLE_PASSWORDS = PROJECT_ROOT / "config" / "sample-passwords.yaml"
FORM_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


@cache
def _hashed(password: str) -> str:
    # Argon2 costs about half a second here; a test run hashes each sample password once.
    return passwords.hash_password(password)


def set_password(session: Session, username: str, password: str) -> None:
    """Give a person a password (as an administrator would), inside the caller's transaction."""
    person = org.person(session, username)
    passwords.check_policy(password, username)
    passwords.store_hash(session, person, _hashed(password), actor="test", via="test")


def sample_passwords(path: Path = SAMPLE_PASSWORDS) -> dict[str, str]:
    """The sample organisation's passwords: username → password."""
    return {
        k: str(v) for k, v in yaml.safe_load(path.read_text(encoding="utf-8"))["passwords"].items()
    }


def set_sample_passwords(session: Session) -> dict[str, str]:
    """Give every sample person their sample password (as `pubreview up` does); user → password."""
    found = sample_passwords()
    for username, password in found.items():
        set_password(session, username, password)
    return found


def form_token(html: str) -> str:
    """The hidden csrf field of the first form on a page."""
    match = FORM_TOKEN.search(html)
    assert match, "the page has no form token"
    return match.group(1)


def login(client: TestClient, username: str, password: str) -> None:
    """Log the client in through the login form (its cookie jar then holds the session)."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    done = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": form_token(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303, f"login as {username} failed: {done.status_code} {done.text}"
