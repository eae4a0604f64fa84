"""Who may decide the step an item waits on now — the one place this rule lives.

`decide` refuses with `refusal()`, and the notification recipients, the queues, the review page
and `status` all ask `eligible()`, so nobody is told to decide a step they would be refused.
The rule: the person holds the step's role (for the submitting unit where the step is unit-
scoped, for the unit the step names, or anywhere in the office), did not submit the item, and
has not decided another step of the same revision. The steps are those of the item's own chain.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Person, Publication, Stage, Status, Unit
from models.publication import StepId, step_id
from pubreview.accounts import org
from pubreview.chains.binding import chain_of
from pubreview.chains.definitions import Step
from pubreview.labels import ROLE_LABEL

__all__ = ["ROLE_LABEL", "eligible", "refusal", "step_scope", "steps_held"]

# No unit has this id: a step naming a unit that no longer exists has nobody to decide it.
_NO_UNIT = -1


def step_scope(session: Session, pub: Publication, step: Step) -> int | None:
    """The unit whose role holders decide the step for this item (None: anyone in the office)."""
    if step.unit_scoped:
        return pub.unit_id
    if step.named_unit is None:
        return None
    unit = session.scalars(select(Unit.id).where(Unit.code == step.named_unit)).first()
    return _NO_UNIT if unit is None else unit


def _decided_other_steps(session: Session, pub: Publication, stage: str) -> set[str]:
    """Usernames that already decided another step of the item's current revision.

    The same step decided again (after a return to it from the next step) is not another step.
    """
    return set(
        session.scalars(
            select(LedgerEntry.actor).where(
                LedgerEntry.publication_id == pub.id,
                LedgerEntry.revision == pub.current_revision,
                LedgerEntry.kind == LedgerKind.DECIDED,
                LedgerEntry.stage != str(stage),
            )
        )
    )


def eligible(session: Session, pub: Publication) -> list[Person]:
    """The people who may decide the step the item waits on now (the submitter when returned)."""
    if pub.status is Status.RETURNED:
        return [session.get(Person, pub.submitter_id)]
    if pub.status is not Status.IN_REVIEW:
        return []
    step = chain_of(session, pub).step(pub.stage)
    decided = _decided_other_steps(session, pub, step.id)
    return [
        p
        for p in org.holders(session, step.role, step_scope(session, pub, step))
        if p.id != pub.submitter_id and p.username not in decided
    ]


def steps_held(session: Session, pub: Publication, person: Person) -> list[Stage | StepId]:
    """The steps of this item's chain whose role the person holds (for its unit where scoped)."""
    return [
        step_id(step.id)
        for step in chain_of(session, pub).steps
        if org.holds(session, person.id, step.role, step_scope(session, pub, step))
    ]


def refusal(session: Session, pub: Publication, person: Person) -> str | None:
    """Why this person may not decide the open step, in words for them; None when they may."""
    step = chain_of(session, pub).step(pub.stage)
    label = step.label
    scope = step_scope(session, pub, step)
    if not org.holds(session, person.id, step.role, scope):
        role = ROLE_LABEL[step.role.value]
        unit = session.get(Unit, scope) if scope not in (None, _NO_UNIT) else None
        where = f"{unit.name}的" if unit is not None else ""
        if scope == _NO_UNIT:
            where = f"单位「{step.named_unit}」的"
        who = f"{person.name}（{person.username}）"
        return f"{who}不是{where}{role}，第 {pub.id} 号信息的{label}不由您决定"
    if person.id == pub.submitter_id:
        who = f"{person.name}（{person.username}）"
        return f"{who}是第 {pub.id} 号信息的报送人，不能审核自己报送的信息"
    if person.username in _decided_other_steps(session, pub, step.id):
        return f"您已决定过本稿的另一个环节，{label}须由另一人决定"
    return None
