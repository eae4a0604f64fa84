"""Who may decide the step an item waits on now — the one place this rule lives.

`decide` refuses with `refusal()`, and the notification recipients, the queues, the review page
and `status` all ask `eligible()`, so nobody is told to decide a step they would be refused.
The rule: the person holds the step's role (for the submitting unit where the step is unit-
scoped, the center for publication), did not submit the item, and has not decided another
step of the same revision.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Person, Publication, Stage, Status, Unit
from pubreview.accounts import org
from pubreview.labels import STAGE_LABEL
from pubreview.review.workflow import STAGE_ROLE, STAGES, UNIT_SCOPED

ROLE_LABEL = {
    "submitter": "报送人",
    "section_head": "科室负责人",
    "leader": "分管领导",
    "center": "中心发布人员",
    "admin": "管理员",
}


def _decided_this_revision(session: Session, pub: Publication) -> set[str]:
    """Usernames that already decided a step of the item's current revision."""
    return set(
        session.scalars(
            select(LedgerEntry.actor).where(
                LedgerEntry.publication_id == pub.id,
                LedgerEntry.revision == pub.current_revision,
                LedgerEntry.kind == LedgerKind.DECIDED,
            )
        )
    )


def eligible(session: Session, pub: Publication) -> list[Person]:
    """The people who may decide the step the item waits on now (the submitter when returned)."""
    if pub.status is Status.RETURNED:
        return [session.get(Person, pub.submitter_id)]
    if pub.status is not Status.IN_REVIEW:
        return []
    scope = pub.unit_id if pub.stage in UNIT_SCOPED else None
    decided = _decided_this_revision(session, pub)
    return [
        p
        for p in org.holders(session, STAGE_ROLE[pub.stage], scope)
        if p.id != pub.submitter_id and p.username not in decided
    ]


def steps_held(session: Session, pub: Publication, person: Person) -> list[Stage]:
    """The steps of this item's chain whose role the person holds (for its unit where scoped)."""
    return [
        stage
        for stage in STAGES
        if org.holds(
            session, person.id, STAGE_ROLE[stage], pub.unit_id if stage in UNIT_SCOPED else None
        )
    ]


def refusal(session: Session, pub: Publication, person: Person) -> str | None:
    """Why this person may not decide the open step, in words for them; None when they may."""
    stage = pub.stage
    label = STAGE_LABEL[stage]
    scope = pub.unit_id if stage in UNIT_SCOPED else None
    if not org.holds(session, person.id, STAGE_ROLE[stage], scope):
        role = ROLE_LABEL[STAGE_ROLE[stage].value]
        where = f"{session.get(Unit, pub.unit_id).name}的" if scope is not None else ""
        who = f"{person.name}（{person.username}）"
        return f"{who}不是{where}{role}，第 {pub.id} 号信息的{label}不由您决定"
    if person.id == pub.submitter_id:
        who = f"{person.name}（{person.username}）"
        return f"{who}是第 {pub.id} 号信息的报送人，不能审核自己报送的信息"
    if person.username in _decided_this_revision(session, pub):
        return f"您已决定过本稿的另一个环节，{label}须由另一人决定"
    return None
