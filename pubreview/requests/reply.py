"""The reply (答复告知书) and its approval chain: 承办 drafts, the chain decides, then it is sent.

The approval is a review chain like a publication's (`pubreview.chains`): the built-in
承办 → 审核 → 签发 (`DEFAULT_REPLY_CHAIN`), or the chain the office's chains file declares with
`applies_to: reply`. The draft records the chain it goes through, so a chain edited later does
not move a draft in flight; a draft older than that records none and went through the built-in
one. Who may decide the step awaited is `review.deciders` (the one rule, with 代签 and 会签),
through `ReplySubject`: the drafter stands where a publication's submitter does, and nobody
decides two steps of one draft. How a decision counts is `review.decisions.count`. A return at
any step ends the round; the next draft starts a new one. The last step signs (签发) the
答复告知书 itself: the letter is rendered as it will be sent, kept, and its SHA-256 is in the
entry (`documents`); sending checks the kept letter still has it, refuses a date before the
signing, and records the approved draft's outcome (`outcome`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DisclosureRequest, LedgerEntry, LedgerKind, Person
from models.requests import RequestStatus
from pubreview import clock, ledger
from pubreview.accounts import org
from pubreview.chains import countersign
from pubreview.chains.definitions import DEFAULT_REPLY_CHAIN, Chain
from pubreview.errors import DecisionRefused, Forbidden, ValidationError
from pubreview.requests import access, entries, files, outcome, store
from pubreview.requests.correction import status_word
from pubreview.review.entries import Reassigned

DRAFT = "draft"  # the 承办 entry's step: the round's author, not a step of the chain
DRAFT_LABEL = "承办"
APPROVE, RETURN = "approve", "return"


@dataclass(frozen=True)
class Round:
    """One draft of the reply, the chain it goes through, and the steps taken on it."""

    number: int
    chain: Chain
    steps: list[tuple[str, entries.ReplyStep]] = field(default_factory=list)  # (actor, step)
    entries: list[LedgerEntry] = field(default_factory=list)  # the same, as ledger entries

    @property
    def draft(self) -> entries.ReplyStep:
        """The 承办 step that opened the round."""
        return self.steps[0][1]

    @property
    def drafter(self) -> str:
        """Who drafted it (承办人)."""
        return self.steps[0][0]

    @property
    def decisions(self) -> list[LedgerEntry]:
        """The chain's decisions on this draft, oldest first (the draft itself left out)."""
        return self.entries[1:]

    def settled(self, step_id: str) -> LedgerEntry | None:
        """The decision that settled this step (a 会签 vote that did not settle it is not one)."""
        return next(
            (e for e in self.decisions if e.stage == step_id and _settles(e) is not None), None
        )

    @property
    def returned(self) -> bool:
        """A step sent the draft back."""
        return any(_settles(e) == RETURN for e in self.decisions)

    @property
    def signed(self) -> bool:
        """The last step (签发) approved: the reply may be sent."""
        return self.signing_entry is not None

    @property
    def signing_entry(self) -> LedgerEntry | None:
        """The ledger entry of the approval that signed the reply, if it was signed."""
        found = self.settled(self.chain.steps[-1].id)
        return found if found is not None and _settles(found) == APPROVE else None

    @property
    def sign_step(self) -> entries.ReplyStep | None:
        """The 签发 that approved the draft, if it was signed."""
        found = self.signing_entry
        return entries.ReplyStep.from_payload(found.payload) if found is not None else None

    @property
    def signed_on(self) -> date | None:
        """The day it was signed: as the 签发 recorded it, else the office day of its entry."""
        found = self.signing_entry
        if found is None:
            return None
        recorded = entries.ReplyStep.from_payload(found.payload).signed_on
        return recorded or clock.local(found.created_at).date()

    @property
    def next_step(self) -> str | None:
        """The step awaited, or None when returned or signed."""
        if self.returned or self.signed:
            return None
        return next(s.id for s in self.chain.steps if self.settled(s.id) is None)

    @property
    def signs(self) -> bool:
        """The step awaited is the last one: its approval signs the letter."""
        return self.next_step is not None and self.next_step == self.chain.steps[-1].id

    def label_of(self, step: str) -> str:
        """A step of this round in words (承办 for the draft)."""
        return DRAFT_LABEL if step == DRAFT else self.chain.label_of(step)


