"""Reading a chains file: every error names the file, the line and the field; nothing half-loaded.

The file holds named chains (ordered steps) and the rules that choose one for an item. Parsing
checks the file on its own; `check_org` checks it against the organisation loaded now, so a
step nobody can decide is refused when the file (or the org) is loaded, not when an item stalls.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Person, Role, RoleGrant, Unit
from pubreview.accounts import org
from pubreview.chains.definitions import (
    BUILT_IN,
    DEFAULT_CHAIN,
    OFFICE,
    PUBLICATION,
    PUBLICATION_STEP,
    REPLY,
    TO_PREVIOUS,
    TO_SUBMITTER,
    UNIT,
    Chain,
    ChainSet,
    Escalation,
    Group,
    Rule,
    Step,
)
from pubreview.errors import ValidationError
from pubreview.labels import DISCLOSURE_LABEL, GRADE_LABEL, ROLE_LABEL
from pubreview.yamldoc import Doc, Skip, compose, read_text

STEP_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CHAIN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
# Roles a step may be decided by (a submitter never decides a review step).
DECIDING_ROLES = tuple(r for r in Role if r is not Role.SUBMITTER)
DISCLOSURE_BY_NAME = {
    **{v: v for v in DISCLOSURE_LABEL},
    **{k: v for v, k in DISCLOSURE_LABEL.items()},
}
GRADE_BY_NAME = {**{v: v for v in GRADE_LABEL}, **{k: v for v, k in GRADE_LABEL.items()}}


def parse(text: str, source: Path | str = "chains.yaml") -> ChainSet:
    """Parse and check a chains file's text; every error names its line and field."""
    doc = Doc(source)
    root = compose(text, source)
    top = doc.mapping(root, "(顶层)", {"default", "chains", "rules"})
    if "chains" not in top:
        doc.refuse(root, "chains", "缺少（至少定义一条审核链）")
    if not isinstance(top["chains"], yaml.MappingNode) or not top["chains"].value:
        doc.refuse(top["chains"], "chains", "应为键值表（链名: 定义），至少定义一条审核链")
    chains: dict[str, Chain] = {}
    broken: set[str] = set()  # chains with an error: rules naming them are not told "undefined"
    lines: dict[str, int] = {}
    reply: Chain | None = None  # the one chain that applies to a request's reply, if declared
    for key, value in top["chains"].value:
        with doc.part():
            name = doc.text(key, "chains")
            if not CHAIN_NAME.match(name):
                raise doc.fail(key, f"chains.{name}", "链名须以字母开头，由字母、数字、- 或 _ 组成")
            if name in chains or name in broken or (reply is not None and reply.name == name):
                raise doc.fail(key, f"chains.{name}", f"审核链「{name}」重复定义")
            broken.add(name)
            applies = _applies_to(doc, name, value)
            chain, step_nodes = _chain(doc, name, value, applies)
            if applies == REPLY:
                if reply is not None:
                    raise doc.fail(
                        key,
                        f"chains.{name}.applies_to",
                        f"已定义答复审批链「{reply.name}」，依申请公开的答复只能有一条审批链",
                    )
                reply = chain
            else:
                chains[name] = chain
            broken.discard(name)
            lines[name] = key.start_mark.line + 1
            for step, snode in zip(chain.steps, step_nodes, strict=True):
                lines[f"{name}.{step.id}"] = snode.start_mark.line + 1
    default = DEFAULT_CHAIN.name
    with doc.part():
        if "default" in top:
            default = doc.text(top["default"], "default")
        if default not in chains and default not in broken:
            if default != DEFAULT_CHAIN.name:
                raise doc.fail(
                    top.get("default"),
                    "default",
                    f"默认链「{default}」未定义（已定义：{'、'.join(chains)}）",
                )
            chains[default] = DEFAULT_CHAIN
    rules: list[tuple[Rule, yaml.Node]] = []
    for i, node in enumerate(doc.sequence(top["rules"], "rules") if "rules" in top else []):
        with doc.part():
            rules.append((_rule(doc, f"rules[{i}]", node, chains, broken), node))
    for i, (rule, node) in enumerate(rules[:-1]):
        if not rule.conditional:
            doc.error(
                node,
                f"rules[{i}]",
                "此规则没有条件，选中所有信息，其后的规则永远不会被选中；"
                "请把它移到最后或改为 default",
            )
    doc.check()
    return ChainSet(
        chains=chains,
        rules=tuple(rule for rule, _ in rules),
        default=default,
        source=str(source),
        lines=lines,
        reply=reply,
    )


