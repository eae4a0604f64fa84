"""Every rule of a decision, on SQLite and PostgreSQL: refused clearly, nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from models import LedgerEntry, LedgerKind, Publication
from pubreview import db
from pubreview.errors import DecisionRefused, NotFound, ValidationError
from pubreview.review.submission import resubmit
from pubreview.review.workflow import Outcome
from tests.support.factories import decided, submitted


def ledger_size(engine: Engine) -> int:
    with db.transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry))


def refused(
    engine: Engine,
    pub_id: int,
    user: str,
    outcome: Outcome,
    match: str,
    error: type[Exception] = DecisionRefused,
    **kwargs,
) -> None:
    """The decision is refused with a message matching `match`, and the ledger is unchanged."""
    before = ledger_size(engine)
    with pytest.raises(error, match=match):
        decided(engine, pub_id, user, outcome, **kwargs)
    assert ledger_size(engine) == before


def test_full_chain_records_fingerprint_attestation_and_urls(engine: Engine) -> None:
    pub = submitted(engine, channels=["网站", "微博"])
    first = decided(engine, pub, "li.na", attest=True)
    assert first.recorded and first.next_stage == "signoff"
    decided(engine, pub, "zeng.xiang")
    last = decided(engine, pub, "zhou.min", urls={"微博": "https://weibo.example/1"})
    assert last.status == "published"
    with db.transaction(engine) as session:
        rows = session.scalars(
            select(LedgerEntry).where(LedgerEntry.publication_id == pub).order_by(LedgerEntry.id)
        ).all()
        kinds = [r.kind for r in rows]
        pre = next(r for r in rows if r.kind == LedgerKind.DECIDED)
        submitted_fp = rows[0].payload["fingerprint"]
        published = {
            r.payload["channel"]: r.payload["url"] for r in rows if r.kind == LedgerKind.PUBLISHED
        }
    assert kinds == [
        "submitted",
        "screened",
        "decided",
        "decided",
        "decided",
        "published",
        "published",
    ]
    assert pre.payload["fingerprint"] == submitted_fp and pre.payload["attest_no_secrets"] is True
    assert published["微博"] == "https://weibo.example/1"
    assert published["网站"].endswith(f"/articles/{pub}.html")


def test_wrong_role_is_refused(engine: Engine) -> None:
    pub = submitted(engine)
    refused(engine, pub, "zeng.xiang", Outcome.APPROVE, "不是综合科的科室负责人", attest=True)
    refused(
        engine, pub, "chen.jing", Outcome.APPROVE, "不是综合科的科室负责人", attest=True
    )  # a section head, but of another unit


def test_unknown_user_and_publication(engine: Engine) -> None:
    pub = submitted(engine)
    refused(engine, pub, "nobody", Outcome.APPROVE, "unknown user 'nobody'", NotFound)
    refused(engine, 9999, "li.na", Outcome.APPROVE, "no publication 9999", NotFound)


def test_own_submission_is_refused(engine: Engine) -> None:
    pub = submitted(engine, submitter="li.na")  # li.na submits for 综合科 and heads it
    refused(
        engine,
        pub,
        "li.na",
        Outcome.APPROVE,
        "不能审核自己报送的信息",
        attest=True,
    )
    assert decided(engine, pub, "wang.fang", attest=True).recorded


def test_one_person_decides_one_stage_per_revision(engine: Engine, tmp_path) -> None:
    # zeng.xiang is a leader; give him the section head role too, then he may not do both.
    from pubreview.accounts.org import load_org

    org = tmp_path / "org.yaml"
    org.write_text(
        (__import__("pathlib").Path("config/sample-org.yaml").read_text(encoding="utf-8")).replace(
            "      - {unit: zonghe, role: leader}",
            "      - {unit: zonghe, role: leader}\n      - {unit: zonghe, role: section_head}",
        ),
        encoding="utf-8",
    )
    with db.transaction(engine) as session:
        load_org(session, org)
    pub = submitted(engine)
    from models import Stage

    # Holding both roles, he must say which step he decides.
    refused(engine, pub, "zeng.xiang", Outcome.APPROVE, "请指明本次决定的环节", attest=True)
    decided(engine, pub, "zeng.xiang", attest=True, stage=Stage.PRE_REVIEW)

    refused(
        engine,
        pub,
        "zeng.xiang",
        Outcome.APPROVE,
        "您已决定过本稿的另一个环节，审签须由另一人决定",
        stage=Stage.SIGN_OFF,
    )
    # Run again without naming the step, it is his 初审 approval repeated: nothing is written.
    assert not decided(engine, pub, "zeng.xiang", attest=True).recorded


def test_pre_review_needs_the_attestation(engine: Engine) -> None:
    pub = submitted(engine)
    refused(engine, pub, "li.na", Outcome.APPROVE, "无涉密及个人隐私内容")


def test_return_and_reject_need_a_comment(engine: Engine) -> None:
    pub = submitted(engine)
    refused(engine, pub, "li.na", Outcome.RETURN, "须填写意见")
    refused(engine, pub, "li.na", Outcome.REJECT, "须填写意见", comment="  ")


def test_out_of_turn_and_after_close(engine: Engine) -> None:
    pub = submitted(engine)
    refused(engine, pub, "zhou.min", Outcome.APPROVE, "zhou.min）不是综合科的科室负责人")
    decided(engine, pub, "li.na", Outcome.REJECT, comment="不宜公开")
    refused(engine, pub, "zeng.xiang", Outcome.APPROVE, "「不予发布」，没有待决定的环节")
    # The same decision again is a no-op that says so; a different one is refused.
    again = decided(engine, pub, "li.na", Outcome.REJECT, comment="不宜公开")
    assert not again.recorded and again.message.startswith("已记录过")
    refused(engine, pub, "li.na", Outcome.APPROVE, "不予发布", attest=True)


def test_duplicate_decision_is_a_no_op(engine: Engine) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", attest=True)
    size = ledger_size(engine)
    again = decided(engine, pub, "li.na", attest=True)
    assert not again.recorded and "本次未作更改" in again.message
    assert ledger_size(engine) == size
    # Naming the closed stage explicitly: a different outcome is refused.
    from models import Stage

    refused(
        engine,
        pub,
        "wang.fang",
        Outcome.RETURN,
        "第 1 稿的初审环节已结束",
        comment="x",
        stage=Stage.PRE_REVIEW,
    )


def test_only_the_current_revision_can_be_decided(engine: Engine) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", Outcome.RETURN, comment="请补充数据")
    refused(
        engine,
        pub,
        "wang.fang",
        Outcome.APPROVE,
        "正等待报送人修改后重新提交",
        attest=True,
    )
    with db.transaction(engine) as session:
        resubmit(session, pub, "zhang.wei", title=None, body="补充了数据。", attachments=None)
    refused(
        engine,
        pub,
        "wang.fang",
        Outcome.APPROVE,
        "第 1 稿已被第 2 稿取代",
        attest=True,
        revision=1,
    )
    assert decided(engine, pub, "wang.fang", attest=True, revision=2).recorded


def test_resubmitting_identical_content_is_refused(engine: Engine) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", Outcome.RETURN, comment="请修改")
    with pytest.raises(ValidationError, match="完全相同"), db.transaction(engine) as session:
        resubmit(session, pub, "zhang.wei", title=None, body=None, attachments=None)


def test_center_urls_only_for_the_items_channels(engine: Engine) -> None:
    pub = submitted(engine)
    decided(engine, pub, "li.na", attest=True)
    decided(engine, pub, "zeng.xiang")
    refused(
        engine,
        pub,
        "zhou.min",
        Outcome.APPROVE,
        "不在这些渠道发布",
        ValidationError,
        urls={"微信": "https://x"},
    )


def test_blocking_screening_finding_stops_approval_until_overridden(engine: Engine) -> None:
    pub = submitted(engine, body="秘密★1年\n\n本文件内容如下。")
    refused(
        engine,
        pub,
        "li.na",
        Outcome.APPROVE,
        "保密预检发现阻断问题",
        attest=True,
    )
    result = decided(
        engine, pub, "li.na", attest=True, override_reason="标注为历史文件引用，经核实已解密"
    )
    assert result.recorded
    with db.transaction(engine) as session:
        entry = session.get(LedgerEntry, result.entry_id)
        assert entry.payload["screening_override"] == "标注为历史文件引用，经核实已解密"


def test_scheduled_publication_goes_out_at_its_time_not_before(engine: Engine) -> None:
    import time
    from datetime import timedelta

    from models import Status
    from models.base import utcnow
    from pubreview import publishing

    pub = submitted(engine, channels=["网站", "微博"])
    decided(engine, pub, "li.na", attest=True)
    refused(
        engine,
        pub,
        "zeng.xiang",
        Outcome.APPROVE,
        "只能在中心发布环节",
        ValidationError,
        publish_at=utcnow() + timedelta(hours=1),
    )
    decided(engine, pub, "zeng.xiang")
    refused(
        engine,
        pub,
        "zhou.min",
        Outcome.APPROVE,
        "已过；如需立即发布",
        ValidationError,
        publish_at=utcnow() - timedelta(minutes=1),
    )
    when = utcnow() + timedelta(seconds=2)
    result = decided(
        engine, pub, "zhou.min", urls={"微博": "https://weibo.example/2"}, publish_at=when
    )
    assert result.status == "scheduled" and result.event == "publication.scheduled"
    with db.transaction(engine) as session:
        # Kept to the microsecond: a publish time rounded down would go out early.
        assert publishing.publish_at(session, session.get(Publication, pub)) == when
        assert publishing.published_channels(session, pub) == {}
        assert not publishing.publish_due(session, pub)
    time.sleep(2.5)
    with db.transaction(engine) as session:
        assert publishing.publish_due(session, pub)
        out = publishing.published_channels(session, pub)
        assert session.get(Publication, pub).status is Status.PUBLISHED
    assert out["微博"].url == "https://weibo.example/2" and out["网站"].url
    size = ledger_size(engine)
    with db.transaction(engine) as session:  # a second run finds it done and writes nothing
        assert publishing.publish_due(session, pub)
    assert ledger_size(engine) == size


def test_an_item_not_for_active_disclosure_is_never_approved_for_publication(
    engine: Engine,
) -> None:
    from models.publication import Disclosure

    pub = submitted(engine, disclosure=Disclosure.ON_REQUEST, disclosure_reason="仅供申请人")
    decided(engine, pub, "li.na", attest=True)
    decided(engine, pub, "zeng.xiang")
    refused(engine, pub, "zhou.min", Outcome.APPROVE, "公开属性为「依申请公开」，不能主动发布")
    assert decided(engine, pub, "zhou.min", Outcome.REJECT, comment="依申请公开").recorded


def test_content_edited_behind_the_ledger_is_never_approved(engine: Engine) -> None:
    from sqlalchemy import text

    pub = submitted(engine)
    decided(engine, pub, "li.na", attest=True)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE revisions SET body = '伪造的正文' WHERE publication_id = :p"), {"p": pub}
        )
    refused(engine, pub, "zeng.xiang", Outcome.APPROVE, "存储的内容与报送时登记的指纹不一致")