def _settles(entry: LedgerEntry) -> str | None:
    """The step's outcome a decision settles (a 会签 vote that did not: None)."""
    return countersign.settles(entry)


@dataclass(frozen=True)
class ReplySubject:
    """A draft of the reply under its chain, as `review.deciders` reads a subject."""

    request_id: int
    round: Round
    drafter_id: int | None

    @classmethod
    def of(cls, session: Session, request_id: int, round_: Round) -> ReplySubject:
        """The subject for this round of this request's reply."""
        drafter = session.scalars(select(Person.id).where(Person.username == round_.drafter))
        return cls(request_id, round_, drafter.first())

    @property
    def id(self) -> int:
        return self.request_id

    @property
    def unit_id(self) -> int | None:
        return None  # a request is the office's, not a unit's

    @property
    def submitter_id(self) -> int | None:
        return self.drafter_id

    @property
    def current_revision(self) -> int:
        return self.round.number

    @property
    def stage(self) -> str | None:
        return self.round.next_step

    @property
    def waiting(self) -> bool:
        return self.round.next_step is not None

    @property
    def returned(self) -> bool:
        return False  # a returned draft is any handler's to draft again, not its drafter's

    @property
    def noun(self) -> str:
        return f"第 {self.request_id} 号申请答复稿"

    @property
    def author(self) -> str:
        return "承办人"

    def chain(self, session: Session) -> Chain:
        return self.round.chain

    def decisions(self, session: Session) -> list[LedgerEntry]:
        return self.round.decisions

    def latest_turn(self, session: Session) -> LedgerEntry | None:
        # A 改派 of this round's step is a REASSIGNED entry naming the request and round.
        moved = session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.kind == LedgerKind.REASSIGNED,
                LedgerEntry.publication_id.is_(None),
                ledger.payload_field(Reassigned, "request_id").as_integer() == self.request_id,
                ledger.payload_field(Reassigned, "round").as_integer() == self.round.number,
            )
            .order_by(LedgerEntry.id.desc())
            .limit(1)
        ).first()
        decided = self.round.decisions[-1] if self.round.decisions else None
        if moved is None or (decided is not None and decided.id > moved.id):
            return decided
        return moved

    def own_work_refusal(self, who: str, label: str) -> str:
        return f"{who}已经承办或审核过这份答复稿，不能再{label}"


def rounds(session: Session, request_id: int) -> list[Round]:
    """The reply's rounds, oldest first, read from the ledger."""
    request_key = ledger.payload_field(entries.ReplyStep, "request_id").as_integer()
    found: dict[int, Round] = {}
    for entry in session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.kind == LedgerKind.REQUEST_REPLY_STEP, request_key == request_id)
        .order_by(LedgerEntry.id)
    ):
        step = entries.ReplyStep.from_payload(entry.payload)
        if step.round not in found:
            chain = Chain.from_dict(step.chain) if step.chain else DEFAULT_REPLY_CHAIN
            found[step.round] = Round(step.round, chain)
        found[step.round].steps.append((entry.actor, step))
        found[step.round].entries.append(entry)
    return [found[n] for n in sorted(found)]


def current(session: Session, request_id: int) -> Round | None:
    """The latest round, if any."""
    all_rounds = rounds(session, request_id)
    return all_rounds[-1] if all_rounds else None


def subject(session: Session, request_id: int) -> ReplySubject | None:
    """The reply's draft awaiting a step of its chain, as a subject; None when none awaits."""
    last = current(session, request_id)
    if last is None or last.next_step is None:
        return None
    return ReplySubject.of(session, request_id, last)


def may_decide(session: Session, request_id: int, person: Person) -> bool:
    """Whether the person may decide the step the reply awaits now (`deciders.refusal`)."""
    from pubreview.review import deciders

    found = subject(session, request_id)
    return found is not None and deciders.refusal(session, found, person) is None


def _open_request(session: Session, request_id: int) -> DisclosureRequest:
    req = store.get(session, request_id, for_update=True)
    if req.status is not RequestStatus.OPEN:
        raise DecisionRefused(f"第 {req.id} 号申请当前不能办理答复（{status_word(req)}）")
    return req


def _reply_chain() -> Chain:
    """The chain a new draft goes through: the office's (applies_to: reply), else the built-in."""
    from pubreview.chains import selection

    return selection.configured().reply_chain


