"""The demo's starting data: the sample organisation and a few sample drafts."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Person, Publication
from pubreview.accounts.org import load_org
from pubreview.review.submission import Draft, submit
from pubreview.settings import PROJECT_ROOT

SAMPLE_ORG = PROJECT_ROOT / "config" / "sample-org.yaml"
SAMPLE_ITEMS = PROJECT_ROOT / "config" / "sample-items.yaml"


def ensure_org(session: Session) -> bool:
    """Load the sample organisation if nobody is known yet; True if it loaded it."""
    if session.scalar(select(func.count()).select_from(Person)):
        return False
    load_org(session, SAMPLE_ORG)
    return True


def submit_samples(session: Session, path: Path = SAMPLE_ITEMS) -> list[int]:
    """Submit the sample drafts if no publication exists yet; return the new ids."""
    if session.scalar(select(func.count()).select_from(Publication)):
        return []
    drafts = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [submit(session, Draft(**spec)).id for spec in drafts]
