"""The procedure's rules as pure functions: which stage follows which, and who decides it."""

from __future__ import annotations

import enum

from models import Role, Stage, Status


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


def next_position(stage: Stage, outcome: Outcome) -> tuple[Status, Stage | None]:
    """Where a publication stands after `outcome` at `stage`."""
    if outcome is Outcome.REJECT:
        return Status.REJECTED, None
    if outcome is Outcome.RETURN:
        return Status.RETURNED, None
    index = STAGES.index(stage)
    if index + 1 == len(STAGES):
        return Status.PUBLISHED, None
    return Status.IN_REVIEW, STAGES[index + 1]


def event_name(stage: Stage, outcome: Outcome) -> str:
    """The Prefect event a decision emits, e.g. publication.prereview.approved."""
    if stage is Stage.PUBLICATION and outcome is Outcome.APPROVE:
        return "publication.published"
    past = {Outcome.APPROVE: "approved", Outcome.RETURN: "returned", Outcome.REJECT: "rejected"}
    if stage is Stage.SIGN_OFF and outcome is Outcome.APPROVE:
        return "publication.signed_off"
    return f"publication.{stage.value}.{past[outcome]}"
