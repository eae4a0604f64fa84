"""The reply (答复告知书) and its approval: 承办 drafts, 审核 checks, 签发 signs, then it is sent.

Each step is a ledger entry by a named person. This is still the request module's own fixed
chain, not the review-chain machinery, which is bound to publications throughout: a chain in
the chains file must end with 中心发布 (`chains.validation`), an item's chain is found from its
SUBMITTED entry (`chains.binding`), who may decide (`review.deciders`) and the decision itself
(`review.decisions`) take a Publication, and the next step (`review.workflow`) is a publication
status (the last approval publishes). So the reply
has no configured chain, 会签, 代签, 改派 or step deadlines yet. Separation of duties: the
reviewer is not the drafter, and the signer (a 分管领导) is neither. A draft returned at 审核
or 签发 ends its round; the next draft starts a new one. 签发 signs the 答复告知书 itself: the
letter is rendered as it will be sent, kept, and its SHA-256 is in the 签发 entry
(`documents`); sending checks the kept letter still has it, and records the approved draft's
outcome (`outcome`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DisclosureRequest, LedgerEntry, LedgerKind
from models.requests import RequestStatus
from pubreview.errors import DecisionRefused
from pubreview.labels import REPLY_STEP_LABEL
from pubreview.requests import access, entries, files, outcome, store
from pubreview.requests.correction import status_word

STEPS = ("draft", "review", "sign")


@dataclass(frozen=True)
class Round:
    """One draft of the reply and the steps taken on it."""

    number: int
    steps: list[tuple[str, entries.ReplyStep]]  # (actor, step) in order

    @property
    def draft(self) -> entries.ReplyStep:
        """The 承办 step that opened the round."""
        return self.steps[0][1]

    @property
    def returned(self) -> bool:
        """审核 or 签发 sent the draft back."""
        return any(not s.approved for _, s in self.steps)

    @property
    def signed(self) -> bool:
        """签发 approved: the reply may be sent."""
        return any(s.step == "sign" and s.approved for _, s in self.steps)

    @property
    def sign_step(self) -> entries.ReplyStep | None:
        """The 签发 that approved the draft, if it was signed."""
        return next((s for _, s in self.steps if s.step == "sign" and s.approved), None)

    @property
    def next_step(self) -> str | None:
        """The step awaited (review, sign), or None when returned or signed."""
        if self.returned or self.signed:
            return None
        return STEPS[len(self.steps)]

    def actor_of(self, step: str) -> str | None:
        """Who took a step of this round."""
        return next((a for a, s in self.steps if s.step == step), None)


def rounds(session: Session, request_id: int) -> list[Round]:
    """The reply's rounds, oldest first, read from the ledger."""
    request_key = LedgerEntry.payload["request_id"].as_integer()
    found: dict[int, Round] = {}
    for entry in session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.kind == LedgerKind.REQUEST_REPLY_STEP, request_key == request_id)
        .order_by(LedgerEntry.id)
    ):
        step = entries.ReplyStep.from_payload(entry.payload)
        found.setdefault(step.round, Round(step.round, [])).steps.append((entry.actor, step))
    return [found[n] for n in sorted(found)]


def current(session: Session, request_id: int) -> Round | None:
    """The latest round, if any."""
    all_rounds = rounds(session, request_id)
    return all_rounds[-1] if all_rounds else None


def _open_request(session: Session, request_id: int) -> DisclosureRequest:
    req = store.get(session, request_id, for_update=True)
    if req.status is not RequestStatus.OPEN:
        raise DecisionRefused(f"第 {req.id} 号申请当前不能办理答复（{status_word(req)}）")
    return req


def _step(session: Session, req: DisclosureRequest, actor: str, step: entries.ReplyStep, note):
    entries.record(
        session,
        step,
        actor=actor,
        stage=step.step,
        outcome="approve" if step.approved else "return",
        comment=note,
    )


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
            f"第 {req.id} 号申请已有答复稿在等待{REPLY_STEP_LABEL[last.next_step]}，"
            "退回后才能重新承办"
        )
    if last is not None and last.signed:
        raise DecisionRefused(f"第 {req.id} 号申请的答复已签发，请发出答复")
    number = last.number + 1 if last else 1
    step = entries.ReplyStep(req.id, number, "draft", True, row.key, basis, fee)
    _step(session, req, person.username, step, store.text_of(note, "说明", required=False) or None)
    return current(session, req.id)


def decide(
    session: Session,
    request_id: int,
    *,
    actor: str,
    approve: bool,
    note: str | None = None,
    letter_seen: str | None = None,
) -> Round:
    """审核 or 签发 (whichever the draft awaits): approve it or send it back.

    签发 renders the 答复告知书 as it will be sent, keeps it and records its SHA-256; with
    `letter_seen` (the SHA-256 of the letter the signer was shown) it is refused if the letter
    is no longer that one.
    """
    req = _open_request(session, request_id)
    last = current(session, req.id)
    if last is None or last.next_step is None:
        raise DecisionRefused(f"第 {req.id} 号申请没有等待审批的答复稿")
    step_name = last.next_step
    label = REPLY_STEP_LABEL[step_name]
    person = (access.approver if step_name == "sign" else access.handler)(session, actor)
    earlier = {last.actor_of(s) for s in STEPS[: STEPS.index(step_name)]}
    if person.username in earlier:
        raise DecisionRefused(f"{person.name}已经承办或审核过这份答复稿，不能再{label}")
    note = store.text_of(note, "意见", required=not approve) or None
    letter_sha256 = None
    if step_name == "sign" and approve:
        letter_sha256 = _sign_letter(session, req.id, last.number, letter_seen)
    step = entries.ReplyStep(req.id, last.number, step_name, approve, letter_sha256=letter_sha256)
    _step(session, req, person.username, step, note)
    return current(session, req.id)


def _sign_letter(session: Session, request_id: int, number: int, seen: str | None) -> str:
    """Render the letter being signed, keep it, and return its SHA-256."""
    from pubreview.requests import documents  # it reads the rounds from this module

    data, name = documents.render_now(session, request_id, "reply")
    signed = documents.fingerprint(data)
    if seen is not None and seen != signed:
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
