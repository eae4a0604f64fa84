"""代签 on the web: the delegations a person gave and received, a form to give one, revoking.

Every rule is `pubreview.review.delegation`'s; this page only reads the form and shows its
refusals. An administrator may also give or revoke one on behalf of someone on leave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from models import Person, Role
from models.base import utcnow
from pubreview import settings
from pubreview.clock import local_time
from pubreview.errors import NotFound, ValidationError
from pubreview.labels import ROLE_LABEL
from pubreview.review import delegation
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

PATH = "/account/delegation"
# Submitters decide nothing, so there is nothing of theirs to delegate (as on the command line).
DELEGABLE = [r for r in Role if r is not Role.SUBMITTER]


@dataclass(frozen=True)
class Row:
    """One delegation as the page lists it."""

    id: int
    giver: str  # usernames, to sort rows into given and received
    taker: str
    delegator: str
    delegate: str
    role: str
    starts: str
    ends: str
    status: str
    in_force: bool
    revocable: bool


def _names(session: Session) -> dict[str, str]:
    rows = session.execute(select(Person.username, Person.name).order_by(Person.username))
    return {username: name for username, name in rows}


def _who(names: dict[str, str], username: str) -> str:
    return f"{names.get(username, username)}（{username}）"


def _row(d: delegation.Delegation, names: dict[str, str], user: CurrentUser) -> Row:
    in_force = d.active()
    ended = d.revoked_at is not None or d.ends <= utcnow()
    return Row(
        id=d.id,
        giver=d.delegator,
        taker=d.delegate,
        delegator=_who(names, d.delegator),
        delegate=_who(names, d.delegate),
        role=ROLE_LABEL[d.role.value] if d.role else "全部角色",
        starts=local_time(d.starts),
        ends=local_time(d.ends),
        status="生效中" if in_force else d.why_not(),
        in_force=in_force,
        revocable=not ended
        and delegation.may_act_for(user.username, d.delegator, admin=user.has(Role.ADMIN)),
    )


def _page(
    user: CurrentUser,
    status: int = 200,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    bad: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    admin = user.has(Role.ADMIN)
    with snapshot() as session:
        names = _names(session)
        every = [_row(d, names, user) for d in reversed(delegation.delegations(session))]
    given = [r for r in every if r.giver == user.username]
    received = [r for r in every if r.taker == user.username]
    others = [r for r in every if admin and user.username not in (r.giver, r.taker)]
    mine = {role for role, _unit in user.roles}
    roles = [(r.value, ROLE_LABEL[r.value]) for r in DELEGABLE if admin or r.value in mine]
    return page(
        "account_delegation.html",
        status,
        user=user,
        admin=admin,
        given=given,
        received=received,
        others=others,
        people=[(u, _who(names, u)) for u in names],
        roles=roles,
        form={name: (form or {}).get(name, "") for name in _FORM_FIELDS},
        error=error,
        bad=bad,
        done=_DONE.get(done or ""),
        timezone=str(settings.office_timezone()),
        csrf_token=user.csrf_token,
    )


_FORM_FIELDS = ("delegator", "delegate", "role", "ends", "reason")
_DONE = {"granted": "代签委托已记录。", "revoked": "代签委托已撤销。"}


@router.get(PATH, response_class=HTMLResponse)
def delegation_page(user: SignedIn, done: str | None = None) -> HTMLResponse:
    """My delegations, given and received, and the form to give one."""
    return _page(user, done=done)


async def _fields(request: Request) -> dict[str, str]:
    return {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}


def _until(value: str) -> datetime:
    """The form's end, a date or date-time in office time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("代签：请填写结束时间，如 2026-12-31 18:00", field="ends") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.office_timezone())


def _grant(user: CurrentUser, fields: dict[str, str]) -> delegation.Delegation:
    """Record the delegation the form asks for; ValidationError names the field at fault."""
    delegator = fields.get("delegator") or user.username
    role_value = fields.get("role", "")
    if role_value and role_value not in {r.value for r in DELEGABLE}:
        raise ValidationError("代签：请选择要委托的角色", field="role")
    ends = _until(fields.get("ends", ""))
    with transaction() as session:
        delegation.require_may_grant(session, user.username, delegator)
        names = _names(session)
        if delegator not in names:
            raise ValidationError(f"代签：委托人「{delegator}」不存在", field="delegator")
        if fields.get("delegate", "") not in names:
            raise ValidationError("代签：请选择代签人", field="delegate")
        return delegation.grant(
            session,
            delegator=delegator,
            delegate=fields["delegate"],
            role=Role(role_value) if role_value else None,
            ends=ends,
            actor=user.username,
            reason=fields.get("reason"),
        )


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)


@router.post(PATH, response_class=HTMLResponse)
async def grant_delegation(request: Request, user: SignedIn) -> Response:
    """Give a delegation (an administrator may name the delegator); refused: the form again."""
    fields = await _fields(request)
    check_csrf(user, fields)
    try:
        await run_in_threadpool(_grant, user, fields)
    except ValidationError as exc:
        error, bad = f"{exc}。{NOTHING_CHANGED}", exc.field
    else:
        return _see_other(f"{PATH}?done=granted")
    return await run_in_threadpool(lambda: _page(user, 400, form=fields, error=error, bad=bad))


def _revoke(user: CurrentUser, delegation_id: int, reason: str | None) -> None:
    with transaction() as session:
        delegation.require_may_revoke(session, user.username, delegation_id)
        delegation.revoke(session, delegation_id, actor=user.username, reason=reason)


@router.post(PATH + "/{delegation_id}/revoke", response_class=HTMLResponse)
async def revoke_delegation(request: Request, delegation_id: int, user: SignedIn) -> Response:
    """End a delegation now."""
    fields = await _fields(request)
    check_csrf(user, fields)
    try:
        await run_in_threadpool(_revoke, user, delegation_id, fields.get("reason"))
    except NotFound as exc:
        return message(404, str(exc), NOTHING_CHANGED, links=[("返回代签委托", PATH)], user=user)
    return _see_other(f"{PATH}?done=revoked")
