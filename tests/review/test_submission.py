"""Submission and resubmission check every field and write nothing on error."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from models import LedgerEntry, LedgerKind, Publication, Stage, Status
from models.publication import Disclosure, Grade
from pubreview import db
from pubreview.accounts.org import load_org
from pubreview.chains.binding import chain_of
from pubreview.chains.definitions import DEFAULT_CHAIN
from pubreview.errors import NotFound, ValidationError
from pubreview.review import replay
from pubreview.review.entries import Submitted
from pubreview.review.submission import (
    Attributes,
    attributes_of,
    fingerprint,
    parse_grade,
    read_attachments,
    resubmit,
    submit,
)
from pubreview.review.workflow import Outcome
from tests.support.factories import attachment, decided, draft, submitted


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


# --- Resubmission may change 内容类别, 发布渠道 and 公开属性 -------------------------------

CHAINS_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "chains"
SAMPLE_CHAINS = Path(__file__).resolve().parents[2] / "config" / "sample-chains.yaml"


def returned(engine: Engine, **overrides) -> int:
    """An item 初审 returned to zhang.wei."""
    pub = submitted(engine, **overrides)
    decided(engine, pub, "li.na", Outcome.RETURN, comment="请改分类")
    return pub


def resubmitted(engine: Engine, pub: int, **changes) -> Publication:
    with db.transaction(engine) as session:
        content = {"title": None, "body": None, "attachments": None}
        return resubmit(session, pub, "zhang.wei", **{**content, **changes})


def resubmission(engine: Engine, pub: int) -> LedgerEntry:
    with db.transaction(engine) as session:
        return session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.publication_id == pub, LedgerEntry.kind == LedgerKind.RESUBMITTED
            )
        ).one()


def test_a_resubmission_may_change_only_the_attributes_and_records_what_changed(
    engine: Engine,
) -> None:
    pub = returned(engine)
    resubmitted(
        engine,
        pub,
        category="政务公开",
        channels=["网站", "微博", "网站"],
        disclosure=Disclosure.ON_REQUEST,
        disclosure_reason="  涉及第三方  ",
    )
    with db.transaction(engine) as session:
        item = session.get(Publication, pub)
        assert (item.status, item.current_revision, item.stage) == (
            Status.IN_REVIEW,
            2,
            Stage.PRE_REVIEW,
        )
        assert (item.category, item.channels) == ("政务公开", ["网站", "微博"])
        assert (item.disclosure, item.disclosure_reason) == (Disclosure.ON_REQUEST, "涉及第三方")
        assert attributes_of(session, pub, 1) == Attributes(
            "工作动态", ("网站",), Disclosure.ACTIVE, None
        )
        assert attributes_of(session, pub, 2) == Attributes.of(item)
        assert replay.check(session) == []  # the row is what the entries say
    entry = resubmission(engine, pub)
    assert entry.payload["changed"] == {
        "category": {"before": "工作动态", "after": "政务公开"},
        "channels": {"before": ["网站"], "after": ["网站", "微博"]},
        "disclosure": {"before": "active", "after": "on_request"},
        "disclosure_reason": {"before": None, "after": "涉及第三方"},
    }
    # The default chain chose itself again: nothing about the chain is recorded.
    assert "chain" not in entry.payload


def test_unchanged_content_and_attributes_are_refused(engine: Engine) -> None:
    pub = returned(engine)
    before = counts(engine)
    with pytest.raises(
        ValidationError, match="修改稿与退回稿完全相同.*内容类别、发布渠道、公开属性或信息等级"
    ):
        resubmitted(engine, pub, category="工作动态", channels=["网站"])
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("changes", "field", "match"),
    [
        ({"channels": []}, "channels", "发布渠道：请至少选择一个"),
        ({"channels": ["抖音"]}, "channels", "发布渠道：“抖音”不在目录中"),
        ({"category": "八卦"}, "category", "内容类别：“八卦”不在目录中"),
        ({"category": ""}, "category", "内容类别：请填写"),
        ({"disclosure": Disclosure.NOT_PUBLIC}, "disclosure_reason", "须填写理由"),
        (
            {"disclosure": Disclosure.ON_REQUEST, "disclosure_reason": "  "},
            "disclosure_reason",
            "须填写理由",
        ),
    ],
)
def test_changed_attributes_are_checked_as_at_a_first_submission(
    engine: Engine, changes: dict, field: str, match: str
) -> None:
    pub = returned(engine)
    before = counts(engine)
    with pytest.raises(ValidationError, match=match) as refused:
        resubmitted(engine, pub, body="改过的正文。", **changes)
    assert refused.value.field == field
    assert counts(engine) == before
    with db.transaction(engine) as session:
        assert session.get(Publication, pub).status is Status.RETURNED


def test_a_kept_reason_goes_with_a_kept_disclosure_and_is_dropped_for_active(
    engine: Engine,
) -> None:
    pub = returned(engine, disclosure=Disclosure.NOT_PUBLIC, disclosure_reason="内部管理信息")
    resubmitted(engine, pub, channels=["网站", "微信"])  # reason and 公开属性 kept
    with db.transaction(engine) as session:
        item = session.get(Publication, pub)
        assert (item.disclosure, item.disclosure_reason) == (Disclosure.NOT_PUBLIC, "内部管理信息")
    decided(engine, pub, "li.na", Outcome.RETURN, comment="应主动公开")
    resubmitted(engine, pub, disclosure=Disclosure.ACTIVE)
    with db.transaction(engine) as session:
        item = session.get(Publication, pub)
        assert (item.disclosure, item.disclosure_reason) == (Disclosure.ACTIVE, None)


@pytest.fixture
def chains(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample chains (行政规范性文件 → 合法性审核, 政务公开 → 保密审查) and their org."""
    path = tmp_path / "chains.yaml"
    path.write_text(SAMPLE_CHAINS.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("PUBREVIEW_CHAINS", str(path))
    monkeypatch.setenv("PUBREVIEW_CATALOG", str(CHAINS_FIXTURES / "catalog.yaml"))
    with db.transaction(engine) as session:
        load_org(session, CHAINS_FIXTURES / "org.yaml")
    return path


def test_changed_attributes_choose_the_chain_again_and_the_entry_says_so(
    engine: Engine, chains: Path
) -> None:
    pub = returned(engine)  # 工作动态: the default chain
    resubmitted(engine, pub, category="行政规范性文件")
    entry = resubmission(engine, pub)
    assert entry.payload["chain_replaced"]["name"] == "default"
    assert entry.payload["chain"]["name"] == "normative"
    assert entry.payload["chain_replaced"]["version"] == DEFAULT_CHAIN.version
    decided(engine, pub, "li.na", Outcome.APPROVE, attest=True)
    with db.transaction(engine) as session:
        item = session.get(Publication, pub)
        assert chain_of(session, item).name == "normative"
        assert item.stage.value == "legality"  # 合法性审核, which 工作动态 never had
        assert replay.check(session) == []


def test_unchanged_attributes_keep_the_bound_chain_whatever_the_rules_say_now(
    engine: Engine, chains: Path
) -> None:
    pub = returned(engine, category="政务公开")  # bound to 保密审查
    chains.write_text(
        chains.read_text(encoding="utf-8").replace("chain: secrecy", "chain: default"),
        encoding="utf-8",
    )
    resubmitted(engine, pub, body="改过的正文。")
    assert "chain" not in resubmission(engine, pub).payload
    decided(engine, pub, "li.na", Outcome.APPROVE, attest=True)
    with db.transaction(engine) as session:
        item = session.get(Publication, pub)
        assert chain_of(session, item).name == "secrecy"
        assert item.stage.value == "secrecy"


def test_a_text_only_resubmission_is_not_rechecked_against_a_changed_catalog(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pub = returned(engine)  # 工作动态, which the office then drops from its catalog
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "categories: [政务公开]\nchannels:\n  网站: {kind: site}\n", encoding="utf-8"
    )
    monkeypatch.setenv("PUBREVIEW_CATALOG", str(catalog))
    # As the web form posts it: every attribute as it was, an empty reason for 主动公开.
    resubmitted(
        engine,
        pub,
        body="改过的正文。",
        category="工作动态",
        channels=["网站"],
        disclosure=Disclosure.ACTIVE,
        disclosure_reason="",
    )
    assert "changed" not in resubmission(engine, pub).payload


def test_grade_is_recorded_and_a_changed_grade_chooses_the_chain_again(
    engine: Engine, chains: Path
) -> None:
    pub = returned(engine)  # 一般 by default: the default chain
    with db.transaction(engine) as session:
        first = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.publication_id == pub, LedgerEntry.kind == LedgerKind.SUBMITTED
            )
        ).one()
        assert Submitted.from_payload(first.payload).grade == "ordinary"
    resubmitted(engine, pub, grade=Grade.SENSITIVE)  # the sample chains: 敏感 → 保密审查
    entry = resubmission(engine, pub)
    assert entry.payload["grade"] == "sensitive"
    assert entry.payload["changed"] == {"grade": {"before": "ordinary", "after": "sensitive"}}
    assert (entry.payload["chain"]["name"], entry.payload["chain_replaced"]["name"]) == (
        "secrecy",
        "default",
    )
    decided(engine, pub, "li.na", Outcome.APPROVE, attest=True)
    with db.transaction(engine) as session:
        item = session.get(Publication, pub)
        assert (item.grade, item.stage.value) == (Grade.SENSITIVE, "secrecy")
        assert attributes_of(session, pub, 2).grade is Grade.SENSITIVE
        assert replay.check(session) == []


def test_an_entry_older_than_grades_reads_as_ordinary() -> None:
    old = {"title": "旧稿", "category": "工作动态", "channels": ["网站"], "unit": "zonghe"}
    read = Submitted.from_payload(old)
    assert (read.grade, read.grade_value) == (None, "ordinary")
    assert {k: v for k, v in read.to_payload().items() if k in old} == old
    assert "grade" not in read.to_payload()  # read back as written: the chain's hash holds
    assert Attributes.from_payload(old).grade is Grade.ORDINARY


def test_an_unknown_grade_is_refused_naming_it() -> None:
    assert parse_grade("重要") is Grade.IMPORTANT and parse_grade("") is Grade.ORDINARY
    with pytest.raises(ValidationError, match="信息等级：“绝密”不是可选的等级") as refused:
        parse_grade("绝密")
    assert refused.value.field == "grade"
