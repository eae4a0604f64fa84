"""Submission checks every field and writes nothing on error."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from models import LedgerEntry, Publication
from pubreview import db
from pubreview.errors import NotFound, ValidationError
from pubreview.review.submission import fingerprint, read_attachments, submit
from tests.support.factories import attachment, draft, submitted


def counts(engine: Engine) -> tuple[int, int]:
    with db.transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Publication)),
            session.scalar(select(func.count()).select_from(LedgerEntry)),
        )


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"title": "  "}, ValidationError, "标题：不能为空"),
        ({"title": "长" * 201}, ValidationError, "有 201 个字，最多 200 个字"),
        ({"body": ""}, ValidationError, "正文：不能为空"),
        ({"category": "八卦"}, ValidationError, "内容类别：“八卦”不在目录中"),
        ({"channels": []}, ValidationError, "发布渠道：请至少选择一个"),
        ({"channels": ["抖音"]}, ValidationError, "发布渠道：“抖音”不在目录中"),
        ({"unit": "nowhere"}, NotFound, "unknown unit 'nowhere'"),
        ({"submitter": "ghost"}, NotFound, "unknown user 'ghost'"),
        ({"submitter": "liu.yang"}, ValidationError, "不是综合科的报送人"),
    ],
)
def test_bad_submissions_write_nothing(engine: Engine, overrides, error, match) -> None:
    before = counts(engine)
    with pytest.raises(error, match=match), db.transaction(engine) as session:
        submit(session, draft(**overrides))
    assert counts(engine) == before


def test_unreadable_attachment_is_named(tmp_path) -> None:
    with pytest.raises(ValidationError, match="missing.pdf: cannot read"):
        read_attachments([tmp_path / "missing.pdf"])


def test_attachments_are_stored_with_their_hash_and_change_the_fingerprint(engine: Engine) -> None:
    files = [attachment("a.txt", "一"), attachment("b.txt", "二")]
    with db.transaction(engine) as session:
        pub = submit(session, draft(attachments=files))
        entry = session.scalars(
            select(LedgerEntry).where(LedgerEntry.publication_id == pub.id).order_by(LedgerEntry.id)
        ).first()
    assert [a["sha256"] for a in entry.payload["attachments"]] == [f.sha256 for f in files]
    base = fingerprint("t", "b", files)
    assert base != fingerprint("t", "b", [attachment("a.txt", "一"), attachment("b.txt", "三")])
    assert base != fingerprint("t", "b!", files)
    assert base == fingerprint("t", "b", list(reversed(files)))


def test_a_screening_done_before_the_transaction_is_used_only_for_the_same_content(
    engine: Engine,
) -> None:
    from pubreview.review.submission import Screened, screen, screening_of

    body = "联系人身份证 11010519491231002X。"
    before = screen("标题", body, [])
    assert before.result["blocked"]
    # Marked, so the test can tell a recorded result from a recomputed one.
    marked = Screened(before.fingerprint, {**before.result, "counts": {"block": 9, "warn": 9}})
    with db.transaction(engine) as session:
        same = submit(session, draft(title="标题", body=body), screened=marked)
        # Content changed after the preview: the stale result is not recorded, it is redone.
        changed = submit(session, draft(title="标题", body="无问题的正文。"), screened=marked)
        assert screening_of(session, same.id, 1)["counts"] == {"block": 9, "warn": 9}
        assert screening_of(session, changed.id, 1)["findings"] == []


def test_a_channel_without_categories_takes_an_item_without_one(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.report.test_channel_categories import PER_CHANNEL

    path = tmp_path / "catalog.yaml"
    path.write_text(PER_CHANNEL, encoding="utf-8")
    monkeypatch.setenv("PUBREVIEW_CATALOG", str(path))
    pub = submitted(engine, category="", channels=["微信"])
    with db.transaction(engine) as session:
        assert session.get(Publication, pub).category == ""
    # The website still asks for one, and the message says where categories are configured.
    with pytest.raises(ValidationError, match="内容类别：请填写") as refused:
        submitted(engine, category="", channels=["网站", "微信"])
    assert str(path) in str(refused.value) and "PUBREVIEW_CATALOG" in str(refused.value)