def _applies_to(doc: Doc, name: str, node: yaml.Node) -> str:
    """What a chain applies to: publication (the default) or reply (a request's reply)."""
    if not isinstance(node, yaml.MappingNode):
        return PUBLICATION  # _chain reports the malformed definition
    found = next((v for k, v in node.value if k.value == "applies_to"), None)
    if found is None:
        return PUBLICATION
    value = doc.text(found, f"chains.{name}.applies_to")
    if value not in (PUBLICATION, REPLY):
        raise doc.fail(
            found,
            f"chains.{name}.applies_to",
            f"未知适用对象「{value}」（可选：{PUBLICATION} 信息发布、{REPLY} 依申请公开答复）",
        )
    return value


def _chain(
    doc: Doc, name: str, node: yaml.Node, applies: str = PUBLICATION
) -> tuple[Chain, list[yaml.Node]]:
    field = f"chains.{name}"
    f = doc.mapping(node, field, {"label", "steps", "applies_to"}, stop=True)
    if "steps" not in f:
        raise doc.fail(node, f"{field}.steps", "缺少（审核链须列出环节）")
    nodes = doc.sequence(f["steps"], f"{field}.steps", stop=True)
    if not nodes:
        raise doc.wrong(f, "steps", "至少须有一个环节")
    steps: list[Step] = []
    reply = applies == REPLY
    found = len(doc.errors)
    for i, snode in enumerate(nodes):
        with doc.part():
            steps.append(_step(doc, f"{field}.steps[{i}]", snode, steps, reply=reply))
    if len(doc.errors) > found:
        raise Skip()  # the chain as a whole is not checked with a step missing
    if reply:
        published = next((i for i, s in enumerate(steps) if s.id == PUBLICATION_STEP), None)
        if published is not None:
            raise doc.fail(
                nodes[published],
                f"{field}.steps[{published}].id",
                f"答复审批链不发布信息，不能有中心发布环节（id: {PUBLICATION_STEP}）；"
                "最后一个环节即签发",
            )
    elif steps[-1].id != PUBLICATION_STEP:
        raise doc.fail(
            nodes[-1],
            f"{field}.steps[{len(steps) - 1}].id",
            f"最后一个环节须为中心发布（id: {PUBLICATION_STEP}），发布由它完成",
        )
    label = doc.text(f["label"], f"{field}.label") if "label" in f else ""
    return Chain(name=name, steps=tuple(steps), label=label), nodes


