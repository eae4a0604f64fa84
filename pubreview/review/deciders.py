"""Who may decide the step an item waits on now — the one place this rule lives.

`decide` refuses with `refusal()`, and the notification recipients, the queues, the review page
and `status` all ask `eligible()`, so nobody is told to decide a step they would be refused.
The rule: the person holds the step's role (for the submitting unit where the step is unit-
scoped, for the unit the step names, or anywhere in the office), did not submit the item, and
has not decided another step of the same revision. The steps are those of the item's own chain.
代签: a delegate in force may decide a step its delegator could decide now; the rule then holds
for both of them (neither submitted the item, neither decided another step of the revision).
会签: a group step is decided by each of its members (the usernames the step lists, or every
holder of its role in scope); a member counts once per round, whether they decided themselves
or their delegate did, and a person decides once per round whoever they decide for.
改派: a waiting single-person step an administrator reassigned to one eligible person is theirs
(and their delegates') alone until it is decided; the rule above still holds for them. In a 会签
an administrator moves one member's seat for the round to a person who holds the step's role in
scope and is not a member already (`seat_refusal`); the member is then out, the new person in.
The thing decided is a `chains.subject.Subject`: a publication (the functions take one as it is)
or a disclosure request's reply, whose drafter stands where a publication's submitter does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    LedgerEntry,
    LedgerKind,
    Person,
    Publication,
    Role,
    RoleGrant,
    Stage,
    Status,
    Unit,
)
from models.publication import StepId, step_id
from pubreview.accounts import org
from pubreview.chains import countersign
from pubreview.chains.binding import chain_of, chains_of
from pubreview.chains.definitions import Step
from pubreview.chains.subject import PublicationSubject, Subject, subject
from pubreview.labels import ROLE_LABEL
from pubreview.review import delegation, entries

__all__ = [
    "ROLE_LABEL",
    "acting_for",
    "eligible",
    "eligible_all",
    "group_members",
    "refusal",
    "round_votes",
    "seat_refusal",
    "step_scope",
    "steps_held",
    "waiting_on",
]

# No unit has this id: a step naming a unit that no longer exists has nobody to decide it.
_NO_UNIT = -1
# Item ids per IN (…) list when reading many items' entries (SQLite's bound-parameter limit).
_CHUNK = 500


def step_scope(session: Session, pub: Publication | Subject, step: Step) -> int | None:
    """The unit whose role holders decide the step for this item (None: anyone in the office)."""
    if step.unit_scoped:
        return pub.unit_id
    if step.named_unit is None:
        return None
    unit = session.scalars(select(Unit.id).where(Unit.code == step.named_unit)).first()
    return _NO_UNIT if unit is None else unit


def _decided_other_steps(session: Session, pub: Subject, stage: str) -> set[str]:
    """Usernames that already decided another step of the item's current revision.

    The same step decided again (after a return to it from the next step) is not another step.
    """
    rows = [e for e in pub.decisions(session) if e.stage is not None and e.stage != str(stage)]
    # A decision taken by delegation counts for the delegate and for the one signed for.
    return {r.actor for r in rows} | {n for r in rows if (n := _signed_for(r.payload))}


def _signed_for(payload: dict | None) -> str | None:
    """Whom a decision was taken for under 代签 (None: the decider themself)."""
    return entries.Decided.from_payload(payload or {}).acting_for


@dataclass(frozen=True)
class Seats:
    """会签 seats moved by 改派 in the step's current round: who gave theirs up, who took one."""

    given: dict[str, LedgerEntry] = field(default_factory=dict)  # member → the entry moving it
    taken: frozenset[str] = frozenset()


NO_SEATS = Seats()


def _seats_from(reassigned: list[LedgerEntry], decided: list[LedgerEntry], step: Step) -> Seats:
    """The seats moved at this step since its last settled round (entries oldest first)."""
    if step.group is None:
        return NO_SEATS
    settled = [e.id for e in decided if e.stage == step.id and countersign.settles(e)]
    after = max(settled, default=0)
    given: dict[str, LedgerEntry] = {}
    taken: set[str] = set()
    for e in reassigned:
        moved = entries.Reassigned.from_payload(e.payload or {})
        if e.stage != step.id or e.id < after or moved.seat is None:
            continue
        # A seat passed on again leaves its first owner out; one given back restores them.
        if moved.seat in taken:
            taken.discard(moved.seat)
        else:
            given[moved.seat] = e
        if moved.to in given:
            del given[moved.to]
        else:
            taken.add(moved.to)
    return Seats(given, frozenset(taken))


