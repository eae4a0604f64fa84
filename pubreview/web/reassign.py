"""改派 on the web: an administrator gives the step an item waits on to another eligible person.

/admin/reassign lists the items waiting on a person; /admin/reassign/{id} shows who may decide
the step now and offers those who could (by `deciders`, a reassignment aside), with a reason.
Who may reassign is `review.delegation`'s rule and the reassignment itself `review.reassignment`'s;
this page reads the form, shows refusals in Chinese, and tells the new person after commit.
The ledger entry (who, to whom, why) is the record of it; the 审批表 shows it.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from models import Person, Publication, Status, Unit
from pubreview.accounts import authz, org
from pubreview.chains.binding import chain_of
from pubreview.clock import local_time
from pubreview.errors import DecisionRefused, NotFound, ValidationError
from pubreview.review import deciders, delegation, entries
from pubreview.review.reassignment import Reassigned, reassign
from pubreview.web.auth import CurrentUser, SignedIn, check_csrf
from pubreview.web.common import (
    NOTHING_CHANGED,
    SECURITY_HEADERS,
    message,
    page,
    snapshot,
    transaction,
)

router = APIRouter()
PATH = "/admin/reassign"


def _who(person: Person) -> str:
    return f"{person.name}（{person.username}）"


def _waiting(session: Session) -> list[dict]:
    """Every item in review, its step, since when, and whom it waits on."""
    pubs = session.scalars(
        select(Publication)
        .where(Publication.status == Status.IN_REVIEW)
        .order_by(Publication.waiting_since, Publication.id)
    )
    rows = []
    for pub in pubs:
        step = chain_of(session, pub).step(pub.stage)
        rows.append(
            {
                "id": pub.id,
                "title": pub.title,
                "step": step.label,
                "countersign": step.group is not None,
                "since": local_time(pub.waiting_since),
                "waiting_on": "、".join(_who(p) for p in deciders.eligible(session, pub)),
            }
        )
    return rows


def _item(session: Session, pub_id: int) -> dict:
    """One item's waiting step: who may decide it now, whom it may go to, any reassignment."""
    pub = session.get(Publication, pub_id)
    if pub is None:
        raise NotFound(f"没有第 {pub_id} 号信息")
    view: dict = {
        "id": pub.id,
        "title": pub.title,
        "unit": session.get(Unit, pub.unit_id).name,
        "revision": pub.current_revision,
        "open": pub.status is Status.IN_REVIEW,
        "step": None,
        "candidates": [],
    }
    if not view["open"]:
        return view
    step = chain_of(session, pub).step(pub.stage)
    given = deciders.assignment(session, pub)
    given_to = entries.Reassigned.from_payload(given.payload).to if given else None
    if step.group is not None:
        # 会签: a seat of a member still to decide, to someone `deciders` lets take it.
        still = {p.username for p in deciders.eligible(session, pub)}
        members = [p for p in deciders.group_members(session, pub, step) if p.username in still]
        takers = org.holders(session, step.role, deciders.step_scope(session, pub, step))
        view["seats"] = [(p.username, _who(p)) for p in members]
        view["takers"] = [
            (p.username, _who(p))
            for p in takers
            if members and deciders.seat_refusal(session, pub, step, members[0], p) is None
        ]
    view.update(
        step=step.label,
        countersign=step.group is not None,
        since=local_time(pub.waiting_since),
        waiting_on="、".join(_who(p) for p in deciders.eligible(session, pub)) or "（无人可决定）",
        assigned=(given_to, given.actor, given.comment) if given else None,
        candidates=[
            (p.username, _who(p))
            for p in deciders.eligible(session, pub, honour_assignment=False)
            if p.username != given_to
        ],
    )
    return view


def _page(
    user: CurrentUser,
    pub_id: int,
    status: int = 200,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    bad: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    with snapshot() as session:
        authz.require(session, user, "admin")
        item = _item(session, pub_id)
    return page(
        "admin_reassign_item.html",
        status,
        user=user,
        item=item,
        form={k: (form or {}).get(k, "") for k in ("to", "reason", "seat")},
        error=error,
        bad=bad,
        done=done,
        csrf_token=user.csrf_token,
    )


@router.get(PATH, response_class=HTMLResponse)
def waiting_items(user: SignedIn) -> HTMLResponse:
    """Items waiting on a step, each with a link to reassign it."""
    with snapshot() as session:
        authz.require(session, user, "admin")
        rows = _waiting(session)
    return page("admin_reassign.html", user=user, rows=rows)


@router.get(PATH + "/{pub_id}", response_class=HTMLResponse)
def reassign_page(user: SignedIn, pub_id: int, done: int | None = None) -> HTMLResponse:
    """The item's waiting step and the form to reassign it."""
    try:
        return _page(user, pub_id, done="已改派，新的决定人已收到通知。" if done else None)
    except NotFound as exc:
        return _missing(user, exc)


def _missing(user: CurrentUser, exc: NotFound) -> HTMLResponse:
    """No such item: a Chinese page, nothing changed."""
    return message(404, str(exc), NOTHING_CHANGED, links=[("返回改派", PATH)], user=user)


def _reassign(user: CurrentUser, pub_id: int, fields: dict[str, str]) -> Reassigned:
    """Record the reassignment the form asks for (an administrator only)."""
    with transaction() as session:
        delegation.require_may_reassign(session, user.username)
        to = fields.get("to", "")
        if not to:
            raise ValidationError("改派：请选择改由谁决定", field="to")
        if session.scalars(select(Person.id).where(Person.username == to)).first() is None:
            raise ValidationError(f"改派：没有用户名为「{to}」的人员", field="to")
        reason, seat = fields.get("reason", ""), fields.get("seat") or None
        return reassign(
            session,
            pub_id,
            to=to,
            reason=reason,
            actor=user.username,
            via="web-session",
            seat=seat,
        )


@router.post(PATH + "/{pub_id}", response_class=HTMLResponse)
async def reassign_step(
    request: Request, pub_id: int, user: SignedIn, background: BackgroundTasks
) -> Response:
    """Reassign the waiting step; refused: the form again with the reason, nothing written."""
    fields = {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(user, fields)
    try:
        done = await run_in_threadpool(_reassign, user, pub_id, fields)
    except (ValidationError, DecisionRefused) as exc:
        bad = exc.field if isinstance(exc, ValidationError) else "to"
        error = f"{exc}。{NOTHING_CHANGED}"
        try:
            return await run_in_threadpool(
                lambda: _page(user, pub_id, 400, form=fields, error=error, bad=bad)
            )
        except NotFound as missing:
            return _missing(user, missing)
    except NotFound as exc:
        return _missing(user, exc)
    # Imported here: the notification stack is only needed once something was reassigned.
    from pubreview.orchestration.after_commit import tell_next

    # The new person is told after the response; the review run keeps waiting on the step.
    background.add_task(tell_next, done.publication_id)
    return RedirectResponse(f"{PATH}/{pub_id}?done=1", status_code=303, headers=SECURITY_HEADERS)
