"""Login, logout and the signed-in person: the foundation every logged-in page stands on.

A page asks for `user: CurrentUser = Depends(current_user)`; without a live session that
raises LoginRequired and the app answers with the login page (a GET is redirected to
/login?next=…; a POST gets the login form at once, carrying the fields it posted, so an
expired session loses nothing typed). A logged-in form carries `user.csrf_token` in a
hidden field named "csrf" and the route calls `check_csrf(user, form)` before writing.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from models import Account, LoginSession, Person, Role, RoleGrant
from pubreview.accounts import audit, authz, login, sessions, totp
from pubreview.accounts.audit import AccessEvent
from pubreview.errors import CsrfRefused, Forbidden, LoginRequired, TotpSecretUnreadable
from pubreview.links import secret_key, web_url
from pubreview.web import csrf
from pubreview.web.common import (
    NOTHING_CHANGED,
    SECURITY_HEADERS,
    message,
    page,
    snapshot,
    transaction,
)

__all__ = [
    "COOKIE",
    "CsrfRefused",
    "CurrentUser",
    "LoginRequired",
    "SignedIn",
    "check_csrf",
    "current_user",
    "router",
]

COOKIE = "pubreview_session"
LOGIN_CSRF_COOKIE = "pubreview_login_csrf"
# The login form's token is bound to this constant as a review form's is to its link.
_LOGIN_FORM = "login-form"
# Fields a POST that met an expired session carries through the login form, as carry:<name>.
CARRY = "carry:"
_NOT_CARRIED = {"csrf", "password"}

router = APIRouter()


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in person of this request (`session_id`: the session's row id, not its secret)."""

    person_id: int
    username: str
    name: str
    session_id: str
    csrf_token: str
    roles: frozenset[tuple[str, int]]  # (role value, unit id)

    def has(self, role: Role | str, unit_id: int | None = None) -> bool:
        """Whether the person holds the role (for this unit, or for any unit)."""
        value = Role(role).value
        return any(r == value and (unit_id is None or u == unit_id) for r, u in self.roles)

    @property
    def reviewer(self) -> bool:
        """Section heads and leaders: they have a queue."""
        return self.has(Role.SECTION_HEAD) or self.has(Role.LEADER)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _secure() -> bool:
    return web_url().startswith("https:")


def _set_session_cookie(response: Response, session_id: str) -> None:
    response.set_cookie(
        COOKIE, session_id, httponly=True, samesite="lax", secure=_secure(), path="/"
    )


def _load_user(session_id: str | None) -> tuple[CurrentUser | None, str]:
    """The user of a session cookie, or None and why not (expiry is written, not raised).

    Read in a snapshot, so a page view never waits for the ledger's writer; only a session
    due to be marked as seen (at most once a minute) or to be ended takes a short write.
    """
    with snapshot() as session:
        looked = sessions.look_up(session, session_id)
        row, reason, user = looked.row, looked.reason, None
        if reason is None and row.stage != sessions.ACTIVE:
            reason = "pending"
        elif reason is None:
            # The account, its person and their grants in one query (a row per grant).
            found = session.execute(
                select(Account.disabled, Person, RoleGrant.role, RoleGrant.unit_id)
                .join(Person, Person.id == Account.person_id)
                .outerjoin(RoleGrant, RoleGrant.person_id == Person.id)
                .where(Account.person_id == row.person_id)
            ).all()
            if not found or found[0].disabled:
                reason = "disabled"
            else:
                roles = frozenset(
                    (Role(g.role).value, g.unit_id) for g in found if g.role is not None
                )
                user = _user_of(session, row, roles)
    ended = {"idle": "expired_idle", "max": "expired_max", "disabled": "disabled"}
    if row is not None and (reason in ended or (user is not None and looked.touch)):
        with transaction() as session:
            sessions.settle(session, row.id, ended.get(reason))
    return user, reason or ""


def _user_of(
    session: Session, row: LoginSession, roles: frozenset[tuple[str, int]] | None = None
) -> CurrentUser:
    """The signed-in person of a session row (`roles`: their grants, if already read)."""
    person = session.get(Person, row.person_id)
    return CurrentUser(
        person_id=person.id,
        username=person.username,
        name=person.name,
        session_id=str(row.id),
        csrf_token=row.csrf_token,
        roles=authz.roles_of(session, person.id) if roles is None else roles,
    )


