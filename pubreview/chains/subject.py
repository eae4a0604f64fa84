"""What a review chain is applied to: a publication, or a disclosure request's reply.

`review.deciders` (who may decide the step awaited now) and the decision recording in
`review.decisions` read the thing under review only through `Subject`: its chain, the step it
waits on, the person whose work it is (who may not decide it), the unit unit-scoped steps are
decided for, and the decisions and reassignments taken on its current round. A publication is
adapted by `PublicationSubject`; the reply's subject lives with the reply
(`requests.reply.ReplySubject`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, LedgerKind, Publication, Status
from pubreview import ledger
from pubreview.chains.binding import chain_of
from pubreview.chains.definitions import Chain


@runtime_checkable
class Subject(Protocol):
    """The thing under review, as the chain machinery reads it."""

    @property
    def id(self) -> int:
        """The publication's or the request's id."""

    @property
    def unit_id(self) -> int | None:
        """The unit a unit-scoped step is decided for (None: anyone in the office)."""

    @property
    def submitter_id(self) -> int | None:
        """The person whose work is reviewed: they decide none of its steps."""

    @property
    def current_revision(self) -> int:
        """The revision (publication) or round (reply) under review."""

    @property
    def stage(self) -> object | None:
        """The step id awaited now (None when none is)."""

    @property
    def waiting(self) -> bool:
        """A step awaits a decision."""

    @property
    def returned(self) -> bool:
        """The work went back to its author (their turn, not a reviewer's)."""

    @property
    def noun(self) -> str:
        """The subject in words for messages: 第 5 号信息, 第 5 号申请答复稿."""

    @property
    def author(self) -> str:
        """What its author is called: 报送人, 承办人."""

    def chain(self, session: Session) -> Chain:
        """The chain the subject was bound to."""

    def decisions(self, session: Session) -> list[LedgerEntry]:
        """The decisions taken on the current revision or round, oldest first."""

    def latest_turn(self, session: Session) -> LedgerEntry | None:
        """The newest decision or reassignment on the current revision or round."""

    def own_work_refusal(self, who: str, label: str) -> str:
        """Why the author may not decide a step of their own work."""


@dataclass(frozen=True)
class PublicationSubject:
    """A publication under review (the review-publication flow's item)."""

    pub: Publication

    @property
    def id(self) -> int:
        return self.pub.id

    @property
    def unit_id(self) -> int | None:
        return self.pub.unit_id

    @property
    def submitter_id(self) -> int | None:
        return self.pub.submitter_id

    @property
    def current_revision(self) -> int:
        return self.pub.current_revision

    @property
    def stage(self) -> object | None:
        return self.pub.stage

    @property
    def status(self) -> Status:
        """The publication's status (publication-only callers read it)."""
        return self.pub.status

    @property
    def waiting(self) -> bool:
        return self.pub.status is Status.IN_REVIEW

    @property
    def returned(self) -> bool:
        return self.pub.status is Status.RETURNED

    @property
    def noun(self) -> str:
        return f"第 {self.pub.id} 号信息"

    @property
    def author(self) -> str:
        return "报送人"

    def chain(self, session: Session) -> Chain:
        return chain_of(session, self.pub)

    def decisions(self, session: Session) -> list[LedgerEntry]:
        return ledger.decisions_on(session, self.pub.id, self.pub.current_revision)

    def latest_turn(self, session: Session) -> LedgerEntry | None:
        return session.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.publication_id == self.pub.id,
                LedgerEntry.revision == self.pub.current_revision,
                LedgerEntry.kind.in_([LedgerKind.REASSIGNED, LedgerKind.DECIDED]),
            )
            .order_by(LedgerEntry.id.desc())
            .limit(1)
        ).first()

    def own_work_refusal(self, who: str, label: str) -> str:
        return f"{who}是第 {self.pub.id} 号信息的报送人，不能审核自己报送的信息"


def subject(item: Publication | Subject) -> Subject:
    """The subject for a publication (adapted) or a subject already."""
    return PublicationSubject(item) if isinstance(item, Publication) else item
