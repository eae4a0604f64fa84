"""会签: a step decided by several people under all / any / M-of-N, with or without a veto;
each member counted once, the step moving once, and two members at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication, Role
from models.base import utcnow
from pubreview import db
from pubreview.accounts.org import load_org
from pubreview.chains.standing import describe, standing
from pubreview.chains.validation import check_org, parse
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.notify.recipients import notice_for
from pubreview.review import deciders, delegation, replay
from pubreview.review.workflow import Outcome
from tests.chains.conftest import FIXTURES
from tests.support.factories import decided, submitted

PRE = "      - {id: prereview, label: 初审, role: section_head}\n"
SIGN = "      - {id: signoff, label: 审签, role: leader, return_to: previous}\n"
PUBLISH = "      - {id: publication, label: 中心发布, role: center, unit: office}\n"
MEMBERS = "[chen.jing, sun.li, bao.an]"


def group_step(group: str, extra: str = "") -> str:
    return f"      - {{id: huiqian, label: 部门会签, role: section_head{extra}, group: {group}}}\n"


def chains(*steps: str) -> str:
    return "default: web\nchains:\n  web:\n    steps:\n" + "".join(steps)


def use(chains_env: Path, group: str, extra: str = "") -> None:
    chains_env.write_text(chains(PRE, group_step(group, extra), SIGN, PUBLISH), encoding="utf-8")


@pytest.fixture
def sqlite_engine(database_url: str, chains_env: Path) -> Engine:
    """The sample organisation with the 保密办 and the legal office, on SQLite only."""
    from tests.conftest import SAMPLE_ORG

    engine = db.make_engine(database_url)
    with db.transaction(engine) as session:
        load_org(session, SAMPLE_ORG)
        load_org(session, FIXTURES / "org.yaml")
    return engine


def at_huiqian(engine: Engine) -> int:
    pub = submitted(engine)
    decided(engine, pub, "li.na", attest=True, stage=_stage("prereview"))
    return pub


def position(engine: Engine, pub_id: int) -> tuple[str, str | None]:
    with db.transaction(engine) as session:
        pub = session.get(Publication, pub_id)
        return pub.status.value, pub.stage.value if pub.stage else None


def waiting_on(engine: Engine, pub_id: int) -> list[str]:
    with db.transaction(engine) as session:
        return [p.username for p in deciders.eligible(session, session.get(Publication, pub_id))]


def votes(engine: Engine, pub_id: int) -> list[tuple[str, str, str | None]]:
    """(actor, outcome, settles) of each decision at the 会签 step."""
    with db.transaction(engine) as session:
        return [
            (e.actor, e.outcome, e.payload["countersign"]["settles"])
            for e in session.scalars(
                select(LedgerEntry)
                .where(
                    LedgerEntry.publication_id == pub_id,
                    LedgerEntry.kind == LedgerKind.DECIDED,
                    LedgerEntry.stage == "huiqian",
                )
                .order_by(LedgerEntry.id)
            )
        ]


def cache_agrees(engine: Engine) -> bool:
    with db.transaction(engine) as session:
        return replay.check(session) == []


# --- the chains file -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "extra", "message"),
    [
        ("{members: [], rule: all}", "", "group.members：会签成员为空"),
        (
            f"{{members: {MEMBERS}, rule: 4}}",
            "",
            "会签须 4 人同意，但只列出 3 名成员（M 不能大于 N）",
        ),
        ("{members: [chen.jing, chen.jing]}", "", "会签成员「chen.jing」重复列出"),
        ("{rule: most}", "", "group.rule：未知规则「most」"),
        ("{rule: 0}", "", "group.rule：未知规则「0」"),
        ("{veto: maybe}", "", "group.veto：应为 true（一票否决）或 false"),
        (f"{{members: {MEMBERS}}}", ", unit: unit", "请写 unit: office"),
    ],
)
def test_a_bad_group_is_refused_with_its_line_and_field(group: str, extra: str, message: str):
    with pytest.raises(ValidationError) as err:
        parse(chains(PRE, group_step(group, extra), PUBLISH), "chains.yaml")
    assert "chains.yaml：第 6 行：chains.web.steps[1]." in str(err.value)
    assert message in str(err.value)


def test_publication_cannot_be_a_group() -> None:
    step = "      - {id: publication, label: 中心发布, role: center, unit: office, group: {}}\n"
    with pytest.raises(ValidationError, match="中心发布环节不能设为会签"):
        parse(chains(PRE, step))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_org_is_checked_for_members_and_for_m_of_n(sqlite_engine: Engine) -> None:
    text = chains(
        PRE,
        group_step("{members: [chen.jing, nobody, zeng.xiang], rule: 2}"),
        "      - {id: legal, label: 法制会签, role: section_head, unit: fazhi, group: {rule: 2}}\n",
        PUBLISH,
    )
    with db.transaction(sqlite_engine) as session:
        errors = check_org(session, parse(text, "chains.yaml"))
    assert errors == [
        "chains.yaml：第 6 行：chains.web.huiqian.group.members：会签成员「nobody」不在组织架构中",
        "chains.yaml：第 6 行：chains.web.huiqian.group.members：会签成员「zeng.xiang」（曾翔）"
        "不是全办的科室负责人",
        "chains.yaml：第 7 行：chains.web.legal.group.rule：会签须 2 人同意，"
        "但法制科目前只有 1 名科室负责人（M 不能大于 N）",
    ]


def test_a_chain_without_groups_keeps_its_version() -> None:
    from pubreview.chains.definitions import DEFAULT_CHAIN

    # The version items already in flight were bound to before 会签 existed.
    assert DEFAULT_CHAIN.version == "dcaf6979bfca4ba6"


# --- deciding ---------------------------------------------------------------------------------

pytestmark_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytestmark_sqlite
def test_two_of_three_each_member_once_and_the_step_moves_once(
    sqlite_engine: Engine, chains_env: Path
) -> None:
    engine = sqlite_engine
    use(chains_env, f"{{members: {MEMBERS}, rule: 2}}")
    pub = at_huiqian(engine)
    assert waiting_on(engine, pub) == ["bao.an", "chen.jing", "sun.li"]
    with db.transaction(engine) as session:
        told = notice_for(session, session.get(Publication, pub))
        # bao.an sits in the 保密办, not the submitting unit: a member is told all the same.
        assert [r.username for r in told.recipients] == ["bao.an", "chen.jing", "sun.li"]
    first = decided(engine, pub, "chen.jing")
    assert (first.status, first.next_stage) == ("in_review", "huiqian")
    assert first.event == "publication.huiqian.member_approved"
    assert "会签已同意 1/2 人，尚待：bao.an、sun.li" in first.message
    assert waiting_on(engine, pub) == ["bao.an", "sun.li"]
    # The same decision again is a no-op; another decision by the same member is refused.
    again = decided(engine, pub, "chen.jing")
    assert (again.recorded, again.entry_id) == (False, first.entry_id)
    with pytest.raises(DecisionRefused, match="您已在部门会签环节本轮会签中决定过.*每人只计一次"):
        decided(engine, pub, "chen.jing", Outcome.RETURN, comment="再想想")
    with pytest.raises(DecisionRefused, match="不在部门会签环节的会签成员之列"):
        decided(engine, pub, "wang.fang")
    with db.transaction(engine) as session:
        shown = describe(standing(session, session.get(Publication, pub)))
    assert "会签：3 人中 2 人同意；会签已同意 1/2 人" in shown
    assert "待决定：bao.an、sun.li" in shown
    second = decided(engine, pub, "sun.li")
    assert (second.status, second.next_stage) == ("in_review", "signoff")
    assert second.event == "publication.huiqian.approved"
    assert "会签结束（同意）" in second.message
    with pytest.raises(DecisionRefused, match="部门会签环节已结束"):
        decided(engine, pub, "bao.an", stage=_stage("huiqian"))
    assert votes(engine, pub) == [
        ("chen.jing", "approve", None),
        ("sun.li", "approve", "approve"),
    ]
    assert cache_agrees(engine)
    # 审签 returns to the 会签 (return_to: previous): a new round, everyone decides again.
    back = decided(engine, pub, "zeng.xiang", Outcome.RETURN, comment="请会签再议")
    assert back.next_stage == "huiqian"
    assert waiting_on(engine, pub) == ["bao.an", "chen.jing", "sun.li"]
    decided(engine, pub, "bao.an")
    assert decided(engine, pub, "chen.jing").next_stage == "signoff"
    assert cache_agrees(engine)


def _stage(value: str):
    from models.publication import step_id

    return step_id(value)


@pytestmark_sqlite
@pytest.mark.parametrize(
    ("group", "script", "end"),
    [
        # all: one rejection ends it (all can no longer be met), veto or not
        ("{rule: all}", [("chen.jing", "approve"), ("sun.li", "reject")], ("rejected", None)),
        # any, with a veto: the first return sends the item back
        ("{rule: any, veto: true}", [("bao.an", "return")], ("returned", None)),
        # any, without a veto: a return waits for the others; one approval completes it
        (
            "{rule: any}",
            [("bao.an", "return"), ("sun.li", "approve")],
            ("in_review", "signoff"),
        ),
        # 2 of 3 without a veto: two noes leave the rule unreachable; the latest no decides
        (
            "{rule: 2}",
            [("bao.an", "reject"), ("chen.jing", "approve"), ("sun.li", "return")],
            ("returned", None),
        ),
        # 2 of 3 with a veto: one rejection is enough
        (
            "{rule: 2, veto: true}",
            [("chen.jing", "approve"), ("sun.li", "reject")],
            ("rejected", None),
        ),
    ],
)
def test_rules_and_vetoes(
    sqlite_engine: Engine, chains_env: Path, group: str, script: list, end: tuple
) -> None:
    members = group.replace("{", f"{{members: {MEMBERS}, ", 1)
    use(chains_env, members)
    pub = at_huiqian(sqlite_engine)
    for user, outcome in script:
        assert position(sqlite_engine, pub) == ("in_review", "huiqian")
        decided(sqlite_engine, pub, user, Outcome(outcome), comment="意见")
    assert position(sqlite_engine, pub) == end
    settling = [v for v in votes(sqlite_engine, pub) if v[2]]
    assert len(settling) == 1
    assert cache_agrees(sqlite_engine)


@pytestmark_sqlite
def test_a_role_group_is_everyone_in_scope_clear_of_the_item(
    sqlite_engine: Engine, chains_env: Path
) -> None:
    use(chains_env, "{rule: 2}", ", unit: office")
    pub = at_huiqian(sqlite_engine)
    # li.na took 初审 of this revision: she is no member of its 会签.
    assert waiting_on(sqlite_engine, pub) == ["bao.an", "chen.jing", "fa.lv", "sun.li", "wang.fang"]
    with pytest.raises(DecisionRefused, match="另一个环节"):
        decided(sqlite_engine, pub, "li.na", stage=_stage("huiqian"))
    decided(sqlite_engine, pub, "fa.lv")
    assert waiting_on(sqlite_engine, pub) == ["bao.an", "chen.jing", "sun.li", "wang.fang"]
    at = _stage("huiqian")
    assert decided(sqlite_engine, pub, "wang.fang", stage=at).next_stage == "signoff"


@pytestmark_sqlite
def test_a_delegate_counts_for_the_member_once(sqlite_engine: Engine, chains_env: Path) -> None:
    use(chains_env, f"{{members: {MEMBERS}, rule: all}}")
    pub = at_huiqian(sqlite_engine)
    with db.transaction(sqlite_engine) as session:
        delegation.grant(
            session,
            delegator="sun.li",
            delegate="zhao.lei",
            role=Role.SECTION_HEAD,
            ends=utcnow() + timedelta(days=2),
            actor="wu.gang",
        )
    assert "zhao.lei" in waiting_on(sqlite_engine, pub)
    by_delegate = decided(sqlite_engine, pub, "zhao.lei")
    assert "赵磊 代 孙丽" in by_delegate.message
    assert waiting_on(sqlite_engine, pub) == ["bao.an", "chen.jing"]
    with pytest.raises(DecisionRefused, match="由 zhao.lei 代签.*每人只计一次"):
        decided(sqlite_engine, pub, "sun.li")
    decided(sqlite_engine, pub, "bao.an")
    assert decided(sqlite_engine, pub, "chen.jing").next_stage == "signoff"
    assert cache_agrees(sqlite_engine)


# --- two members at the same moment ----------------------------------------------------------


def test_two_members_at_once_exactly_one_completes_the_step(
    engine: Engine, chains_env: Path
) -> None:
    with db.transaction(engine) as session:
        load_org(session, FIXTURES / "org.yaml")
    use(chains_env, f"{{members: {MEMBERS}, rule: 2}}")
    pub = at_huiqian(engine)
    decided(engine, pub, "bao.an", Outcome.RETURN, comment="需修改")
    barrier = threading.Barrier(2)

    def member(user: str):
        barrier.wait()
        return decided(engine, pub, user, stage=_stage("huiqian"))

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(member, ["chen.jing", "sun.li"]))
    assert [r.recorded for r in results] == [True, True]
    # One of the two saw the other's approval and completed the step; the other did not.
    assert sorted(r.next_stage for r in results) == ["huiqian", "signoff"]
    assert sorted(r.event for r in results) == [
        "publication.huiqian.approved",
        "publication.huiqian.member_approved",
    ]
    recorded = votes(engine, pub)
    assert sorted(a for a, _, _ in recorded) == ["bao.an", "chen.jing", "sun.li"]
    assert [s for _, _, s in recorded] == [None, None, "approve"]
    assert position(engine, pub) == ("in_review", "signoff")
    assert cache_agrees(engine)


@pytestmark_sqlite
def test_the_command_line_names_a_chains_own_step(
    sqlite_engine: Engine,
    chains_env: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
) -> None:
    from pubreview.cli.parser import main

    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    use(chains_env, "{rule: 2}", ", unit: office")
    pub = at_huiqian(sqlite_engine)
    # wang.fang could take 初审 and the 会签 of this item: she must say which she means.
    assert main(["decide", str(pub), "approve", "--as", "wang.fang"]) == 1
    assert "多个环节（初审、部门会签）" in capsys.readouterr().err
    assert main(["decide", str(pub), "approve", "--as", "wang.fang", "--stage", "huiqian"]) == 0
    assert "部门会签环节（会签）决定「同意」" in capsys.readouterr().out
    assert main(["decide", str(pub), "approve", "--as", "chen.jing", "--stage", "nosuch"]) == 1
    assert "nosuch环节目前未开放" in capsys.readouterr().err
