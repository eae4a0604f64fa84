"""Who may decide the step an item waits on now — the one place this rule lives.

`decide` refuses with `refusal()`, and the notification recipients, the queues, the review page
and `status` all ask `eligible()`, so nobody is told to decide a step they would be refused.
The rule: the person holds the step's role (for the submitting unit where the step is unit-
scoped, for the unit the step names, or anywhere in the office), did not submit the item, and
has not decided another step of the same revision. The steps are those of the item's own chain.
代签: a delegate in force may decide a step its delegator could decide now; the rule then holds
for both of them (neither submitted the item, neither decided another step of the revision).
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
from pubreview.review import delegation

__all__ = ["ROLE_LABEL", "acting_for", "eligible", "refusal", "step_scope", "steps_held"]

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
    rows = session.execute(
        select(LedgerEntry.actor, LedgerEntry.payload).where(
            LedgerEntry.publication_id == pub.id,
            LedgerEntry.revision == pub.current_revision,
            LedgerEntry.kind == LedgerKind.DECIDED,
            LedgerEntry.stage != str(stage),
        )
    ).all()
    # A decision taken by delegation counts for the delegate and for the one signed for.
    return {r.actor for r in rows} | {
        (r.payload or {}).get("acting_for") for r in rows if (r.payload or {}).get("acting_for")
    }


def _delegators(session: Session, pub: Publication, step: Step, person: Person) -> list[Person]:
    """Whom the person may sign for at this step now: delegators in force who hold its role."""
    scope = step_scope(session, pub, step)
    return [
        giver
        for d in delegation.held_by(session, person.username)
        if d.active()
        and d.covers(step.role)
        and org.holds(session, (giver := org.person(session, d.delegator)).id, step.role, scope)
    ]


def _clear(pub: Publication, person: Person, decided: set[str]) -> bool:
    """Separation of duties for one person: not the submitter, no other step decided."""
    return person.id != pub.submitter_id and person.username not in decided


def acting_for(session: Session, pub: Publication, person: Person) -> Person | None:
    """The person signed for when this person decides the open step by delegation (代签).

    None when they decide in their own right (or may not decide at all).
    """
    step = chain_of(session, pub).step(pub.stage)
    if org.holds(session, person.id, step.role, step_scope(session, pub, step)):
        return None
    decided = _decided_other_steps(session, pub, step.id)
    return next(
        (g for g in _delegators(session, pub, step, person) if _clear(pub, g, decided)), None
    )


def eligible(session: Session, pub: Publication) -> list[Person]:
    """The people who may decide the step the item waits on now (the submitter when returned)."""
    if pub.status is Status.RETURNED:
        return [session.get(Person, pub.submitter_id)]
    if pub.status is not Status.IN_REVIEW:
        return []
    step = chain_of(session, pub).step(pub.stage)
    decided = _decided_other_steps(session, pub, step.id)
    holders = [
        p
        for p in org.holders(session, step.role, step_scope(session, pub, step))
        if _clear(pub, p, decided)
    ]
    # Delegates in force of a holder who may decide, themselves clear of the item.
    names = {p.username for p in holders}
    delegates = [
        org.person(session, d.delegate)
        for d in delegation.delegations(session)
        if d.active() and d.covers(step.role) and d.delegator in names and d.delegate not in names
    ]
    extra = {p.username: p for p in delegates if _clear(pub, p, decided)}
    return holders + [extra[u] for u in sorted(extra)]


def steps_held(session: Session, pub: Publication, person: Person) -> list[Stage | StepId]:
    """The steps of this item's chain whose role the person holds (for its unit where scoped)."""
    return [
        step_id(step.id)
        for step in chain_of(session, pub).steps
        if org.holds(session, person.id, step.role, step_scope(session, pub, step))
        or _delegators(session, pub, step, person)
    ]


def refusal(session: Session, pub: Publication, person: Person) -> str | None:
    """Why this person may not decide the open step, in words for them; None when they may."""
    step = chain_of(session, pub).step(pub.stage)
    label = step.label
    scope = step_scope(session, pub, step)
    who = f"{person.name}（{person.username}）"
    if not org.holds(session, person.id, step.role, scope):
        givers = _delegators(session, pub, step, person)
        if givers:
            return _delegated_refusal(session, pub, person, givers, label)
        lapsed = [
            d
            for d in delegation.held_by(session, person.username)
            if d.covers(step.role) and not d.active()
        ]
        if lapsed:
            d = lapsed[0]
            lapse = d.why_not()
            return f"{who}受 {d.delegator} 委托的代签{lapse}，第 {pub.id} 号信息的{label}不能代签"
        role = ROLE_LABEL[step.role.value]
        unit = session.get(Unit, scope) if scope not in (None, _NO_UNIT) else None
        where = f"{unit.name}的" if unit is not None else ""
        if scope == _NO_UNIT:
            where = f"单位「{step.named_unit}」的"
        return f"{who}不是{where}{role}，第 {pub.id} 号信息的{label}不由您决定"
    if person.id == pub.submitter_id:
        return f"{who}是第 {pub.id} 号信息的报送人，不能审核自己报送的信息"
    if person.username in _decided_other_steps(session, pub, step.id):
        return f"您已决定过本稿的另一个环节，{label}须由另一人决定"
    return None


def _delegated_refusal(
    session: Session, pub: Publication, person: Person, givers: list[Person], label: str
) -> str | None:
    """Separation of duties for a decision by delegation: it must hold for both people."""
    decided = _decided_other_steps(session, pub, str(pub.stage))
    if not _clear(pub, person, decided):
        if person.id == pub.submitter_id:
            return f"{person.name}（{person.username}）是第 {pub.id} 号信息的报送人，不能代签"
        return f"您已决定过本稿的另一个环节，{label}须由另一人决定（代签亦然）"
    if not any(_clear(pub, g, decided) for g in givers):
        names = "、".join(f"{g.name}（{g.username}）" for g in givers)
        return f"委托人{names}已决定过本稿的另一个环节或是报送人，{label}不能由其代签"
    return None