def current_user(request: Request) -> CurrentUser:
    """FastAPI dependency: the signed-in person, or LoginRequired."""
    user, reason = _load_user(request.cookies.get(COOKIE))
    if user is None:
        raise LoginRequired(_WHY_LOGIN.get(reason, "请先登录"), reason=reason)
    request.state.user = user
    return user


_WHY_LOGIN = {
    "idle": "登录已超时（长时间未操作），请重新登录",
    "max": "登录已超过最长时限，请重新登录",
    "revoked": "您的登录已结束（已退出、密码已更改或被管理员终止），请重新登录",
    "disabled": "您的账户已停用，如有疑问请联系管理员",
}

# What a route declares to need a signed-in person: `def page(user: SignedIn) -> …`.
SignedIn = Annotated[CurrentUser, Depends(current_user)]


def optional_user(request: Request) -> CurrentUser | None:
    """The signed-in person if any (for pages that also work logged out)."""
    user, _ = _load_user(request.cookies.get(COOKIE))
    if user is not None:
        request.state.user = user
    return user


def check_csrf(user: CurrentUser, form: dict) -> None:
    """Raise CsrfRefused unless the form carries this session's token."""
    submitted = form.get("csrf")
    if not isinstance(submitted, str) or not hmac.compare_digest(
        submitted.encode(), user.csrf_token.encode()
    ):
        raise CsrfRefused("无法验证本次提交")


def safe_next(value: str | None) -> str | None:
    """A local path to go on to after login, or None for anything else (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in {"/login", "/logout"}:
        return None
    return value


def home_of(user: CurrentUser) -> str:
    """Where a person lands after login when no page was asked for."""
    if user.reviewer:
        return "/queue"
    if user.has(Role.CENTER):
        return "/center"
    if user.has(Role.SUBMITTER):
        return "/my"
    if user.has(Role.ADMIN):
        return "/admin"
    return "/account"


def _login_page(
    request: Request,
    status: int = 200,
    *,
    next_path: str | None = None,
    username: str = "",
    error: str | None = None,
    notice: str | None = None,
    carry: list[tuple[str, str]] | None = None,
) -> HTMLResponse:
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not csrf.usable_nonce(nonce):
        nonce = csrf.new_nonce()
    response = page(
        "login.html",
        status,
        next_path=next_path or "",
        username=username,
        error=error,
        notice=notice,
        carry=carry or [],
        carry_prefix=CARRY,
        csrf_token=csrf.form_token(_LOGIN_FORM, nonce),
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, nonce, httponly=True, samesite="lax", secure=_secure(), path="/login"
    )
    return response


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)


def _login_url(next_path: str | None) -> str:
    return f"/login?next={quote(next_path, safe='/')}" if next_path else "/login"


def _carried(items: list[tuple[str, object]]) -> tuple[list[tuple[str, str]], bool]:
    """The text fields of an interrupted POST, and whether it also held files (not kept)."""
    kept, files = [], False
    for name, value in items:
        if isinstance(value, UploadFile):
            files = files or bool(value.filename)
        elif isinstance(value, str) and name not in _NOT_CARRIED:
            kept.append((name, value))
    return kept, files


async def login_required_handler(request: Request, exc: LoginRequired) -> Response:
    """No live session: a GET goes to /login?next=…; a POST gets the login form with its fields."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    next_path = safe_next(target)
    if request.method in {"GET", "HEAD"}:
        return _see_other(_login_url(next_path))
    try:
        carry, had_files = _carried(list((await request.form()).multi_items()))
    except Exception:  # noqa: BLE001 - an unreadable body is simply not carried
        carry, had_files = [], False
    notice = f"{exc}。您刚才填写的内容已保留，登录后确认即可继续提交。"
    if had_files:
        notice += "所选的附件文件无法保留，登录后请重新选择。"
    return _login_page(request, 401, next_path=next_path, notice=notice, carry=carry)


def csrf_refused_handler(request: Request, _exc: CsrfRefused) -> HTMLResponse:
    """A logged-in form without its session's token: 403, nothing written."""
    return message(
        403,
        "无法验证本次提交",
        "提交必须来自本系统的页面，且在您当前的登录中打开。请返回上一页，刷新后重新提交。"
        f"{NOTHING_CHANGED}",
        user=getattr(request.state, "user", None),
    )


def forbidden_handler(request: Request, exc: Forbidden) -> HTMLResponse:
    """Not allowed: 403 with the reason, nothing written."""
    return message(
        403, "无权访问", f"{exc}。{NOTHING_CHANGED}", user=getattr(request.state, "user", None)
    )