def draft(
    session: Session,
    request_id: int,
    *,
    actor: str,
    outcome_key: str,
    legal_basis: str,
    fee_yuan: str | None = None,
    note: str | None = None,
) -> Round:
    """承办: propose the outcome (a Table 三 row), the article cited and any fee."""
    person = access.handler(session, actor)
    row = outcome.outcome_row(outcome_key)
    if row.key in outcome.CLOSE_WITHOUT_REPLY:
        raise DecisionRefused(f"「{outcome.outcome_label(row.key)}」不出具答复，请直接办结")
    req = _open_request(session, request_id)
    basis = store.text_of(legal_basis, "法律依据", limit=1000)
    fee = outcome.fee_of(fee_yuan)
    last = current(session, req.id)
    if last is not None and last.next_step is not None:
        raise DecisionRefused(
            f"第 {req.id} 号申请已有答复稿在等待{last.label_of(last.next_step)}，退回后才能重新承办"
        )
    if last is not None and last.signed:
        raise DecisionRefused(f"第 {req.id} 号申请的答复已签发，请发出答复")
    number = last.number + 1 if last else 1
    chain = _reply_chain()
    step = entries.ReplyStep(
        req.id, number, DRAFT, True, row.key, basis, fee, chain=chain.to_dict()
    )
    entries.record(
        session,
        step,
        actor=person.username,
        stage=DRAFT,
        outcome=APPROVE,
        comment=store.text_of(note, "说明", required=False) or None,
    )
    return current(session, req.id)


def decide(
    session: Session,
    request_id: int,
    *,
    actor: str,
    approve: bool,
    note: str | None = None,
    letter_seen: str | None = None,
    signed_on: date | None = None,
) -> Round:
    """Decide the step of its chain the draft awaits: approve it or send it back.

    The last step (签发) renders the 答复告知书 as it will be sent, keeps it and records its
    SHA-256 and the signing day (`signed_on`, today by default); with `letter_seen` (the
    SHA-256 of the letter the signer was shown) it is refused if the letter is no longer that
    one. The same decision again in a 会签 round is a no-op.
    """
    from pubreview.review import deciders, decisions

    req = _open_request(session, request_id)
    last = current(session, req.id)
    if last is None or last.next_step is None:
        raise DecisionRefused(f"第 {req.id} 号申请没有等待审批的答复稿")
    person = org.person(session, actor)
    found = ReplySubject.of(session, req.id, last)
    step = last.chain.step(last.next_step)
    verdict = APPROVE if approve else RETURN
    votes = deciders.round_votes(session, found, step)
    if any(e.actor == person.username and e.outcome == verdict for e in votes):
        return last  # a member repeating their decision in this round of the 会签
    refused = deciders.refusal(session, found, person)
    if refused:
        # Not holding the step at all is a matter of role (403 on a page); otherwise of turn.
        held = {str(s) for s in deciders.steps_held(session, found, person)}
        raise (DecisionRefused if step.id in held else Forbidden)(refused)
    note = store.text_of(note, "意见", required=not approve) or None
    counted = decisions.count(session, found, person, step, verdict)
    letter_sha256, signed_day = None, None
    if step.id == last.chain.steps[-1].id and counted.settles == APPROVE:
        signed_day = _signing_day(req, signed_on)
        letter_sha256 = _sign_letter(session, req.id, last.number, letter_seen, signed_day)
    entry = entries.ReplyStep(
        req.id,
        last.number,
        step.id,
        approve,
        letter_sha256=letter_sha256,
        acting_for=counted.signed_for.username if counted.signed_for else None,
        countersign=counted.group,
        member=counted.member if counted.group else None,
        signed_on=signed_day,
    )
    entries.record(
        session,
        entry,
        actor=person.username,
        stage=step.id,
        outcome=verdict,
        comment=note,
    )
    return current(session, req.id)


def _signing_day(req: DisclosureRequest, signed_on: date | None) -> date:
    """The 签发 day: today unless given; not in the future, not before the request arrived."""
    day = signed_on or store.office_today()
    if day > store.office_today():
        raise ValidationError(f"签发日期 {day.isoformat()} 晚于今天", field="signed_on")
    if req.received_on is not None and day < req.received_on:
        raise ValidationError(
            f"签发日期 {day.isoformat()} 不能早于起算日（收到申请之日）"
            f"{req.received_on.isoformat()}",
            field="signed_on",
        )
    return day


