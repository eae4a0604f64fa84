"""The site's part in the ledger's proofs: refusing tampered content, publishing the checkpoints.

The site publishes only what the ledger approved: before a build or an update writes anything,
each article's stored title, body and attachments are recomputed against the fingerprint and
hashes the ledger holds, and a mismatch refuses the whole run (the previous site keeps serving).
The signed checkpoints go out with the site (`ledger/checkpoints.json` and a page a person
reads), so a copy of the ledger's head sits where the database's operator cannot take it back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from datetime import datetime
from pathlib import Path

from jinja2 import Environment
from sqlalchemy.orm import Session

from models.base import as_utc
from pubreview import rendering
from pubreview.errors import CheckpointUnavailable, ContentTampered
from pubreview.ledger import checkpoints, keys
from pubreview.ledger import content as ledger_content
from pubreview.publishing import OFFICE_TIMEZONE
from pubreview.publishing import catalog as catalog_mod
from pubreview.site import files
from pubreview.site.content import SiteContent, load_frame
from pubreview.site.pages import common_context

CHECKPOINTS_PATH = f"ledger/{checkpoints.PUBLISHED_NAME}"
CHECKPOINTS_PAGE = "ledger/index.html"


def refuse_tampered(
    session: Session,
    content: SiteContent,
    fully: Iterable[int] = (),
    among: Collection[int] | None = None,
) -> None:
    """Raise ContentTampered naming every article whose stored content the ledger contradicts.

    Titles and bodies are recomputed for every article (or those in `among`: the ones whose
    text goes into the files a run writes); the attachment bytes of the items in `fully` are
    hashed here, the others' as they are written (`checked_bytes`).
    """
    ids = [item.id for item in content.articles if among is None or item.id in among]
    full = set(fully) & set(ids)
    found = ledger_content.check(session, full, current_only=True) if full else []
    found += ledger_content.check(
        session, [i for i in ids if i not in full], current_only=True, read_bytes=False
    )
    if found:
        raise ContentTampered(
            "以下信息在库中的内容与台帐记录的审批指纹不符，网站未更新（请核查数据库是否被改动，"
            "核实前不要发布）：" + "；".join(str(m) for m in found)
        )


def refuse_tampered_item(session: Session, publication_id: int) -> None:
    """Raise ContentTampered if one item's stored content (attachment bytes too) is not as approved.

    A scheduled release asks this before it puts the item out: the item stays scheduled.
    """
    found = ledger_content.check(session, [publication_id], current_only=True)
    if found:
        raise ContentTampered(
            "该信息在库中的内容与台帐记录的审批指纹不符，未发布（请核查数据库是否被改动）："
            + "；".join(str(m) for m in found)
        )


def checked_bytes(path: str, data: bytes, sha256: str) -> bytes:
    """The attachment bytes, if they still hash to what the ledger approved; else refuse."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ContentTampered(f"附件 {path} 在库中的内容已被改动（与台帐记录的 SHA-256 不符）")
    return data


def ledger_files(content: SiteContent, environment: Environment) -> list[tuple[str, bytes]]:
    """(site path, bytes) of the checkpoint log and its page (saying so while there is none)."""
    log = checkpoints.read_log()
    try:
        public = checkpoints.trusted_public_key()
    except CheckpointUnavailable:
        public = None
    page = environment.get_template("site/ledger.html").render(
        **common_context(content),
        root="../",
        title="发布台帐检查点",
        public_key=checkpoints.public_text(public) if public else None,
        key_id=checkpoints.key_id(public) if public else None,
        checkpoints=[{**c.to_dict(), "local_time": _local(c.time)} for c in reversed(log)],
        keys=[r.to_dict() for r in keys.published_records()],
        json_name=checkpoints.PUBLISHED_NAME,
    )
    return [
        (CHECKPOINTS_PATH, checkpoints.published_document(log, public)),
        (CHECKPOINTS_PAGE, page.encode()),
    ]


def _local(utc_text: str) -> str:
    return (
        as_utc(datetime.fromisoformat(utc_text))
        .astimezone(OFFICE_TIMEZONE)
        .strftime("%Y-%m-%d %H:%M:%S")
    )


def publish_checkpoints(
    session: Session, out_dir: Path, environment: Environment | None = None
) -> str | None:
    """Write the checkpoint files into the live site; None when there is no site yet."""
    with files.site_lock(out_dir):
        root = files.live_root(out_dir)
        if root is None:
            return None
        content = load_frame(session, catalog_mod.load())
        for path, data in ledger_files(content, environment or rendering.environment()):
            files.write_atomic(root, path, data)
    return str(out_dir / CHECKPOINTS_PATH)