async def _form(request: Request) -> tuple[dict[str, str], list[tuple[str, str]]]:
    items = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    fields = dict(items)
    carry = [(k.removeprefix(CARRY), v) for k, v in items if k.startswith(CARRY)]
    return fields, carry


def login_csrf_ok(request: Request, fields: dict[str, str]) -> bool:
    """Whether a login-form POST carries the token bound to this browser's login cookie."""
    return csrf.valid(_LOGIN_FORM, request.cookies.get(LOGIN_CSRF_COOKIE), fields.get("csrf"))


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, done: str | None = None) -> Response:
    """The login page; someone already signed in goes straight on."""
    next_path = safe_next(next)
    user = optional_user(request)
    if user is not None and next_path:
        return _see_other(next_path)
    notice = "您已安全退出登录。" if done == "logout" else None
    if user is not None:
        notice = (
            f"您当前已登录为 {user.name}（{user.username}）；如需换一个账户，请在下面重新登录。"
        )
    return _login_page(request, next_path=next_path, notice=notice)


@dataclass(frozen=True)
class _SignedIn:
    outcome: login.LoginOutcome
    session_id: str = ""
    csrf_token: str = ""
    home: str = "/account"


def _sign_in(request: Request, username: str, password: str) -> _SignedIn:
    """Check the password and open a new session (the old one, if any, ends: no fixation)."""
    ip = _client_ip(request)
    with snapshot() as session:
        hashed = login.stored_hash(session, username)
    checked = login.check(password, hashed)  # slow on purpose: outside the write transaction
    with transaction() as session:
        outcome = login.authenticate(session, username, password, ip=ip, checked=checked)
        if not outcome.ok:
            return _SignedIn(outcome)
        old, _ = sessions.find(session, request.cookies.get(COOKIE))
        if old is not None:
            sessions.revoke(session, old, "rotated")
        started = sessions.start(session, outcome.person.id, stage=outcome.stage, ip=ip)
        if outcome.stage == sessions.ACTIVE:
            login.record_login(session, outcome.person, ip=ip)
        return _SignedIn(
            outcome,
            started.session_id,
            started.row.csrf_token,
            home_of(_user_of(session, started.row)),
        )


def _continue(next_path: str | None, carry: list[tuple[str, str]], signed: _SignedIn) -> Response:
    """After login: on to `next`, or a page that re-posts the interrupted form with a new token."""
    if carry and next_path:
        response: Response = page(
            "continue.html",
            action=next_path,
            fields=[(k, v) for k, v in carry if k != "csrf"],
            csrf_token=signed.csrf_token,
        )
    else:
        response = _see_other(next_path or signed.home)
    _set_session_cookie(response, signed.session_id)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    """Check the login form; on success a new session and on to `next`."""
    fields, carry = await _form(request)
    next_path = safe_next(fields.get("next"))
    username = fields.get("username", "").strip()
    if not login_csrf_ok(request, fields):
        return _login_page(
            request,
            403,
            next_path=next_path,
            username=username,
            carry=carry,
            error="无法验证本次提交：登录页面已过期或不是从本系统打开的，请重新输入后登录。",
        )
    if not username or not fields.get("password"):
        return _login_page(
            request,
            400,
            next_path=next_path,
            username=username,
            carry=carry,
            error="请输入用户名和密码。",
        )
    signed = await run_in_threadpool(_sign_in, request, username, fields.get("password", ""))
    if not signed.outcome.ok:
        return _login_page(
            request,
            401,
            next_path=next_path,
            username=username,
            carry=carry,
            error=signed.outcome.refusal,
        )
    if signed.outcome.stage == sessions.AWAITING_CODE:
        response = _code_page(next_path, carry, signed.csrf_token)
    elif signed.outcome.stage == sessions.MUST_ENROL:
        response = _see_other("/account/totp" + (f"?next={quote(next_path)}" if next_path else ""))
    else:
        return _continue(next_path, carry, signed)
    _set_session_cookie(response, signed.session_id)
    return response


