"""The demo's starting data: the sample organisation and a few sample drafts."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Person, Publication
from pubreview.accounts.org import load_org
from pubreview.accounts.passwords import set_sample_passwords
from pubreview.review.submission import Draft, submit
from pubreview.settings import PROJECT_ROOT

SAMPLE_ORG = PROJECT_ROOT / "config" / "sample-org.yaml"
SAMPLE_ITEMS = PROJECT_ROOT / "config" / "sample-items.yaml"
# Sample only: the sample organisation's passwords, so the demo can be logged into at once.
SAMPLE_PASSWORDS = PROJECT_ROOT / "config" / "sample-passwords.yaml"
# One sample login per role, for `./dev up` to print: (role in Chinese, username).
SAMPLE_LOGINS = [
    ("报送人", "zhang.wei"),
    ("科室负责人（初审）", "wang.fang"),
    ("分管领导（审签）", "zeng.xiang"),
    ("中心（发布）", "zhou.min"),
    ("管理员", "wu.gang"),
]


def ensure_org(session: Session) -> bool:
    """Load the sample organisation (with its sample passwords) if nobody is known yet."""
    if session.scalar(select(func.count()).select_from(Person)):
        return False
    load_org(session, SAMPLE_ORG)
    set_sample_passwords(session, SAMPLE_PASSWORDS)
    return True


def sample_logins() -> list[tuple[str, str, str]]:
    """(role, username, password) of one sample person per role."""
    passwords = yaml.safe_load(SAMPLE_PASSWORDS.read_text(encoding="utf-8"))["passwords"]
    return [(role, username, str(passwords[username])) for role, username in SAMPLE_LOGINS]


def submit_samples(session: Session, path: Path = SAMPLE_ITEMS) -> list[int]:
    """Submit the sample drafts if no publication exists yet; return the new ids."""
    if session.scalar(select(func.count()).select_from(Publication)):
        return []
    drafts = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [submit(session, Draft(**spec)).id for spec in drafts]