def _step(
    doc: Doc, field: str, node: yaml.Node, before: list[Step], *, reply: bool = False
) -> Step:
    f = doc.mapping(
        node,
        field,
        {"id", "label", "role", "unit", "deadline_days", "return_to", "group", "escalate_to"},
        stop=True,
    )
    for required in ("id", "label", "role"):
        if required not in f:
            raise doc.fail(node, f"{field}.{required}", "缺少")
    step_id = doc.text(f["id"], f"{field}.id")
    if not STEP_ID.match(step_id):
        raise doc.wrong(
            f, "id", "环节 id 须以小写字母开头，由小写字母、数字或 _ 组成，最长 32 个字符"
        )
    if step_id in {s.id for s in before}:
        raise doc.wrong(
            f, "id", f"环节「{step_id}」在本链中重复出现（会形成循环），每个环节只能出现一次"
        )
    role = _role(doc, f["role"], f"{field}.role")
    group = _group(doc, f"{field}.group", f["group"]) if "group" in f else None
    scope = doc.text(f["unit"], f"{field}.unit") if "unit" in f else UNIT
    if group is not None and group.members:
        if "unit" not in f:
            scope = OFFICE  # named people decide, whichever unit submitted the item
        elif scope == UNIT:
            raise doc.wrong(
                f, "unit", "指定成员的会签不随报送单位变化，请写 unit: office 或成员所在单位的代码"
            )
    if group is not None and step_id == PUBLICATION_STEP:
        raise doc.wrong(f, "group", "中心发布环节不能设为会签")
    if reply and "unit" not in f:
        scope = OFFICE  # a request is the office's: no submitting unit to follow
    elif reply and scope == UNIT:
        raise doc.wrong(
            f, "unit", "答复不属于某个报送单位：请写 unit: office 或决定此环节的单位代码"
        )
    deadline = None
    if "deadline_days" in f:
        raw = doc.text(f["deadline_days"], f"{field}.deadline_days")
        if not raw.isdigit() or int(raw) < 1:
            raise doc.wrong(f, "deadline_days", "应为正整数（工作日数）")
        deadline = int(raw)
    return_to = TO_SUBMITTER
    if "return_to" in f:
        return_to = doc.text(f["return_to"], f"{field}.return_to")
        if return_to not in (TO_SUBMITTER, TO_PREVIOUS):
            raise doc.wrong(
                f, "return_to", f"应为 {TO_SUBMITTER}（退回报送人）或 {TO_PREVIOUS}（退回上一环节）"
            )
        if return_to == TO_PREVIOUS and not before:
            raise doc.wrong(f, "return_to", "第一个环节没有上一环节，只能退回报送人")
    for unsupported in ("deadline_days", "escalate_to") if reply else ():
        if unsupported in f:
            # The step-deadlines flow watches publications only; a reply's deadline is the
            # request's own (request-deadlines). Refused rather than silently not enforced.
            raise doc.wrong(
                f,
                unsupported,
                "答复审批环节暂不支持环节期限与逾期上报；答复按申请的法定期限提醒和上报",
            )
    if reply and return_to == TO_PREVIOUS:
        raise doc.wrong(
            f, "return_to", "答复审批链的退回一律回到承办（重新承办答复稿），不能退回上一环节"
        )
    escalate_to = None
    if "escalate_to" in f:
        escalate_to = _escalation(doc, f"{field}.escalate_to", f["escalate_to"])
    return Step(
        id=step_id,
        label=doc.text(f["label"], f"{field}.label"),
        role=role,
        scope=scope,
        deadline_days=deadline,
        return_to=return_to,
        group=group,
        escalate_to=escalate_to,
    )


def _role(doc: Doc, node: yaml.Node, field: str) -> Role:
    """A role that decides (or hears of) a step; unknown roles are named with the choices."""
    role = doc.text(node, field)
    if role not in {r.value for r in DECIDING_ROLES}:
        choices = "、".join(f"{r.value}（{ROLE_LABEL[r.value]}）" for r in DECIDING_ROLES)
        raise doc.fail(node, field, f"未知角色「{role}」（可选：{choices}）")
    return Role(role)


def _escalation(doc: Doc, field: str, node: yaml.Node) -> Escalation:
    """Who hears of an overdue step: {role: R, unit: unit|office|CODE} (unit as for a step)."""
    f = doc.mapping(node, field, {"role", "unit"}, stop=True)
    if "role" not in f:
        raise doc.fail(node, f"{field}.role", "缺少（逾期时通知哪个角色，如 leader、admin）")
    role = _role(doc, f["role"], f"{field}.role")
    scope = doc.text(f["unit"], f"{field}.unit") if "unit" in f else UNIT
    return Escalation(role=role, scope=scope)