def _code_page(
    next_path: str | None,
    carry: list[tuple[str, str]],
    csrf_token: str,
    status: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    return page(
        "totp_login.html",
        status,
        next_path=next_path or "",
        carry=carry,
        carry_prefix=CARRY,
        csrf_token=csrf_token,
        error=error,
    )


def _sign_out(request: Request, fields: dict[str, str]) -> bool:
    """End this browser's session if the form carries its token; False if it does not."""
    with transaction() as session:
        row, _ = sessions.find(session, request.cookies.get(COOKIE))
        if row is None:
            return True
        if not hmac.compare_digest(fields.get("csrf", "").encode(), row.csrf_token.encode()):
            return False
        sessions.revoke(session, row, "logout")
        person = session.get(Person, row.person_id)
        audit.record(
            session,
            AccessEvent.LOGOUT,
            actor=person.username,
            username=person.username,
            ip=_client_ip(request),
        )
        return True


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session server side and forget the cookie."""
    fields, _ = await _form(request)
    if not await run_in_threadpool(_sign_out, request, fields):
        raise CsrfRefused("无法验证本次提交")
    response = _see_other("/login?done=logout")
    response.delete_cookie(COOKIE, path="/", secure=_secure(), httponly=True, samesite="lax")
    return response


@dataclass(frozen=True)
class Pending:
    """A session whose password was checked but which still needs its second factor."""

    row_id: int
    person_id: int
    username: str
    stage: str
    csrf_token: str


def pending_session(request: Request, stage: str) -> Pending | None:
    """This browser's half-open session at `stage` (sessions.AWAITING_CODE or MUST_ENROL)."""
    with transaction() as session:
        row, _ = sessions.find(session, request.cookies.get(COOKIE))
        if row is None or row.stage != stage:
            return None
        person = session.get(Person, row.person_id)
        return Pending(row.id, person.id, person.username, row.stage, row.csrf_token)


def finish_second_factor(
    request: Request, pending: Pending, *, next_path: str | None, carry: list[tuple[str, str]]
) -> Response:
    """The code checked out: a fresh active session (its id rotated again) and on to `next`."""
    ip = _client_ip(request)
    with transaction() as session:
        row = session.get(LoginSession, pending.row_id)
        started = sessions.promote(session, row, ip=ip)
        person = session.get(Person, pending.person_id)
        login.record_login(session, person, ip=ip, second_factor=True)
        signed = _SignedIn(
            login.LoginOutcome(person),
            started.session_id,
            started.row.csrf_token,
            home_of(_user_of(session, started.row)),
        )
    return _continue(next_path, carry, signed)


@router.get("/login/totp", response_class=HTMLResponse)
def totp_form(request: Request, next: str | None = None) -> Response:
    """The second step of a login with a one-time code."""
    pending = pending_session(request, sessions.AWAITING_CODE)
    if pending is None:
        return _see_other(_login_url(safe_next(next)))
    return _code_page(safe_next(next), [], pending.csrf_token)


def totp_key() -> bytes:
    """The key that seals stored TOTP secrets: derived from the signing secret of links."""
    return totp.sealing_key(secret_key())


def _check_code(request: Request, pending: Pending, code: str) -> str | None:
    """None when the code is right; else the refusal (a lock-out ends the half-open session)."""
    with transaction() as session:
        person = session.get(Person, pending.person_id)
        account = session.get(Account, pending.person_id)
        if account.disabled:
            sessions.revoke(session, session.get(LoginSession, pending.row_id), "disabled")
            return "该账户已停用，如有疑问请联系管理员"
        try:
            if totp.check_code(account, code, key=totp_key()):
                return None
        except TotpSecretUnreadable as exc:
            return str(exc)  # not the person's mistake: no failure counted
        refusal = login.count_failure(
            session, person, account, ip=_client_ip(request), reason="totp"
        )
        if login.is_locked(account):
            sessions.revoke(session, session.get(LoginSession, pending.row_id), "locked")
        return refusal


@router.post("/login/totp", response_class=HTMLResponse)
async def totp_submit(request: Request) -> Response:
    """Check the one-time code; on success the session opens."""
    fields, carry = await _form(request)
    next_path = safe_next(fields.get("next"))
    pending = await run_in_threadpool(pending_session, request, sessions.AWAITING_CODE)
    if pending is None:
        return _login_page(
            request, 401, next_path=next_path, carry=carry, error="登录已超时，请重新输入密码。"
        )
    if not hmac.compare_digest(fields.get("csrf", "").encode(), pending.csrf_token.encode()):
        raise CsrfRefused("无法验证本次提交")
    refusal = await run_in_threadpool(_check_code, request, pending, fields.get("code", ""))
    if refusal is not None:
        still = await run_in_threadpool(pending_session, request, sessions.AWAITING_CODE)
        if still is None:
            return _login_page(request, 401, next_path=next_path, carry=carry, error=refusal)
        return _code_page(next_path, carry, pending.csrf_token, 401, refusal)
    return await run_in_threadpool(
        finish_second_factor, request, pending, next_path=next_path, carry=carry
    )
