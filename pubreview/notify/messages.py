"""Messages from Jinja2 templates: templates/notify/<event>/{subject.txt,body.txt,body.html}.

Each event's templates extend one base and are fed by one small context function. The HTML
is autoescaped (a submitter's title is text, never markup); StrictUndefined makes a missing
variable an error instead of a blank.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Person, Publication, Unit
from pubreview import publishing
from pubreview.chains.binding import chain_of
from pubreview.labels import OUTCOME_LABEL, STATUS_LABEL
from pubreview.links import review_link
from pubreview.notify.recipients import Notice, Recipient
from pubreview.publishing import catalog as catalog_mod
from pubreview.rendering import environment
from pubreview.review.submission import screening_record
from pubreview.review.workflow import Outcome, publishes, screens


@dataclass(frozen=True)
class Message:
    """One rendered message: a subject line, a plain-text body and an HTML body."""

    subject: str
    text: str
    html: str


def _decide(pub_id: int, username: str, outcome: str, extra: str = "") -> str:
    return f"pubreview decide {pub_id} {outcome} --as {username}{extra}"


def _step_commands(session: Session, notice: Notice, to: Recipient, pub: Publication) -> list[str]:
    """The exact commands the recipient may run to decide the step."""
    pub_id, user = notice.publication_id, to.username
    if screens(notice.event, chain_of(session, pub)):
        approve = _decide(pub_id, user, "approve", " --attest-no-secrets")
    elif publishes(notice.event):
        catalog = catalog_mod.load()
        hand = [c for c in pub.channels if not catalog.is_site(c)]
        approve = _decide(pub_id, user, "approve", "".join(f" --url {c}=URL" for c in hand))
    else:
        approve = _decide(pub_id, user, "approve")
    return [
        approve,
        _decide(pub_id, user, "return", ' --comment "退回原因"'),
        _decide(pub_id, user, "reject", ' --comment "不予发布的原因"'),
    ]


def _findings(session: Session, notice: Notice) -> list[dict[str, Any]]:
    return screening_record(session, notice.publication_id, notice.revision).findings


def common_context(session: Session, notice: Notice, to: Recipient) -> dict[str, Any]:
    """What every message says: the item, where it stands, who decided last and why."""
    pub = session.get(Publication, notice.publication_id)
    submitter = session.get(Person, pub.submitter_id)
    decision = notice.decision
    decider = None
    if decision is not None:
        person = session.scalars(select(Person).where(Person.username == decision.actor)).first()
        decider = person.name if person else decision.actor
    return {
        "publication_id": pub.id,
        "title": pub.title,
        "unit": session.get(Unit, pub.unit_id).name,
        "category": pub.category,
        "channels": list(pub.channels),
        "submitter": submitter.name,
        "submitter_username": submitter.username,
        "revision": notice.revision,
        "stage_label": chain_of(session, pub).label_of(notice.stage),
        "status_label": STATUS_LABEL[pub.status],
        "recipient": to.name,
        "recipient_username": to.username,
        "decision": None
        if decision is None
        else {
            "stage_label": chain_of(session, pub).label_of(decision.stage),
            "outcome_label": OUTCOME_LABEL[Outcome(decision.outcome)],
            "by": decider,
            "comment": decision.comment,
        },
        "commands": [],
        "link": None,
        "findings": [],
        "urls": {},
    }


def step_context(session: Session, notice: Notice, to: Recipient) -> dict[str, Any]:
    """A stage waits on the recipient: the commands to decide it and their personal link."""
    ctx = common_context(session, notice, to)
    pub = session.get(Publication, notice.publication_id)
    ctx["commands"] = _step_commands(session, notice, to, pub)
    ctx["link"] = review_link(to.username, pub.id, notice.stage, notice.revision)
    if screens(notice.event, chain_of(session, pub)):
        ctx["findings"] = _findings(session, notice)
    return ctx


def returned_context(session: Session, notice: Notice, to: Recipient) -> dict[str, Any]:
    """Back for revision: the submitter gets the resubmit command, earlier approvers are told."""
    ctx = common_context(session, notice, to)
    if to.is_submitter:
        ctx["commands"] = [
            f"pubreview resubmit {notice.publication_id} --as {to.username} --body-file 修改稿.md"
        ]
    return ctx


def published_context(session: Session, notice: Notice, to: Recipient) -> dict[str, Any]:
    """Out on its channels: where each one went."""
    ctx = common_context(session, notice, to)
    out = publishing.published_channels(session, notice.publication_id)
    ctx["urls"] = {c: (out[c].url if c in out else None) for c in ctx["channels"]}
    return ctx


CONTEXTS: dict[str, Callable[[Session, Notice, Recipient], dict[str, Any]]] = {
    "prereview": step_context,
    "signoff": step_context,
    "publication": step_context,
    "returned": returned_context,
    "rejected": common_context,
    "published": published_context,
    "withdrawn": common_context,
}


def render(event: str, context: dict[str, Any]) -> Message:
    """Render one event's three templates with the context."""
    env = environment()
    subject = env.get_template(f"notify/{event}/subject.txt").render(**context)
    return Message(
        subject=" ".join(subject.split()),  # one line, whatever the title held
        text=env.get_template(f"notify/{event}/body.txt").render(**context),
        html=env.get_template(f"notify/{event}/body.html").render(**context),
    )


def message_for(session: Session, notice: Notice, to: Recipient) -> Message:
    """The message telling one recipient about one notice."""
    if notice.event in CONTEXTS:
        return render(notice.event, CONTEXTS[notice.event](session, notice, to))
    # A step of a configured chain: one message for every such step, naming it.
    return render("step", step_context(session, notice, to))