def _group(doc: Doc, field: str, node: yaml.Node) -> Group:
    """A 会签: members (usernames, or none: the role's holders), rule all/any/M, veto."""
    f = doc.mapping(node, field, {"members", "rule", "veto"}, stop=True)
    members: list[str] = []
    if "members" in f:
        for name, mnode in doc.texts(f["members"], f"{field}.members"):
            if name in members:
                raise doc.fail(mnode, f"{field}.members", f"会签成员「{name}」重复列出")
            members.append(name)
        if not members:
            raise doc.wrong(
                f,
                "members",
                "会签成员为空：请列出成员的用户名，或删去 members 由该角色的全部人员会签",
            )
    need: int | None = None
    if "rule" in f:
        raw = doc.text(f["rule"], f"{field}.rule")
        if raw == "any":
            need = 1
        elif raw != "all":
            if not raw.isdigit() or int(raw) < 1:
                raise doc.wrong(
                    f, "rule", f"未知规则「{raw}」（可选：all 全体同意、any 任一人同意、或人数 M）"
                )
            need = int(raw)
            if members and need > len(members):
                raise doc.wrong(
                    f,
                    "rule",
                    f"会签须 {need} 人同意，但只列出 {len(members)} 名成员（M 不能大于 N）",
                )
    veto = False
    if "veto" in f:
        raw = doc.text(f["veto"], f"{field}.veto").lower()
        if raw not in ("true", "false", "yes", "no"):
            raise doc.wrong(f, "veto", "应为 true（一票否决）或 false")
        veto = raw in ("true", "yes")
    return Group(members=tuple(members), need=need, veto=veto)


def _rule(
    doc: Doc, field: str, node: yaml.Node, chains: dict[str, Chain], broken: set[str]
) -> Rule:
    f = doc.mapping(
        node, field, {"chain", "category", "disclosure", "unit", "channel", "grade"}, stop=True
    )
    if "chain" not in f:
        raise doc.fail(node, f"{field}.chain", "缺少（规则须指明选用的审核链）")
    chain = doc.text(f["chain"], f"{field}.chain")
    if chain in broken:
        raise Skip()  # the chain's own error is reported
    if chain not in chains:
        raise doc.wrong(
            f, "chain", f"规则选择的审核链「{chain}」未定义（已定义：{'、'.join(chains)}）"
        )
    disclosures = []
    for value, vnode in (
        doc.texts(f["disclosure"], f"{field}.disclosure") if "disclosure" in f else []
    ):
        if value not in DISCLOSURE_BY_NAME:
            raise doc.fail(
                vnode,
                f"{field}.disclosure",
                f"未知公开属性「{value}」（可选：{'、'.join(DISCLOSURE_LABEL.values())}）",
            )
        disclosures.append(DISCLOSURE_BY_NAME[value])
    grades = []
    for value, vnode in doc.texts(f["grade"], f"{field}.grade") if "grade" in f else []:
        if value not in GRADE_BY_NAME:
            raise doc.fail(
                vnode,
                f"{field}.grade",
                f"未知信息等级「{value}」（可选：{'、'.join(GRADE_LABEL.values())}，"
                f"或 {'、'.join(GRADE_LABEL)}）",
            )
        grades.append(GRADE_BY_NAME[value])

    def values(key: str) -> frozenset[str]:
        return (
            frozenset(v for v, _ in doc.texts(f[key], f"{field}.{key}"))
            if key in f
            else frozenset()
        )

    return Rule(
        chain=chain,
        categories=values("category"),
        disclosures=frozenset(disclosures),
        units=values("unit"),
        channels=values("channel"),
        line=node.start_mark.line + 1,
        grades=frozenset(grades),
    )


def read(path: Path) -> ChainSet:
    """Parse a chains file from disk; a missing file is the built-in default chain."""
    if not path.exists():
        return BUILT_IN
    return parse(read_text(path), path)


def _at(chain_set: ChainSet, line: int) -> str:
    """The file and line an error is about (the built-in default has no line)."""
    return f"{chain_set.source}：第 {line} 行：" if line else f"{chain_set.source}："


def check_catalog(
    chain_set: ChainSet, categories: tuple[str, ...], channels: tuple[str, ...]
) -> list[str]:
    """Rules naming a category or channel the catalog does not have."""
    errors = []
    for i, rule in enumerate(chain_set.rules):
        for c in sorted(rule.categories - set(categories)):
            errors.append(
                f"{_at(chain_set, rule.line)}rules[{i}].category：内容类别「{c}」不在目录中"
            )
        for c in sorted(rule.channels - set(channels)):
            errors.append(
                f"{_at(chain_set, rule.line)}rules[{i}].channel：发布渠道「{c}」不在目录中"
            )
    return errors