def _sign_letter(
    session: Session, request_id: int, number: int, seen: str | None, signed_on: date
) -> str:
    """Render the letter being signed, dated `signed_on`, keep it, and return its SHA-256."""
    from pubreview.requests import documents  # it reads the rounds from this module

    data, name = documents.render_now(session, request_id, "reply", signed_on=signed_on)
    signed = documents.fingerprint(data)
    # The signer was shown the letter dated today (the default 签发 day); the day they give is
    # their own input, so the letter they read is that one or the one dated their day.
    shown = {signed}
    if seen is not None and signed_on != store.office_today():
        shown.add(documents.fingerprint(documents.render_now(session, request_id, "reply")[0]))
    if seen is not None and seen not in shown:
        raise DecisionRefused(
            f"第 {request_id} 号申请的答复告知书在您查看之后有了变化，请重新查看后再签发"
        )
    return files.add_letter(session, request_id, number, name, data)


def send(session: Session, request_id: int, *, actor: str, sent_on: date) -> DisclosureRequest:
    """The signed reply went out on `sent_on`: record its outcome and close the request."""
    person = access.handler(session, actor)
    req = _open_request(session, request_id)
    last = current(session, req.id)
    if last is None or not last.signed:
        raise DecisionRefused(f"第 {req.id} 号申请的答复尚未签发，不能发出")
    signed_day = last.signed_on
    if signed_day is not None and sent_on < signed_day:
        raise ValidationError(
            f"发出日期 {sent_on.isoformat()} 早于签发日期 {signed_day.isoformat()}："
            "答复须签发后才能发出，请填写实际发出的日期",
            field="sent_on",
        )
    signed = last.sign_step
    if signed is not None and signed.letter_sha256:  # signed before letters were kept: none
        files.signed_letter(session, req.id, last.number, signed.letter_sha256)
    d = last.draft
    return outcome.record_outcome(
        session,
        req,
        actor=person.username,
        key=d.outcome,
        closed_on=sent_on,
        legal_basis=d.legal_basis,
        fee_yuan=d.fee_yuan,
        reply_round=last.number,
    )


def reassign(
    session: Session, request_id: int, *, to: str, reason: str, actor: str, via: str | None
) -> str:
    """改派: give the step the reply awaits to `to` (caller commits), who must be able to decide
    it by `review.deciders` leaving any earlier 改派 aside; the reason is recorded."""
    from pubreview.review import deciders, delegation

    delegation.require_may_reassign(session, actor)
    if not (reason or "").strip():
        raise ValidationError("改派须填写理由", field="reason")
    req = _open_request(session, request_id)
    found = subject(session, req.id)
    if found is None:
        raise DecisionRefused(f"第 {req.id} 号申请没有等待审批的答复稿，无可改派")
    step = found.round.chain.step(found.stage)
    if step.group is not None:
        raise DecisionRefused(f"{step.label}是会签环节，答复稿的会签席位暂不能改派")
    person = org.person(session, to)
    before = deciders.assignment(session, found)
    previous = Reassigned.from_payload(before.payload).to if before else None
    if previous == person.username:
        raise DecisionRefused(f"{step.label}已改派给 {person.username}，无需再改派")
    may = {p.username for p in deciders.eligible(session, found, honour_assignment=False)}
    if person.username not in may:
        refused = deciders.refusal(session, found, person, honour_assignment=False)
        raise DecisionRefused(
            f"不能改派给 {person.name}（{person.username}）："
            + (refused or f"{person.name}不能决定{step.label}环节")
        )
    payload = Reassigned(
        person.username, previous, via=via, request_id=req.id, round=found.round.number
    )
    entry = ledger.append(
        session,
        kind=LedgerKind.REASSIGNED,
        publication_id=None,
        revision=None,
        stage=step.id,
        actor=actor,
        comment=reason.strip(),
        payload=payload.to_payload(),
    )
    return (
        f"已改派：第 {req.id} 号申请答复稿（第 {found.round.number} 稿）的{step.label}"
        f"改由 {person.name}（{person.username}）决定（台帐第 {entry.id} 条）"
    )
