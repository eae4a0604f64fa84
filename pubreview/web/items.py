"""What the logged-in pages show of items: the submit form's choices, my items, one item's page.

Nothing here writes. Who may see an item is asked of `authz.require`, who may decide its open
step of `deciders.eligible`, who may withdraw it of `withdrawal.refusal` — each rule in its place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import (
    Attachment,
    LedgerEntry,
    LedgerKind,
    Person,
    Publication,
    Revision,
    Role,
    RoleGrant,
    Stage,
    Status,
    Unit,
)
from models.publication import step_id
from pubreview import ledger
from pubreview.accounts import authz
from pubreview.chains.binding import step_label
from pubreview.clock import local_time
from pubreview.labels import (
    DISCLOSURE_LABEL,
    GRADE_LABEL,
    STATUS_LABEL,
    outcome_label,
)
from pubreview.publishing import catalog as catalog_mod
from pubreview.review import withdrawal
from pubreview.review.deciders import eligible, eligible_all
from pubreview.review.submission import AttachmentFile, current_revision, get, screening_of
from pubreview.review.workflow import Outcome
from pubreview.web.auth import CurrentUser
from pubreview.web.draft_form import DraftForm, Preview, screening_view
from pubreview.web.review import (
    _history,
    body_html,
    queue_page,
    revision_diff,
    waited,
)


def submitter_units(session: Session, person_id: int) -> list[Unit]:
    """The units for which the person may submit, by name."""
    return list(
        session.scalars(
            select(Unit)
            .join(RoleGrant, RoleGrant.unit_id == Unit.id)
            .where(RoleGrant.person_id == person_id, RoleGrant.role == Role.SUBMITTER)
            .order_by(Unit.name)
        )
    )


def submit_choices(session: Session, person_id: int) -> dict:
    """The choices of the submit form: units, categories, channels, 公开属性, 信息等级."""
    catalog = catalog_mod.load()
    return {
        "units": [{"code": u.code, "name": u.name} for u in submitter_units(session, person_id)],
        "categories": list(catalog.categories),
        "channels": list(catalog.channels),
        "disclosures": DISCLOSURE_LABEL,
        "grades": GRADE_LABEL,
    }


def _names(people: list[Person]) -> dict[str, str]:
    return {"system": "系统", **{p.username: p.name for p in people}}


def _where(session: Session, pub: Publication, people: list[Person]) -> dict:
    """Status, the step awaited, whom it waits on (`people`: eligible()) and since when."""
    if pub.status is Status.RETURNED:
        what = "待报送人修改后重新提交"
    elif pub.status is Status.IN_REVIEW and pub.stage is not None:
        what = f"待{step_label(session, pub, pub.stage.value)}"
    else:
        what = STATUS_LABEL[pub.status]
    return {
        "status": STATUS_LABEL[pub.status],
        "status_value": pub.status.value,
        "what": what,
        "waiting_on": [f"{p.name}（{p.username}）" for p in people],
        "since": local_time(pub.waiting_since),
        "waited": waited(pub.waiting_since),
    }


def my_items(session: Session, person_id: int) -> dict:
    """The person's own items, newest first, each with where it stands."""
    pubs = session.scalars(
        select(Publication)
        .where(Publication.submitter_id == person_id)
        .order_by(Publication.id.desc())
    ).all()
    # Whom each waits on, for all of them at once (eligible() per item cost a page of queries).
    people = eligible_all(session, pubs)
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    items = []
    for pub in pubs:
        items.append(
            {
                "id": pub.id,
                "title": pub.title,
                "unit": units[pub.unit_id],
                "category": pub.category,
                "revision": pub.current_revision,
                **_where(session, pub, people[pub.id]),
            }
        )
    return {"items": items}


def timeline(session: Session, pub_id: int, names: dict[str, str]) -> list[dict]:
    """Every ledger step of the item in Chinese, with who was notified of what."""
    return _history(session, pub_id, names)


@dataclass(frozen=True)
class ProposedRevision:
    """A resubmission not yet written, shaped like a Revision for `revision_diff`."""

    number: int
    title: str
    body: str
    attachments: list[AttachmentFile] = field(default_factory=list)


def _revision_files(revision: Revision) -> list[dict]:
    return [
        {"id": a.id, "filename": a.filename, "size": a.size, "sha256": a.sha256}
        for a in revision.attachments
    ]