def _seats(session: Session, pub: Subject, step: Step) -> Seats:
    """The seats moved in the current round of the step (a publication's 会签 only)."""
    if step.group is None or not isinstance(pub, PublicationSubject):
        return NO_SEATS
    reassigned = session.scalars(
        select(LedgerEntry)
        .where(
            LedgerEntry.publication_id == pub.id,
            LedgerEntry.revision == pub.current_revision,
            LedgerEntry.kind == LedgerKind.REASSIGNED,
            LedgerEntry.stage == step.id,
        )
        .order_by(LedgerEntry.id)
    ).all()
    return _seats_from(list(reassigned), pub.decisions(session), step) if reassigned else NO_SEATS


def _in_group(step: Step, username: str, seats: Seats = NO_SEATS) -> bool:
    """Whether the step's 会签 (if it names its members) counts this person, seats moved aside."""
    if username in seats.taken:
        return True
    if username in seats.given:
        return False
    return step.group is None or not step.group.members or username in step.group.members


def _holds_step(session: Session, pub: Subject, step: Step, person: Person) -> bool:
    """Whether the person decides the step in their own right: its role in scope, a member."""
    return _in_group(step, person.username, _seats(session, pub, step)) and org.holds(
        session, person.id, step.role, step_scope(session, pub, step)
    )


def round_votes(session: Session, pub: Publication | Subject, step: Step) -> list[LedgerEntry]:
    """The decisions of the current round of a 会签 step (empty for a single-person step)."""
    if step.group is None:
        return []
    decided = subject(pub).decisions(session)
    return countersign.current_round(decided, step.id)[1]


def _used(votes: list[LedgerEntry]) -> set[str]:
    """Who has had their say in this round: the deciders and the members they counted for."""
    return {e.actor for e in votes} | {countersign.counted(e) for e in votes}


def group_members(session: Session, pub: Publication | Subject, step: Step) -> list[Person]:
    """The members of a 会签 step for this item: those in scope whom separation of duties allows."""
    pub = subject(pub)
    decided = _decided_other_steps(session, pub, step.id)
    seats = _seats(session, pub, step)
    return [
        p
        for p in org.holders(session, step.role, step_scope(session, pub, step))
        if _in_group(step, p.username, seats) and _clear(pub, p, decided)
    ]


def seat_refusal(
    session: Session, pub: Publication | Subject, step: Step, member: Person, to: Person
) -> str | None:
    """Why `to` may not take `member`'s seat in the 会签 round now (None: they may).

    The member must still be to decide; the new person must hold the step's role in its scope,
    be clear of the item (separation of duties) and not be a member already: nobody counts twice.
    """
    pub = subject(pub)
    label, who = step.label, f"{to.name}（{to.username}）"
    members = {p.username for p in group_members(session, pub, step)}
    used = _used(round_votes(session, pub, step))
    if member.username not in members:
        return f"{member.name}（{member.username}）不在{label}本轮会签的成员之列"
    if member.username in used:
        return f"{member.name}（{member.username}）已在{label}本轮会签中决定过，其席位不能再改派"
    if to.username in members or to.username in used:
        return f"{who}已是{label}本轮会签的成员，每人只计一次，不能再占一个席位"
    scope = step_scope(session, pub, step)
    if not org.holds(session, to.id, step.role, scope):
        unit = session.get(Unit, scope) if scope not in (None, _NO_UNIT) else None
        return f"{who}不是{unit.name + '的' if unit else ''}{ROLE_LABEL[step.role.value]}"
    if to.id == pub.submitter_id:
        return pub.own_work_refusal(who, label)
    if to.username in _decided_other_steps(session, pub, step.id):
        return f"{who}已决定过本稿的另一个环节，不能再会签{label}"
    return None


def assignment(session: Session, pub: Publication | Subject) -> LedgerEntry | None:
    """The reassignment in force for the step the item waits on now, if any.

    The latest `reassigned` entry at this step of this revision, unless a decision came after it
    (the step was decided, and a later return to it opens it to everyone again).
    """
    pub = subject(pub)
    if not pub.waiting:
        return None
    rows = pub.latest_turn(session)
    if rows is None or rows.kind != LedgerKind.REASSIGNED or rows.stage != str(pub.stage):
        return None
    # A 会签 seat moved is not the step given to one person (`_seats` reads those).
    return rows if entries.Reassigned.from_payload(rows.payload).seat is None else None


