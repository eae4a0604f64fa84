"""A chain's definition: named, ordered steps, each with who decides it; versioned by content.

The built-in default is today's procedure, 初审 → 审签 → 中心发布, with the same step ids,
roles and labels, so an office that configures nothing sees no change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from models import Role

# Who decides a step: the role's holders for the submitting unit, for one named unit, or anyone
# in the office holding the role.
UNIT = "unit"
OFFICE = "office"
# Where a return from a step goes.
TO_SUBMITTER = "submitter"
TO_PREVIOUS = "previous"
# The step that publishes: the center console and the channel records look for this id.
PUBLICATION_STEP = "publication"
# What a chain applies to (the chains file's `applies_to`): a publication, or a request's reply.
PUBLICATION = "publication"
REPLY = "reply"


@dataclass(frozen=True)
class Group:
    """会签: several people decide one step; `need` approvals complete it (None: all of them).

    The members are the usernames listed, or (none listed) everyone holding the step's role in
    its scope. With `veto`, one return or rejection ends the step with that outcome; without it,
    the step ends so only once the approvals still possible fall short of `need`.
    """

    members: tuple[str, ...] = ()
    need: int | None = None  # None: all; 1: any one
    veto: bool = False

    @property
    def rule(self) -> str:
        """The rule as the chains file writes it: all, any, or the number M."""
        return "all" if self.need is None else "any" if self.need == 1 else str(self.need)

    def to_dict(self) -> dict:
        """Plain data, as the ledger records it."""
        return {"members": list(self.members), "need": self.need, "veto": self.veto}

    @classmethod
    def from_dict(cls, data: dict) -> Group:
        """The group as the ledger recorded it."""
        return cls(tuple(data.get("members") or ()), data.get("need"), bool(data.get("veto")))


@dataclass(frozen=True)
class Escalation:
    """Who hears that a step's deadline passed: a role's holders, scoped as a step's deciders are.

    Without one, a step escalates as it always has: to the 分管领导 of the submitting unit (and of
    the unit the step names), else the administrators (`chains.deadlines.escalation_to`).
    """

    role: Role
    scope: str = UNIT  # UNIT (the submitting unit), OFFICE, or a unit code

    @property
    def named_unit(self) -> str | None:
        """The code of the one unit whose role holders hear, if it names one."""
        return None if self.scope in (UNIT, OFFICE) else self.scope

    def to_dict(self) -> dict:
        """Plain data, as the ledger records it."""
        return {"role": self.role.value, "scope": self.scope}

    @classmethod
    def from_dict(cls, data: dict) -> Escalation:
        """The escalation as the ledger recorded it."""
        return cls(Role(data["role"]), data.get("scope", UNIT))


@dataclass(frozen=True)
class Step:
    """One step of a chain."""

    id: str
    label: str
    role: Role
    # UNIT (the submitting unit), OFFICE (anyone holding the role), or a unit code.
    scope: str = UNIT
    deadline_days: int | None = None  # working days
    return_to: str = TO_SUBMITTER
    group: Group | None = None  # 会签
    escalate_to: Escalation | None = None  # None: the unit's 分管领导, else the administrators

    @property
    def unit_scoped(self) -> bool:
        """Decided by the role's holders for the submitting unit."""
        return self.scope == UNIT

    @property
    def named_unit(self) -> str | None:
        """The code of the one unit whose role holders decide, if the step names one."""
        return None if self.scope in (UNIT, OFFICE) else self.scope

    def to_dict(self) -> dict:
        """Plain data, as the ledger records it."""
        out = asdict(self)
        out["role"] = self.role.value
        # A step without 会签 (or escalation) is written as before: existing chains keep their
        # version.
        for name, part in (("group", self.group), ("escalate_to", self.escalate_to)):
            if part is None:
                del out[name]
            else:
                out[name] = part.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Step:
        """The step as the ledger recorded it."""
        return cls(
            id=data["id"],
            label=data["label"],
            role=Role(data["role"]),
            scope=data.get("scope", UNIT),
            deadline_days=data.get("deadline_days"),
            return_to=data.get("return_to", TO_SUBMITTER),
            group=Group.from_dict(data["group"]) if data.get("group") else None,
            escalate_to=(
                Escalation.from_dict(data["escalate_to"]) if data.get("escalate_to") else None
            ),
        )


