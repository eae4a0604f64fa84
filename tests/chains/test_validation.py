"""A chains file with a mistake is refused naming its line and field; a good one loads."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.chains.definitions import BUILT_IN, DEFAULT_CHAIN
from pubreview.chains.validation import check_file, check_org, parse, read
from pubreview.errors import ValidationError
from tests.chains.conftest import FIXTURES, SAMPLE_CHAINS

PUBLISH = "      - {id: publication, label: 中心发布, role: center, unit: office}\n"


def chains(*steps: str, rules: str = "") -> str:
    return "chains:\n  web:\n    steps:\n" + "".join(steps) + (f"rules:\n{rules}" if rules else "")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            chains(
                "      - {id: prereview, label: 初审, role: section_head}\n",
                "      - {id: prereview, label: 复审, role: leader}\n",
                PUBLISH,
            ),
            5,
            "chains.web.steps[1].id：环节「prereview」在本链中重复出现（会形成循环）",
        ),
        (
            chains("      - {id: prereview, label: 初审, role: editor}\n", PUBLISH),
            4,
            "chains.web.steps[0].role：未知角色「editor」",
        ),
        (
            chains(
                "      - {id: prereview, label: 初审, role: section_head}\n",
                PUBLISH,
                rules="  - {category: 政务公开, chain: secret}\n",
            ),
            7,
            "rules[0].chain：规则选择的审核链「secret」未定义",
        ),
        (
            chains("      - {id: prereview, label: 初审, role: section_head}\n"),
            4,
            "最后一个环节须为中心发布",
        ),
        (
            chains(
                "      - {id: prereview, label: 初审, role: section_head, return_to: previous}\n",
                PUBLISH,
            ),
            4,
            "第一个环节没有上一环节",
        ),
        (
            chains(
                "      - {id: prereview, label: 初审, role: section_head, deadline_days: 0}\n",
                PUBLISH,
            ),
            4,
            "deadline_days：应为正整数",
        ),
        (
            chains(
                "      - {id: prereview, label: 初审, role: section_head}\n",
                PUBLISH,
                rules="  - {disclosure: 保密, chain: web}\n",
            ),
            7,
            "未知公开属性「保密」",
        ),
        (
            chains(
                "      - {id: prereview, label: 初审, role: section_head}\n",
                PUBLISH,
                rules="  - {chain: web}\n  - {category: 政务公开, chain: default}\n",
            ),
            7,
            "此规则没有条件",
        ),
        ("default: missing\n" + chains(PUBLISH), 1, "default：默认链「missing」未定义"),
        (
            chains(
                "      - {id: prereview, label: 初审, role: section_head}\n",
                PUBLISH,
                rules="  - {category: 政务公开, chain: web}\n"
                "  - {grade: [重要, 绝密], chain: web}\n",
            ),
            8,
            "rules[1].grade：未知信息等级「绝密」（可选：一般、重要、敏感",
        ),
        (
            chains(
                "      - {id: prereview, label: 初审, role: section_head,"
                " escalate_to: {role: boss}}\n",
                PUBLISH,
            ),
            4,
            "chains.web.steps[0].escalate_to.role：未知角色「boss」",
        ),
    ],
    ids=[
        "duplicate-step",
        "unknown-role",
        "rule-selects-no-chain",
        "last-not-publication",
        "first-returns-to-previous",
        "bad-deadline",
        "unknown-disclosure",
        "rule-shadows-the-rest",
        "unknown-default",
        "unknown-grade",
        "unknown-escalation-role",
    ],
)
def test_a_mistake_names_its_line_and_field(text: str, line: int, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(text, "chains.yaml")
    assert f"chains.yaml：第 {line} 行：" in str(caught.value)
    assert message in str(caught.value)


def test_every_mistake_is_named_at_once() -> None:
    # Two chains and a rule wrong: all three are listed, each with its line; a rule naming a
    # chain that failed is not also told the chain is undefined.
    text = (
        chains("      - {id: prereview, label: 初审, role: editor}\n", PUBLISH)
        + "  print:\n    steps:\n      - {id: Bad, label: 初审, role: leader}\n"
        + "      - {id: publication, label: 中心发布, role: center, unit: office}\n"
        + "rules:\n  - {chain: web, category: 通知公告}\n  - {chain: nowhere}\n"
    )
    with pytest.raises(ValidationError) as caught:
        parse(text, "chains.yaml")
    found = str(caught.value)
    assert "chains.yaml 有 3 处问题" in found, found
    assert "第 4 行：chains.web.steps[0].role：未知角色「editor」" in found
    assert "第 8 行：chains.print.steps[0].id：环节 id 须以小写字母开头" in found
    assert "第 12 行：rules[1].chain：规则选择的审核链「nowhere」未定义" in found


def test_no_file_is_the_built_in_chain_and_the_shipped_file_is_the_same(tmp_path) -> None:
    assert read(tmp_path / "absent.yaml") is BUILT_IN
    shipped = read(SAMPLE_CHAINS.with_name("chains.yaml"))
    assert shipped.default_chain == DEFAULT_CHAIN
    assert shipped.default_chain.version == DEFAULT_CHAIN.version
    assert [(s.id, s.label, s.role.value) for s in DEFAULT_CHAIN.steps] == [
        ("prereview", "初审", "section_head"),
        ("signoff", "审签", "leader"),
        ("publication", "中心发布", "center"),
    ]


def test_checked_against_the_org_unknown_unit_and_a_step_nobody_can_decide(
    engine: Engine, tmp_path
) -> None:
    with db.transaction(engine) as session:
        # The sample org has neither the 保密办 nor the legal office.
        errors = check_org(session, read(SAMPLE_CHAINS))
        assert any("第 15 行：chains.secrecy.secrecy.unit：未知单位「baomi」" in e for e in errors)
        assert any("chains.normative.legality.unit：未知单位「fazhi」" in e for e in errors)
        # A unit that exists but where nobody holds the role: nobody could decide the step.
        office_wide = parse(
            chains(
                "      - {id: prereview, label: 初审, role: section_head}\n",
                "      - {id: audit, label: 复审, role: section_head, unit: center}\n",
                PUBLISH,
            ),
            "chains.yaml",
        )
        assert check_org(session, office_wide) == [
            "chains.yaml：第 5 行：chains.web.audit：网上名称管理中心目前没有科室负责人，"
            "复审环节无人可决定"
        ]
        # Who hears of an overdue step must be a unit the org has.
        escalating = parse(
            chains(
                "      - {id: prereview, label: 初审, role: section_head,"
                " escalate_to: {role: leader, unit: nowhere}}\n",
                PUBLISH,
            ),
            "chains.yaml",
        )
        assert check_org(session, escalating) == [
            "chains.yaml：第 4 行：chains.web.prereview.escalate_to.unit：未知单位「nowhere」"
            "（组织架构中没有）"
        ]


def test_check_file_passes_with_the_org_and_catalog_it_needs(chain_engine: Engine) -> None:
    from pubreview.publishing import catalog as catalog_mod

    with db.transaction(chain_engine) as session:
        loaded = check_file(session, SAMPLE_CHAINS, catalog_mod.load(FIXTURES / "catalog.yaml"))
        assert sorted(loaded.chains) == ["default", "normative", "secrecy"]
        with pytest.raises(ValidationError, match="内容类别「行政规范性文件」不在目录中"):
            check_file(
                session, SAMPLE_CHAINS, catalog_mod.load(SAMPLE_CHAINS.with_name("catalog.yaml"))
            )


GROUP_AFTER_PRE = "      - {id: prereview, label: 初审, role: section_head}\n"


def group(spec: str, extra: str = "") -> str:
    return f"      - {{id: huiqian, label: 部门会签, role: section_head{extra}, group: {spec}}}\n"


def test_a_countersign_that_separation_of_duties_would_stall_is_refused(engine: Engine) -> None:
    with db.transaction(engine) as session:
        # 综合科 has two section heads: li.na may be the submitter, the other took 初审.
        in_unit = parse(
            "default: web\n" + chains(GROUP_AFTER_PRE, group("{rule: 2}"), PUBLISH), "chains.yaml"
        )
        assert (
            "chains.yaml：第 6 行：chains.web.huiqian.group.rule：会签须 2 人同意，"
            "综合科报送的信息有 2 名成员可会签，但报送人和本稿其他环节的决定人须回避，"
            "最少只剩 0 人，部门会签环节会停滞"
        ) in check_org(session, in_unit)
        # A named member who may have taken 初审 (chen.jing, of 业务科): the other cannot make 2.
        named = parse(
            "default: web\n"
            + chains(GROUP_AFTER_PRE, group("{members: [wang.fang, chen.jing], rule: 2}"), PUBLISH),
            "chains.yaml",
        )
        assert check_org(session, named) == [
            "chains.yaml：第 6 行：chains.web.huiqian.group.members：会签须 2 人同意，"
            "业务科报送的信息有 2 名成员可会签，但报送人和本稿其他环节的决定人须回避，"
            "最少只剩 1 人，部门会签环节会停滞"
        ]
        # Any one of a single named member who may be the submitter: nobody left at all.
        alone = parse(
            "default: web\n" + chains(group("{members: [li.na], rule: any}"), PUBLISH),
            "chains.yaml",
        )
        assert check_org(session, alone) == [
            "chains.yaml：第 5 行：chains.web.huiqian.group.members：会签至少须有 1 名成员，"
            "综合科报送的信息有 1 名成员可会签，但报送人和本稿其他环节的决定人须回避，"
            "最少只剩 0 人，部门会签环节会停滞"
        ]
        # Every section head in the office, two of them: enough are always left.
        office = parse(
            "default: web\n"
            + chains(GROUP_AFTER_PRE, group("{rule: 2}", ", unit: office"), PUBLISH),
            "chains.yaml",
        )
        assert check_org(session, office) == []