def _assigned_away(session: Session, pub: Subject, person: Person) -> LedgerEntry | None:
    """The reassignment that gives the step to someone other than this person (or their giver)."""
    given = assignment(session, pub)
    if given is None:
        return None
    to = entries.Reassigned.from_payload(given.payload).to
    if person.username == to:
        return None
    givers = {d.delegator for d in delegation.held_by(session, person.username) if d.active()}
    return None if to in givers else given


def _delegators(
    session: Session,
    pub: Subject,
    step: Step,
    person: Person,
    held: list[delegation.Delegation] | None = None,
) -> list[Person]:
    """Whom the person may sign for at this step now: delegators in force who hold its role.

    `held`: the delegations made to the person, when the caller has read them already.
    """
    return [
        giver
        for d in (held if held is not None else delegation.held_by(session, person.username))
        if d.active()
        and d.covers(step.role)
        and _holds_step(session, pub, step, giver := org.person(session, d.delegator))
    ]


def _clear(pub: Subject, person: Person, decided: set[str]) -> bool:
    """Separation of duties for one person: not the submitter, no other step decided."""
    return person.id != pub.submitter_id and person.username not in decided


def acting_for(session: Session, pub: Publication | Subject, person: Person) -> Person | None:
    """The person signed for when this person decides the open step by delegation (代签).

    None when they decide in their own right (or may not decide at all).
    """
    pub = subject(pub)
    step = pub.chain(session).step(pub.stage)
    if _holds_step(session, pub, step, person):
        return None
    decided = _decided_other_steps(session, pub, step.id) | _used(round_votes(session, pub, step))
    return next(
        (g for g in _delegators(session, pub, step, person) if _clear(pub, g, decided)), None
    )


def eligible(
    session: Session, pub: Publication | Subject, *, honour_assignment: bool = True
) -> list[Person]:
    """The people who may decide the step the item waits on now (the submitter when returned).

    `honour_assignment=False`: who could, were the step not reassigned (改派 asks this).
    """
    pub = subject(pub)
    if pub.returned:
        return [session.get(Person, pub.submitter_id)]
    if not pub.waiting:
        return []
    step = pub.chain(session).step(pub.stage)
    # In a 会签, whoever has had their say this round is passed over, as a decided step is.
    decided = _decided_other_steps(session, pub, step.id) | _used(round_votes(session, pub, step))
    seats = _seats(session, pub, step)
    holders = [
        p
        for p in org.holders(session, step.role, step_scope(session, pub, step))
        if _in_group(step, p.username, seats) and _clear(pub, p, decided)
    ]
    # Delegates in force of a holder who may decide, themselves clear of the item.
    names = {p.username for p in holders}
    delegates = [
        org.person(session, d.delegate)
        for d in delegation.delegations(session)
        if d.active() and d.covers(step.role) and d.delegator in names and d.delegate not in names
    ]
    extra = {p.username: p for p in delegates if _clear(pub, p, decided)}
    everyone = holders + [extra[u] for u in sorted(extra)]
    if honour_assignment and assignment(session, pub) is not None:
        return [p for p in everyone if _assigned_away(session, pub, p) is None]
    return everyone


def waiting_on(session: Session, person: Person, pubs: Iterable[Publication]) -> list[Publication]:
    """The items among `pubs` this person may decide now (their queue): `eligible_all()`'s."""
    pubs = list(pubs)
    everyone = eligible_all(session, pubs)
    return [pub for pub in pubs if any(p.id == person.id for p in everyone[pub.id])]


def eligible_all(session: Session, pubs: Iterable[Publication]) -> dict[int, list[Person]]:
    """`eligible()` for many items at once (by item id), the same people in the same order.

    `eligible()` asks a handful of queries per item; a queue, "my items" or a console would pay
    them for every item listed. Here the office's grants, people, units and delegations and the
    items' chains, decisions and reassignments on their current revisions are read once (a
    fixed number of queries however many items), then the rule of `eligible()` is applied to
    each item in memory. tests/review/test_waiting_on.py holds the two to agreement.
    """
    pubs = list(pubs)
    open_ = [p for p in pubs if p.status is Status.IN_REVIEW]
    facts = _Facts.read(session, open_)
    out: dict[int, list[Person]] = {}
    for pub in pubs:
        if pub.status is Status.RETURNED:
            out[pub.id] = [session.get(Person, pub.submitter_id)]
        elif pub.status is Status.IN_REVIEW:
            out[pub.id] = facts.eligible(session, pub)
        else:
            out[pub.id] = []
    return out