def item_page(
    session: Session,
    user: CurrentUser,
    pub_id: int,
    *,
    resubmit: DraftForm | None = None,
    resubmit_files: list[AttachmentFile] | None = None,
    resubmit_preview: Preview | None = None,
) -> dict:
    """Everything /items/{id} shows to this person; Forbidden when they may not see it."""
    pub = get(session, pub_id)
    authz.require(session, user, "view_item", publication=pub)
    # Everyone, kept while the page is built: the session's identity map holds its objects
    # weakly, and the submitter and the deciders are then found without another query.
    everyone = session.scalars(select(Person)).all()
    names = _names(everyone)
    revision = current_revision(session, pub)
    submitter = session.get(Person, pub.submitter_id)
    history = timeline(session, pub.id, names)
    is_submitter = user.person_id == pub.submitter_id
    people = eligible(session, pub)
    deciders = {p.username for p in people}
    may_decide = pub.status is Status.IN_REVIEW and user.username in deciders
    returned = pub.status is Status.RETURNED
    return_comment = None
    if returned:
        last = ledger.decisions_on(session, pub.id, pub.current_revision)[-1:]
        if last and last[0].outcome == Outcome.RETURN.value:
            entry = last[0]
            return_comment = {
                "actor": names.get(entry.actor, entry.actor),
                "stage": step_label(session, pub, entry.stage),
                "at": local_time(entry.created_at),
                "comment": entry.comment or "",
            }
    diff = None
    if returned and is_submitter and resubmit is not None:
        proposed = ProposedRevision(
            revision.number + 1, resubmit.title.strip(), resubmit.body.strip(), resubmit_files or []
        )
        diff = revision_diff(revision, proposed)
    elif pub.current_revision > 1:
        previous = _revision(session, pub.id, pub.current_revision - 1)
        if previous is not None:
            diff = revision_diff(previous, revision)
    catalog = catalog_mod.load()
    return {
        "pub": {
            "id": pub.id,
            "title": revision.title,
            "unit": session.get(Unit, pub.unit_id).name,
            "submitter": f"{submitter.name}（{submitter.username}）",
            "category": pub.category,
            "channels": list(pub.channels),
            "disclosure": DISCLOSURE_LABEL[pub.disclosure.value],
            "disclosure_reason": pub.disclosure_reason or "",
            "grade": GRADE_LABEL[pub.grade.value],
            "fingerprint": revision.fingerprint,
            "revision": revision.number,
            **_where(session, pub, people),
        },
        "body_html": body_html(revision.body),
        "attachments": _revision_files(revision),
        "screening": screening_view(screening_of(session, pub.id, revision.number) or {}),
        "history": history,
        "diff": diff,
        "returned": returned,
        "return_comment": return_comment,
        "is_submitter": is_submitter,
        "may_resubmit": returned and is_submitter,
        "may_withdraw": withdrawal.may_withdraw(session, pub, user.username),
        "may_decide": may_decide,
        "stage": pub.stage.value if may_decide else None,
        "stage_label": step_label(session, pub, pub.stage.value) if may_decide else "",
        "manual_channels": [
            c for c in pub.channels if c in catalog.channels and not catalog.is_site(c)
        ],
        "site_channels": [c for c in pub.channels if catalog.is_site(c)],
        "resubmit": resubmit
        or DraftForm(
            title=revision.title, body=revision.body, keep=[a.id for a in revision.attachments]
        ),
        "resubmit_preview": resubmit_preview,
    }


def attachment_for(
    session: Session, user: CurrentUser, pub_id: int, attachment_id: int
) -> Attachment | None:
    """An attachment of any revision of the item, if this person may see the item."""
    pub = get(session, pub_id)
    authz.require(session, user, "view_item", publication=pub)
    return session.scalars(
        select(Attachment)
        .join(Revision, Revision.id == Attachment.revision_id)
        .where(Revision.publication_id == pub.id, Attachment.id == attachment_id)
    ).first()


def _revision(session: Session, pub_id: int, number: int) -> Revision | None:
    return session.scalars(
        select(Revision)
        .options(selectinload(Revision.attachments))
        .where(Revision.publication_id == pub_id, Revision.number == number)
    ).first()


def stage_of(value: str | None) -> Stage | None:
    """A stage value from a form, or None."""
    return step_id(value) if value else None


def my_queue(session: Session, username: str) -> dict:
    """What waits on this person (today's queue, linking to the item pages)."""
    view = queue_page(session, username)
    for item in view["items"]:
        item["link"] = f"/items/{item['id']}"
    return view


def decided_before(session: Session, username: str, limit: int = 100) -> list[dict]:
    """What this person decided before, newest first."""
    rows = session.execute(
        select(LedgerEntry, Publication.title)
        .join(Publication, Publication.id == LedgerEntry.publication_id)
        .where(LedgerEntry.kind == LedgerKind.DECIDED, LedgerEntry.actor == username)
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": entry.publication_id,
            "title": title,
            "revision": entry.revision,
            "stage": step_label(session, entry.publication_id, entry.stage),
            "outcome": outcome_label(entry.outcome),
            "outcome_value": entry.outcome,
            "comment": entry.comment or "",
            "at": local_time(entry.created_at),
            "link": f"/items/{entry.publication_id}",
        }
        for entry, title in rows
    ]