def check_org(session: Session, chain_set: ChainSet) -> list[str]:
    """Every step someone in the organisation loaded now can decide: the errors, in Chinese."""
    units = {u.code: u for u in session.scalars(select(Unit))}
    submitting = sorted(
        set(
            session.scalars(
                select(Unit.code)
                .join(RoleGrant, RoleGrant.unit_id == Unit.id)
                .where(RoleGrant.role == Role.SUBMITTER)
            )
        )
    )
    errors: list[str] = []
    for i, rule in enumerate(chain_set.rules):
        for code in sorted(rule.units - set(units)):
            errors.append(f"{_at(chain_set, rule.line)}rules[{i}].unit：未知单位「{code}」")
    for name, chain in chain_set.chains.items():
        reach = _units_reaching(chain_set, name, submitting)
        for step in chain.steps:
            line = chain_set.lines.get(f"{name}.{step.id}", 0)
            where = f"{_at(chain_set, line)}chains.{name}.{step.id}"
            role = ROLE_LABEL[step.role.value]
            escalation = step.escalate_to
            if escalation is not None and escalation.named_unit not in (None, *units):
                errors.append(
                    f"{where}.escalate_to.unit：未知单位「{escalation.named_unit}」（组织架构中没有）"
                )
            if step.group is not None:
                errors += _check_group(session, step, where, units, reach)
                errors += _check_recusal(session, chain, step, where, units, reach)
                if step.group.members:
                    continue
            if step.named_unit is not None:
                unit = units.get(step.named_unit)
                if unit is None:
                    errors.append(f"{where}.unit：未知单位「{step.named_unit}」（组织架构中没有）")
                elif not org.holders(session, step.role, unit.id):
                    errors.append(f"{where}：{unit.name}目前没有{role}，{step.label}环节无人可决定")
            elif step.scope == OFFICE:
                if not org.holders(session, step.role):
                    errors.append(f"{where}：全办目前没有{role}，{step.label}环节无人可决定")
            else:
                for code in reach:
                    if code in units and not org.holders(session, step.role, units[code].id):
                        errors.append(
                            f"{where}：{units[code].name}目前没有{role}，"
                            f"该单位报送的信息在{step.label}环节无人可决定"
                        )
    if chain_set.reply is not None:
        errors += _check_reply(session, chain_set, units)
    return errors


def _check_reply(session: Session, chain_set: ChainSet, units: dict[str, Unit]) -> list[str]:
    """Every step of the reply chain has someone to decide it (a reply is the office's)."""
    chain = chain_set.reply
    errors: list[str] = []
    for step in chain.steps:
        line = chain_set.lines.get(f"{chain.name}.{step.id}", 0)
        where = f"{_at(chain_set, line)}chains.{chain.name}.{step.id}"
        role = ROLE_LABEL[step.role.value]
        if step.group is not None:
            errors += _check_group(session, step, where, units, [])
            if step.group.members:
                continue
        if step.named_unit is not None:
            unit = units.get(step.named_unit)
            if unit is None:
                errors.append(f"{where}.unit：未知单位「{step.named_unit}」（组织架构中没有）")
            elif not org.holders(session, step.role, unit.id):
                errors.append(
                    f"{where}：{unit.name}目前没有{role}，答复的{step.label}环节无人可决定"
                )
        elif not org.holders(session, step.role):
            errors.append(f"{where}：全办目前没有{role}，答复的{step.label}环节无人可决定")
    return errors