class _Facts:
    """What `eligible()` reads, read once for many open items (see `eligible_all`)."""

    def __init__(self) -> None:
        self.people: dict[int, Person] = {}
        self.by_name: dict[str, Person] = {}
        self.units: dict[str, int] = {}
        self.grants: dict[tuple[Role, int], set[int]] = {}
        self.anywhere: dict[Role, set[int]] = {}
        self.delegations: list[delegation.Delegation] = []
        self.decisions: dict[int, list[LedgerEntry]] = {}
        self.latest_turn: dict[int, LedgerEntry] = {}
        self.reassigned: dict[int, list[LedgerEntry]] = {}

    @classmethod
    def read(cls, session: Session, pubs: list[Publication]) -> _Facts:
        """Read the facts for these open items in a fixed number of queries."""
        facts = cls()
        if not pubs:
            return facts
        chains_of(session, [p.id for p in pubs])
        for person in session.scalars(select(Person)):
            facts.people[person.id] = person
            facts.by_name[person.username] = person
        facts.units = dict(session.execute(select(Unit.code, Unit.id)).all())
        for person_id, role, unit_id in session.execute(
            select(RoleGrant.person_id, RoleGrant.role, RoleGrant.unit_id)
        ):
            facts.grants.setdefault((role, unit_id), set()).add(person_id)
            facts.anywhere.setdefault(role, set()).add(person_id)
        facts.delegations = delegation.delegations(session)
        revision = {p.id: p.current_revision for p in pubs}
        ids = sorted(revision)
        for start in range(0, len(ids), _CHUNK):
            rows = session.scalars(
                select(LedgerEntry)
                .where(
                    LedgerEntry.publication_id.in_(ids[start : start + _CHUNK]),
                    LedgerEntry.kind.in_([LedgerKind.DECIDED, LedgerKind.REASSIGNED]),
                )
                .order_by(LedgerEntry.id)
            )
            for e in rows:
                if e.revision != revision[e.publication_id]:
                    continue
                facts.latest_turn[e.publication_id] = e
                if e.kind == LedgerKind.DECIDED:
                    facts.decisions.setdefault(e.publication_id, []).append(e)
                else:
                    facts.reassigned.setdefault(e.publication_id, []).append(e)
        return facts

    def _scope(self, pub: Publication, step: Step) -> int | None:
        if step.unit_scoped:
            return pub.unit_id
        if step.named_unit is None:
            return None
        return self.units.get(step.named_unit, _NO_UNIT)

    def _holders(self, role: Role, scope: int | None) -> list[Person]:
        """org.holders(): everyone holding the role in scope, by username."""
        ids = self.anywhere.get(role, set()) if scope is None else self.grants.get((role, scope))
        return sorted((self.people[i] for i in ids or ()), key=lambda p: p.username)

    def _person(self, session: Session, username: str) -> Person:
        found = self.by_name.get(username)
        return found if found is not None else org.person(session, username)

    def eligible(self, session: Session, pub: Publication) -> list[Person]:
        """`eligible()` of one open item, from the facts."""
        step = chain_of(session, pub).step(pub.stage)
        decisions = self.decisions.get(pub.id, [])
        others = [e for e in decisions if e.stage is not None and e.stage != str(step.id)]
        decided = {e.actor for e in others} | {n for e in others if (n := _signed_for(e.payload))}
        if step.group is not None:
            decided |= _used(countersign.current_round(decisions, step.id)[1])
        seats = _seats_from(self.reassigned.get(pub.id, []), decisions, step)
        holders = [
            p
            for p in self._holders(step.role, self._scope(pub, step))
            if _in_group(step, p.username, seats) and _clear(pub, p, decided)
        ]
        names = {p.username for p in holders}
        delegates = [
            self._person(session, d.delegate)
            for d in self.delegations
            if d.active()
            and d.covers(step.role)
            and d.delegator in names
            and d.delegate not in names
        ]
        extra = {p.username: p for p in delegates if _clear(pub, p, decided)}
        everyone = holders + [extra[u] for u in sorted(extra)]
        turn = self.latest_turn.get(pub.id)
        if turn is None or turn.kind != LedgerKind.REASSIGNED or turn.stage != str(pub.stage):
            return everyone
        moved = entries.Reassigned.from_payload(turn.payload)
        if moved.seat is not None:
            return everyone  # a 会签 seat, already in `seats`
        to = moved.to
        return [p for p in everyone if p.username == to or to in self._givers(p.username)]

    def _givers(self, username: str) -> set[str]:
        """Whom this person signs for now (any role): `_assigned_away`'s test."""
        return {d.delegator for d in self.delegations if d.delegate == username and d.active()}


