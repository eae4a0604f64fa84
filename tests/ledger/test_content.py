"""Content in the chain: an edited body or attachment is named by verify and never published."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from models import LedgerEntry, LedgerKind, Publication, Revision, Status
from models.base import utcnow
from pubreview import db
from pubreview.errors import ContentTampered
from pubreview.ledger import content
from pubreview.ledger.verification import verify_all
from pubreview.review.entries import Decided, Submitted
from pubreview.site import build_site, render_publication
from tests.support.factories import attachment, decided, submitted
from tests.support.site import publish_through_chain, tree


def _verify(engine: Engine):
    with db.transaction(engine) as session:
        return verify_all(session)


def _revision_id(engine: Engine, pub_id: int) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            text("SELECT id FROM revisions WHERE publication_id = :p"), {"p": pub_id}
        )


def test_untouched_content_verifies(engine: Engine) -> None:
    publish_through_chain(engine, "标题", "正文", attachments={"a.txt": b"a"})
    with db.transaction(engine) as session:
        assert content.check(session) == []
    assert _verify(engine).ok


def test_edited_body_is_named_and_not_published(engine: Engine, tmp_path: Path) -> None:
    kept = publish_through_chain(engine, "另一条", "不变的正文")
    forged = publish_through_chain(engine, "原标题", "原正文")
    out = tmp_path / "site"
    with db.transaction(engine) as session:
        build_site(session, out)
    before = tree(out)
    # No trigger guards revisions: the forgery needs nothing dropped.
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE revisions SET body = '伪造的正文' WHERE publication_id = :p"),
            {"p": forged},
        )
    result = _verify(engine)
    assert not result.ok and result.chain.ok
    assert any(f"第 {forged} 号信息第 1 稿" in p and "正文" in p for p in result.content)
    assert not any(f"第 {kept} 号信息" in p for p in result.content)
    for build in (
        lambda s: build_site(s, out),
        lambda s: render_publication(s, out, forged),
        lambda s: render_publication(s, out, kept),
    ):
        with (
            pytest.raises(ContentTampered, match=f"第 {forged} 号信息第 1 稿"),
            db.transaction(engine) as session,
        ):
            build(session)
    assert tree(out) == before and "伪造的正文" not in str(before)


def test_edited_attachment_is_named_and_not_published(engine: Engine, tmp_path: Path) -> None:
    pub = publish_through_chain(engine, "带附件", "正文", attachments={"名单.txt": b"original"})
    out = tmp_path / "site"
    with db.transaction(engine) as session:
        build_site(session, out)
    before = tree(out)
    revision = _revision_id(engine, pub)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE attachments SET content = :c WHERE revision_id = :r"),
            {"c": b"forged", "r": revision},
        )
    result = _verify(engine)
    assert any("附件「名单.txt」的内容已被改动" in p for p in result.content), result.content
    for build in (lambda s: build_site(s, out), lambda s: render_publication(s, out, pub)):
        with pytest.raises(ContentTampered, match="名单.txt"), db.transaction(engine) as session:
            build(session)
    assert tree(out) == before


def test_attachment_and_its_recorded_hash_both_rewritten(engine: Engine) -> None:
    pub = publish_through_chain(engine, "带附件", "正文", attachments={"a.txt": b"original"})
    forged, revision = b"forged", _revision_id(engine, pub)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE attachments SET content = :c, sha256 = :h WHERE revision_id = :r"),
            {"c": forged, "h": hashlib.sha256(forged).hexdigest(), "r": revision},
        )
    found = [str(m) for m in _check(engine)]
    assert any("与台帐第" in p and "a.txt" in p for p in found), found
    assert any("指纹" in p for p in found)


def test_body_and_cached_fingerprint_both_rewritten(engine: Engine) -> None:
    pub = publish_through_chain(engine, "标题", "正文")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE revisions SET body = 'x', fingerprint = :f WHERE publication_id = :p"),
            {"f": "0" * 64, "p": pub},
        )
    found = [str(m) for m in _check(engine)]
    assert any("revisions 表记的指纹" in p for p in found)
    assert any("重算的指纹" in p for p in found)


def test_a_revision_without_a_submission_entry_is_named(engine: Engine) -> None:
    pub = publish_through_chain(engine, "标题", "正文")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO revisions (publication_id, number, title, body, fingerprint, "
                "author_id, created_at) SELECT publication_id, 2, title, '插入的', fingerprint, "
                "author_id, created_at FROM revisions WHERE publication_id = :p"
            ),
            {"p": pub},
        )
    assert any(f"第 {pub} 号信息第 2 稿" in str(m) and "没有" in str(m) for m in _check(engine))


def _check(engine: Engine):
    with db.transaction(engine) as session:
        return content.check(session)


def test_scheduled_release_holds_an_edited_item(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks.release_steps import publish_if_due

    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    pub = submitted(engine)
    decided(engine, pub, "li.na", attest=True)
    decided(engine, pub, "zeng.xiang")
    decided(engine, pub, "zhou.min", publish_at=utcnow() + timedelta(hours=1))
    assert publish_if_due.fn(pub) > 0  # not due yet, nothing wrong
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE revisions SET title = '改过的标题' WHERE publication_id = :p"), {"p": pub}
        )
    with pytest.raises(ContentTampered, match=f"第 {pub} 号信息第 1 稿"):
        publish_if_due.fn(pub)
    with db.transaction(engine) as session:
        assert session.get(Publication, pub).status is Status.SCHEDULED


def test_the_binding_is_read_as_review_wrote_it(engine: Engine) -> None:
    # The writers are review.entries' Submitted and Decided; this reads their entries back.
    pub = submitted(engine, attachments=[attachment("a.txt", "a")])
    decided(engine, pub, "li.na", attest=True)
    with db.transaction(engine) as session:
        sub, dec = session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.publication_id == pub)
            .where(LedgerEntry.kind.in_([LedgerKind.SUBMITTED, LedgerKind.DECIDED]))
            .order_by(LedgerEntry.id)
        )
        stored = session.scalar(select(Revision.fingerprint).where(Revision.publication_id == pub))
        assert content.Bound.from_payload(sub.payload) == content.Bound(
            Submitted.from_payload(sub.payload).fingerprint,
            {"a.txt": hashlib.sha256(b"a").hexdigest()},
        )
        assert content.Bound.from_payload(dec.payload) == content.Bound(stored, None)
        assert Decided.from_payload(dec.payload).fingerprint == stored
