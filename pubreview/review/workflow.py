"""The procedure's rules as pure functions: which step follows which in an item's chain.

Each function takes the item's chain (`pubreview.chains.binding.chain_of`); without one it is
the built-in default, 初审 → 审签 → 中心发布, which the module-level constants below describe.
"""

from __future__ import annotations

import enum

from models import Role, Stage, Status
from models.publication import StepId, step_id
from pubreview.chains.definitions import DEFAULT_CHAIN, PUBLICATION_STEP, TO_PREVIOUS, Chain


class Outcome(enum.StrEnum):
    """What a reviewer decides at a stage."""

    APPROVE = "approve"
    RETURN = "return"  # back to the submitter for revision (退回修改)
    REJECT = "reject"


# Stage order: 初审 → 审签 → 中心发布.
STAGES: tuple[Stage, ...] = (Stage.PRE_REVIEW, Stage.SIGN_OFF, Stage.PUBLICATION)

# Who decides each stage. Pre-review and sign-off are per unit; the center decides for all.
STAGE_ROLE: dict[Stage, Role] = {
    Stage.PRE_REVIEW: Role.SECTION_HEAD,
    Stage.SIGN_OFF: Role.LEADER,
    Stage.PUBLICATION: Role.CENTER,
}
UNIT_SCOPED: frozenset[Stage] = frozenset({Stage.PRE_REVIEW, Stage.SIGN_OFF})


TERMINAL: frozenset[Status] = frozenset(
    {Status.REJECTED, Status.PUBLISHED, Status.RETRACTED, Status.WITHDRAWN}
)
# Items the review flow still has work for.
OPEN: frozenset[Status] = frozenset({Status.IN_REVIEW, Status.RETURNED, Status.SCHEDULED})


def next_position(
    stage: Stage | str, outcome: Outcome, chain: Chain = DEFAULT_CHAIN
) -> tuple[Status, Stage | StepId | None]:
    """Where a publication stands after `outcome` at `stage` of its chain."""
    if outcome is Outcome.REJECT:
        return Status.REJECTED, None
    index = chain.index(stage)
    if outcome is Outcome.RETURN:
        if chain.steps[index].return_to == TO_PREVIOUS and index > 0:
            return Status.IN_REVIEW, step_id(chain.steps[index - 1].id)
        return Status.RETURNED, None
    if index + 1 == len(chain.steps):
        return Status.PUBLISHED, None
    return Status.IN_REVIEW, step_id(chain.steps[index + 1].id)


def event_name(stage: Stage | str, outcome: Outcome, chain: Chain = DEFAULT_CHAIN) -> str:
    """The Prefect event a decision emits, e.g. publication.prereview.approved."""
    if str(stage) == PUBLICATION_STEP and outcome is Outcome.APPROVE:
        return "publication.published"
    past = {Outcome.APPROVE: "approved", Outcome.RETURN: "returned", Outcome.REJECT: "rejected"}
    if str(stage) == Stage.SIGN_OFF.value and outcome is Outcome.APPROVE:
        return "publication.signed_off"
    return f"publication.{step_id(str(stage)).value}.{past[outcome]}"


def screens(stage: Stage | str | None, chain: Chain = DEFAULT_CHAIN) -> bool:
    """Whether the step carries 初审's duties: the no-secrets attestation and the screening."""
    return stage is not None and str(stage) == chain.first.id


def publishes(stage: Stage | str | None) -> bool:
    """Whether the step is 中心发布: its approval publishes (URLs, 定时发布, 公开属性)."""
    return stage is not None and str(stage) == PUBLICATION_STEP