def steps_held(
    session: Session, pub: Publication | Subject, person: Person
) -> list[Stage | StepId]:
    """The steps of this item's chain whose role the person holds (for its unit where scoped)."""
    pub = subject(pub)
    held = delegation.held_by(session, person.username)
    # The person's grants read once for every step (as org.holds would read them per step).
    grants = set(
        session.execute(
            select(RoleGrant.role, RoleGrant.unit_id).where(RoleGrant.person_id == person.id)
        ).all()
    )

    def holds(step: Step) -> bool:
        scope = step_scope(session, pub, step)
        in_scope = (
            any(role == step.role for role, _ in grants)
            if scope is None
            else (step.role, scope) in grants
        )
        return in_scope and _in_group(step, person.username)

    return [
        step_id(step.id)
        for step in pub.chain(session).steps
        if holds(step) or _delegators(session, pub, step, person, held)
    ]


def refusal(
    session: Session, pub: Publication | Subject, person: Person, *, honour_assignment: bool = True
) -> str | None:
    """Why this person may not decide the open step, in words for them; None when they may."""
    pub = subject(pub)
    step = pub.chain(session).step(pub.stage)
    label = step.label
    scope = step_scope(session, pub, step)
    who = f"{person.name}（{person.username}）"
    given = _assigned_away(session, pub, person) if honour_assignment else None
    if given is not None:
        to = entries.Reassigned.from_payload(given.payload).to
        return (
            f"{pub.noun}的{label}已由管理员 {given.actor} 改派给 {to}"
            f"（{given.comment}），不由您决定"
        )
    seat = _seats(session, pub, step).given.get(person.username)
    if seat is not None:
        to = entries.Reassigned.from_payload(seat.payload).to
        return (
            f"{pub.noun}的{label}中您的会签席位已由管理员 {seat.actor} 改派给 {to}"
            f"（{seat.comment}），不由您决定"
        )
    if not _holds_step(session, pub, step, person):
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
            return f"{who}受 {d.delegator} 委托的代签{lapse}，{pub.noun}的{label}不能代签"
        if org.holds(session, person.id, step.role, scope):
            return f"{who}不在{label}环节的会签成员之列，{pub.noun}的{label}不由您决定"
        role = ROLE_LABEL[step.role.value]
        unit = session.get(Unit, scope) if scope not in (None, _NO_UNIT) else None
        where = f"{unit.name}的" if unit is not None else ""
        if scope == _NO_UNIT:
            where = f"单位「{step.named_unit}」的"
        return f"{who}不是{where}{role}，{pub.noun}的{label}不由您决定"
    if person.id == pub.submitter_id:
        return pub.own_work_refusal(who, label)
    if person.username in _decided_other_steps(session, pub, step.id):
        return f"您已决定过本稿的另一个环节，{label}须由另一人决定"
    return _counted_refusal(round_votes(session, pub, step), person, label)


def _counted_refusal(votes: list[LedgerEntry], person: Person, label: str) -> str | None:
    """Nobody counts twice in a 会签: refused when this person has had their say this round."""
    for e in votes:
        if person.username in (e.actor, countersign.counted(e)):
            by = "" if e.actor == person.username else f"（由 {e.actor} 代签）"
            return f"您已在{label}环节本轮会签中决定过{by}（台帐第 {e.id} 条），每人只计一次"
    return None


def _delegated_refusal(
    session: Session, pub: Subject, person: Person, givers: list[Person], label: str
) -> str | None:
    """Separation of duties for a decision by delegation: it must hold for both people."""
    decided = _decided_other_steps(session, pub, str(pub.stage))
    if not _clear(pub, person, decided):
        if person.id == pub.submitter_id:
            return f"{person.name}（{person.username}）是{pub.noun}的{pub.author}，不能代签"
        return f"您已决定过本稿的另一个环节，{label}须由另一人决定（代签亦然）"
    votes = round_votes(session, pub, pub.chain(session).step(pub.stage))
    counted = _counted_refusal(votes, person, label)
    if counted:
        return counted
    used = _used(votes)
    if votes and all(g.username in used for g in givers):
        names = "、".join(f"{g.name}（{g.username}）" for g in givers)
        return f"委托人{names}已在{label}环节本轮会签中决定过，每人只计一次，不能再代签"
    if not any(_clear(pub, g, decided) for g in givers):
        names = "、".join(f"{g.name}（{g.username}）" for g in givers)
        return f"委托人{names}已决定过本稿的另一个环节或是{pub.author}，{label}不能由其代签"
    return None