def _check_group(
    session: Session, step: Step, where: str, units: dict[str, Unit], reach: list[str]
) -> list[str]:
    """A 会签's members are people who hold the step's role, and there are at least M of them."""
    group, role = step.group, ROLE_LABEL[step.role.value]
    errors: list[str] = []
    scope_unit = units.get(step.named_unit) if step.named_unit else None
    scope_id = scope_unit.id if scope_unit else None
    if group.members:
        known = {p.username: p for p in session.scalars(select(Person))}
        for name in group.members:
            person = known.get(name)
            if person is None:
                errors.append(f"{where}.group.members：会签成员「{name}」不在组织架构中")
            elif step.named_unit is not None and scope_unit is None:
                errors.append(f"{where}.unit：未知单位「{step.named_unit}」（组织架构中没有）")
                break
            elif not org.holds(session, person.id, step.role, scope_id):
                where_held = scope_unit.name if scope_unit else "全办"
                errors.append(
                    f"{where}.group.members：会签成员「{name}」（{person.name}）"
                    f"不是{where_held}的{role}"
                )
        return errors
    if group.need is None or group.need == 1:
        return errors
    if step.named_unit is not None:
        pools = [(scope_unit.name, scope_unit.id)] if scope_unit else []
    elif step.scope == OFFICE:
        pools = [("全办", None)]
    else:
        pools = [(units[c].name, units[c].id) for c in reach if c in units]
    for name, unit_id in pools:
        count = len(org.holders(session, step.role, unit_id))
        if 0 < count < group.need:
            errors.append(
                f"{where}.group.rule：会签须 {group.need} 人同意，但{name}目前只有 {count} 名"
                f"{role}（M 不能大于 N）"
            )
    return errors


def _pool(session: Session, step: Step, unit_id: int, units: dict[str, Unit]) -> set[int]:
    """Who could decide the step for an item of this unit, before separation of duties."""
    if step.unit_scoped:
        scope: int | None = unit_id
    elif step.named_unit is not None:
        if step.named_unit not in units:
            return set()
        scope = units[step.named_unit].id
    else:
        scope = None
    holders = org.holders(session, step.role, scope)
    if step.group is not None and step.group.members:
        return {p.id for p in holders if p.username in step.group.members}
    return {p.id for p in holders}


def _check_recusal(
    session: Session,
    chain: Chain,
    step: Step,
    where: str,
    units: dict[str, Unit],
    reach: list[str],
) -> list[str]:
    """A 会签 that separation of duties could leave short of its rule stalls: refuse it now.

    For an item of each unit the chain can receive, the worst case: its submitter is a member,
    and every other step of the revision is decided by members (one each, all of a group's).
    """
    group = step.group
    required = group.need or 1
    field = "group.members" if group.members else "group.rule"
    errors: list[str] = []
    for code in reach:
        if code not in units:
            continue
        unit = units[code]
        members = _pool(session, step, unit.id, units)
        if len(members) < required:
            continue  # no one, or M > N: reported as such
        submitters = {p.id for p in org.holders(session, Role.SUBMITTER, unit.id)}
        recused = members & submitters
        bound = 1 if recused else 0
        for other in chain.steps:
            if other.id == step.id:
                continue
            overlap = members & _pool(session, other, unit.id, units)
            recused |= overlap
            bound += len(overlap) if other.group is not None else min(1, len(overlap))
        left = len(members) - min(len(recused), bound)
        if left < required:
            rule = f"会签须 {required} 人同意" if required > 1 else "会签至少须有 1 名成员"
            errors.append(
                f"{where}.{field}：{rule}，{unit.name}报送的信息有 {len(members)} 名成员可会签，"
                f"但报送人和本稿其他环节的决定人须回避，最少只剩 {left} 人，{step.label}环节会停滞"
            )
            if not step.unit_scoped:
                break  # one pool for every unit: once is enough
    return errors


def _units_reaching(chain_set: ChainSet, name: str, submitting: list[str]) -> list[str]:
    """The submitting units whose items this chain can receive."""
    rules = [r for r in chain_set.rules if r.chain == name]
    if name == chain_set.default or any(not r.units for r in rules):
        return submitting
    return sorted({u for r in rules for u in r.units} & set(submitting))


def check_file(session: Session, path: Path, catalog: object | None = None) -> ChainSet:
    """Parse a chains file and check it against the catalog and the organisation loaded now.

    Every error is reported at once (one per line of the message); nothing is loaded.
    """
    if not path.exists():
        raise ValidationError(f"{path}：文件不存在")
    chain_set = read(path)
    errors: list[str] = []
    if catalog is not None:
        errors += check_catalog(chain_set, tuple(catalog.categories), tuple(catalog.channels))
    errors += check_org(session, chain_set)
    if errors:
        raise ValidationError("\n".join(errors))
    return chain_set
