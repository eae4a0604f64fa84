"""The `publications` rows are a cache of the ledger: replay the entries and compare.

Every change of an item's status, stage, revision or title is written in the same transaction
as the entry that justifies it, so replaying the entries in order must give the row as stored.
A row that disagrees was edited outside pubreview (or the cache has a bug): either way the
row, not the ledger, is wrong. Replaying is the chains' rule, so it lives here and registers
itself with `ledger verify` (which may not import the domain).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Publication, Stage, Status
from models.publication import StepId, step_id
from pubreview.chains import countersign
from pubreview.chains.binding import from_payload
from pubreview.chains.definitions import DEFAULT_CHAIN, Chain
from pubreview.ledger import verification
from pubreview.ledger.cache import CacheMismatch
from pubreview.review.workflow import Outcome, next_position


@dataclass
class _State:
    status: Status | None = None
    stage: Stage | StepId | None = None
    chain: Chain = DEFAULT_CHAIN  # as the submission entry recorded it
    revision: int | None = None
    title: str | None = None
    category: str | None = None
    grade: str = "ordinary"  # entries older than grades were all ordinary (一般) items


def _apply(state: _State, kind: str, revision: int | None, stage: str | None, outcome, payload):
    """Move the replayed state by one entry, as the code that appended it moved the row."""
    if kind in (LedgerKind.SUBMITTED, LedgerKind.RESUBMITTED):
        if kind == LedgerKind.SUBMITTED or payload.get("chain"):
            state.chain = from_payload(payload)  # a resubmission may have chosen again
        state.status, state.revision = Status.IN_REVIEW, revision
        state.stage = step_id(state.chain.first.id)
        state.title = payload.get("title", state.title)
        state.category = payload.get("category", state.category)
        state.grade = payload.get("grade") or state.grade
    elif kind == LedgerKind.IMPORTED:
        state.status, state.stage, state.revision = Status.PUBLISHED, None, revision
        state.title = payload.get("title", state.title)
        state.category = payload.get("category", state.category)
    elif kind == LedgerKind.DECIDED and stage and outcome:
        # A 会签 member's decision moves the item only when it settles the step.
        settles = countersign.settled_outcome(outcome, payload)
        if not settles:
            return
        state.status, state.stage = next_position(step_id(stage), Outcome(settles), state.chain)
        if payload.get("publish_at") and state.status is Status.PUBLISHED:
            state.status = Status.SCHEDULED
    elif kind == LedgerKind.PUBLISHED and state.status is Status.SCHEDULED:
        state.status = Status.PUBLISHED
    elif kind == LedgerKind.RETRACTED:
        state.status = Status.RETRACTED
    elif kind == LedgerKind.WITHDRAWN:
        state.status, state.stage = Status.WITHDRAWN, None


@verification.domain_check("publications", "cache")
def check(session: Session) -> list[CacheMismatch]:
    """Name every `publications` field that differs from what its ledger entries imply."""
    states: dict[int, _State] = {}
    for kind, pub_id, revision, stage, outcome, payload in session.execute(
        select(
            LedgerEntry.kind,
            LedgerEntry.publication_id,
            LedgerEntry.revision,
            LedgerEntry.stage,
            LedgerEntry.outcome,
            LedgerEntry.payload,
        )
        .where(LedgerEntry.publication_id.is_not(None))
        .order_by(LedgerEntry.id)
    ):
        state = states.setdefault(pub_id, _State())
        _apply(state, kind, revision, stage, outcome, payload if isinstance(payload, dict) else {})
    found: list[CacheMismatch] = []
    for row in session.execute(
        select(
            Publication.id,
            Publication.status,
            Publication.stage,
            Publication.current_revision,
            Publication.title,
            Publication.category,
            Publication.grade,
        ).order_by(Publication.id)
    ):
        state = states.get(row.id)
        if state is None or state.status is None:
            found.append(
                CacheMismatch(row.id, "id", str(row.id), "（台帐中没有这条信息的提交记录）")
            )
            continue
        for column, stored, expected in (
            ("status", row.status, state.status),
            ("stage", row.stage, state.stage),
            ("current_revision", row.current_revision, state.revision),
            ("title", row.title, state.title),
            ("category", row.category, state.category),
            ("grade", row.grade, state.grade),
        ):
            if stored != expected:
                found.append(
                    CacheMismatch(
                        row.id,
                        column,
                        None if stored is None else str(stored),
                        None if expected is None else str(expected),
                    )
                )
    return found
