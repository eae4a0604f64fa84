"""Telling whoever may decide the step a request's reply now awaits (审核, 签发, …) that it opened.

The same path as a publication's step notice: Apprise through the office's routing, each send
claimed first and every attempt a ledger entry (`notify.delivery`), under a key of request,
draft round, step and recipient, so telling again after a retry or a second call sends nothing
twice. Who is told is `review.deciders.eligible` on the reply's subject — the one rule of who
may decide it (代签 delegates and 会签 members included). The applicant's name and contact are
never in the notice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from pubreview import db, settings
from pubreview.notify.delivery import Delivery, DeliveryResult, RetryPolicy
from pubreview.notify.entries import reply_step_key
from pubreview.notify.messages import Message, render
from pubreview.notify.reminders import routing_or_problem, send_planned
from pubreview.requests import reply, store

EVENT = "reply_step"  # its templates: templates/notify/reply_step/


@dataclass(frozen=True)
class ReplyStepDelivery(Delivery):
    """A notice to one person that a reply step they may decide opened."""

    request_id: int
    round: int

    def key(self, service: str) -> str:
        """Once per request, round, step, recipient and service."""
        return reply_step_key(self.request_id, self.round, self.stage, self.recipient, service)

    def details(self) -> dict[str, object]:
        """The request and draft round the entry is about."""
        return {"request_id": self.request_id, "round": self.round}


@dataclass
class ReplyStepRun:
    """What one telling did: the notices sent (or not) and any problem (routing)."""

    problems: list[str]
    notices: list[tuple[object, str, list[DeliveryResult]]]


def tell_reply_step(
    request_id: int,
    *,
    engine: Engine | None = None,
    policy: RetryPolicy | None = None,
) -> ReplyStepRun:
    """Tell each person who may decide the step the reply awaits; nothing when none awaits."""
    from pubreview.review import deciders

    run = ReplyStepRun([], [])
    with db.transaction(engine) as session:
        found = reply.subject(session, request_id)
        if found is None:
            return run
        last = found.round
        step = last.chain.step(last.next_step)
        people = deciders.eligible(session, found)
        req = store.get(session, request_id)
        routing, problem = routing_or_problem(session)
        planned = [
            (
                step.id,
                ReplyStepDelivery(
                    None,
                    None,
                    step.id,
                    EVENT,
                    p.username,
                    request_id=request_id,
                    round=last.number,
                ),
                _message(req, last, step.label, p.name, p.username),
                routing.targets(p.username) if routing else [],
            )
            for p in people
        ]
    send_planned(run, planned, problem, engine=engine, policy=policy, flow_run_id=None)
    return run


def _message(req, last: reply.Round, label: str, name: str, username: str) -> Message:
    """The notice (no personal data: the content requested, not who asked)."""
    return render(
        EVENT,
        {
            "recipient": name,
            "username": username,
            "request_id": req.id,
            "round": last.number,
            "step_label": label,
            "content": req.content[:60] + ("…" if len(req.content) > 60 else ""),
            "drafter": last.drafter,
            "chain_text": " → ".join([reply.DRAFT_LABEL] + [s.label for s in last.chain.steps]),
            "link": f"{settings.load().web_url}requests/{req.id}",
        },
    )
