"""改派: an administrator gives a waiting step to another person who may decide it, with a reason.

The reassignment is a ledger entry at the step (who did it, to whom, why); from then until the
step is decided only that person (or their delegate in force) may decide it — the rule is in
`deciders`. At a 会签 step one member's seat for the current round moves to another person
(`seat`): the member is out of the round, the new person in, and nobody counts twice. The
item does not move: the review run keeps waiting on the same step, and the caller tells the
new person after commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Publication, Status
from pubreview import ledger
from pubreview.accounts import org
from pubreview.chains.binding import chain_of
from pubreview.chains.definitions import Step
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.labels import STATUS_LABEL
from pubreview.review import deciders, entries
from pubreview.review.submission import get


@dataclass(frozen=True)
class Reassigned:
    """What `reassign` recorded."""

    publication_id: int
    revision: int
    stage: str
    to: str
    previous: str | None  # whom the step was reassigned to before, if it was
    entry_id: int
    seat: str | None  # 会签: the member whose seat moved
    message: str

    def to_dict(self) -> dict:
        """Plain data for --json."""
        return dict(self.__dict__)


def reassign(
    session: Session,
    pub_id: int,
    *,
    to: str,
    reason: str,
    actor: str,
    via: str | None = None,
    seat: str | None = None,
) -> Reassigned:
    """Give the step the item waits on to `to` (caller commits); refused unless they may decide.

    `via`: where the administrator did it, cli or web-session, recorded as a decision's is
    (None: not said, as in entries older than it). `seat`: at a 会签 step, the member whose
    place in the current round `to` takes.
    """
    if not (reason or "").strip():
        raise ValidationError("改派须填写理由", field="reason")
    pub = get(session, pub_id, for_update=True)
    if pub.status is not Status.IN_REVIEW:
        raise DecisionRefused(
            f"第 {pub.id} 号信息当前状态为「{STATUS_LABEL[pub.status]}」，没有待决定的环节可改派"
        )
    step = chain_of(session, pub).step(pub.stage)
    if step.group is not None:
        return _move_seat(session, pub, step, to=to, seat=seat, reason=reason, actor=actor, via=via)
    if seat is not None:
        raise ValidationError(f"{step.label}不是会签环节，无需指明会签成员", field="seat")
    person = org.person(session, to)
    before = deciders.assignment(session, pub)
    previous = entries.Reassigned.from_payload(before.payload).to if before is not None else None
    if previous == person.username:
        raise DecisionRefused(f"{step.label}已改派给 {person.username}，无需再改派")
    # Whoever may decide the step by the rule, leaving aside a reassignment already in force.
    may = {p.username for p in deciders.eligible(session, pub, honour_assignment=False)}
    refused = None
    if person.username not in may:
        refused = deciders.refusal(session, pub, person, honour_assignment=False) or (
            f"{person.name}（{person.username}）不能决定{step.label}环节"
        )
    if refused:
        raise DecisionRefused(f"不能改派给 {person.name}（{person.username}）：{refused}")
    entry = _append(
        session, pub, step, actor, reason, entries.Reassigned(person.username, previous, via=via)
    )
    return Reassigned(
        publication_id=pub.id,
        revision=pub.current_revision,
        stage=step.id,
        to=person.username,
        previous=previous,
        entry_id=entry.id,
        seat=None,
        message=(
            f"已改派：第 {pub.id} 号信息第 {pub.current_revision} 稿的{step.label}"
            f"改由 {person.name}（{person.username}）决定（台帐第 {entry.id} 条）"
        ),
    )


def _move_seat(
    session: Session,
    pub: Publication,
    step: Step,
    *,
    to: str,
    seat: str | None,
    reason: str,
    actor: str,
    via: str | None,
) -> Reassigned:
    """会签: `seat`'s place in the current round goes to `to`, if `deciders` allows it."""
    if not seat:
        raise ValidationError(
            f"{step.label}是会签环节：请指明把哪位成员的席位改派给 {to}", field="seat"
        )
    member, person = org.person(session, seat), org.person(session, to)
    refused = deciders.seat_refusal(session, pub, step, member, person)
    if refused:
        raise DecisionRefused(
            f"不能把 {member.name}（{member.username}）的会签席位改派给 "
            f"{person.name}（{person.username}）：{refused}"
        )
    entry = _append(
        session,
        pub,
        step,
        actor,
        reason,
        entries.Reassigned(person.username, None, via=via, seat=member.username),
    )
    return Reassigned(
        publication_id=pub.id,
        revision=pub.current_revision,
        stage=step.id,
        to=person.username,
        previous=None,
        entry_id=entry.id,
        seat=member.username,
        message=(
            f"已改派：第 {pub.id} 号信息第 {pub.current_revision} 稿的{step.label}中"
            f" {member.name}（{member.username}）的会签席位改由 {person.name}"
            f"（{person.username}）担任（台帐第 {entry.id} 条）"
        ),
    )


def _append(
    session: Session,
    pub: Publication,
    step: Step,
    actor: str,
    reason: str,
    payload: entries.Reassigned,
) -> LedgerEntry:
    """The REASSIGNED entry of the item's waiting step, its reason as the comment."""
    return ledger.append(
        session,
        kind=LedgerKind.REASSIGNED,
        publication_id=pub.id,
        revision=pub.current_revision,
        stage=step.id,
        actor=actor,
        comment=reason.strip(),
        payload=payload.to_payload(),
    )