@dataclass(frozen=True)
class Chain:
    """A named, ordered list of steps."""

    name: str
    steps: tuple[Step, ...]
    label: str = ""

    @property
    def version(self) -> str:
        """The definition's content hash: what an item in flight is bound to."""
        canonical = json.dumps(
            {"name": self.name, "steps": [s.to_dict() for s in self.steps]},
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def first(self) -> Step:
        """Where review starts (and starts again after a resubmission)."""
        return self.steps[0]

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError when the chain has none)."""
        for s in self.steps:
            if s.id == str(step_id):
                return s
        raise KeyError(step_id)

    def index(self, step_id: str) -> int:
        """The step's position in the chain."""
        return [s.id for s in self.steps].index(str(step_id))

    def has(self, step_id: str | None) -> bool:
        """Whether the chain has this step."""
        return step_id is not None and any(s.id == str(step_id) for s in self.steps)

    def label_of(self, step_id: str) -> str:
        """The step's Chinese label (the id itself for a step the chain lacks)."""
        return self.step(step_id).label if self.has(step_id) else str(step_id)

    def to_dict(self) -> dict:
        """Plain data, as the ledger records it at submission: name, version and steps."""
        return {
            "name": self.name,
            "label": self.label,
            "version": self.version,
            "steps": [s.to_dict() for s in self.steps],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Chain:
        """The chain as the ledger recorded it."""
        return cls(
            name=data["name"],
            steps=tuple(Step.from_dict(s) for s in data["steps"]),
            label=data.get("label", ""),
        )


@dataclass(frozen=True)
class Rule:
    """Items matching every condition given get `chain`; an empty condition matches all."""

    chain: str
    categories: frozenset[str] = frozenset()
    disclosures: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    line: int = 0  # where the rule is written, for messages
    grades: frozenset[str] = frozenset()  # 信息等级 (Grade values)

    @property
    def conditional(self) -> bool:
        """Whether the rule has any condition (one without selects every item)."""
        conditions = (self.categories, self.disclosures, self.units, self.channels, self.grades)
        return any(conditions)


@dataclass(frozen=True)
class ChainSet:
    """Every chain the office defined, the rules choosing one, and the default."""

    chains: dict[str, Chain]
    rules: tuple[Rule, ...] = ()
    default: str = "default"
    source: str = "（内置默认）"
    lines: dict[str, int] = field(default_factory=dict)  # chain name → line, for messages
    # The chain a disclosure request's reply goes through (`applies_to: reply`); None: the file
    # declares none, and replies go through DEFAULT_REPLY_CHAIN.
    reply: Chain | None = None

    @property
    def default_chain(self) -> Chain:
        """The chain an item gets when no rule matches."""
        return self.chains[self.default]

    @property
    def reply_chain(self) -> Chain:
        """The chain a new reply draft goes through."""
        return self.reply or DEFAULT_REPLY_CHAIN


DEFAULT_CHAIN = Chain(
    name="default",
    label="初审 → 审签 → 中心发布",
    steps=(
        Step("prereview", "初审", Role.SECTION_HEAD, UNIT),
        Step("signoff", "审签", Role.LEADER, UNIT),
        Step(PUBLICATION_STEP, "中心发布", Role.CENTER, OFFICE),
    ),
)
BUILT_IN = ChainSet(chains={DEFAULT_CHAIN.name: DEFAULT_CHAIN})
# The reply to a disclosure request: 承办 drafts (the draft is the reply's "submission"), then
# 审核 by the center, then 签发 by a 分管领导 — anyone in the office holding the role.
DEFAULT_REPLY_CHAIN = Chain(
    name="reply",
    label="承办 → 审核 → 签发",
    steps=(
        Step("review", "审核", Role.CENTER, OFFICE),
        Step("sign", "签发", Role.LEADER, OFFICE),
    ),
)
