"""A person's own account: change the password, set one from a one-time link, enrol TOTP.

The one-time link is issued and checked in accounts.password_links, with the web secret.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from models import Account, Person
from pubreview import settings
from pubreview.accounts import audit, login, passwords, sessions, totp
from pubreview.accounts.password_links import link_person
from pubreview.errors import CsrfRefused, LinkRefused, LoginRequired, PasswordRejected
from pubreview.links import secret_key, web_url
from pubreview.web import csrf
from pubreview.web.auth import (
    CurrentUser,
    Pending,
    SignedIn,
    check_csrf,
    current_user,
    finish_second_factor,
    pending_session,
    safe_next,
    totp_key,
)
from pubreview.web.common import NOTHING_CHANGED, message, page, snapshot, transaction

router = APIRouter()

_ENROL_SALT = "pubreview.web.totp-enrol"
LINK_CSRF_COOKIE = "pubreview_password_csrf"


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _fields(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _new_password(fields: dict[str, str], username: str) -> str:
    """The new password from a form, both copies equal and within the policy."""
    new = fields.get("new_password", "")
    if new != fields.get("confirm_password", ""):
        raise PasswordRejected("两次输入的新密码不一致，请重新输入。")
    passwords.check_policy(new, username)
    return new


# --- the account page -------------------------------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, user: SignedIn) -> HTMLResponse:
    """Who I am signed in as, and links to change the password and set up a code."""
    with snapshot() as session:
        account = session.get(Account, user.person_id)
        enrolled = bool(account and account.totp_secret)
        records = [
            r
            for r in audit.entries(session, limit=30, username=user.username)
            if r.username == user.username
        ]
    recent = [
        {
            "when": r.at.astimezone(settings.office_timezone()).strftime("%Y-%m-%d %H:%M"),
            "label": r.label,
            "ip": r.ip,
        }
        for r in records[:10]
    ]
    return page(
        "account.html",
        user=user,
        enrolled=enrolled,
        required=bool(account and account.totp_required),
        recent=recent,
    )


# --- changing one's own password ---------------------------------------------------------------


def _password_form(user: CurrentUser | None, status: int = 200, **context: object):
    context.setdefault("error", None)
    context.setdefault("need_current", True)
    context.setdefault("action", "/account/password")
    context.setdefault("csrf_token", user.csrf_token if user else "")
    return page("password.html", status, user=user, **context)


@router.get("/account/password", response_class=HTMLResponse)
def change_password_form(user: SignedIn) -> HTMLResponse:
    """The change-password form."""
    return _password_form(user)


def _change_password(user: CurrentUser, fields: dict[str, str], ip: str | None) -> str | None:
    """Change the password; None when done, else what to fix (a wrong current one counts).

    Argon2 runs outside the write transaction: first the current password is checked and the
    new one hashed, then one short transaction records the outcome.
    """
    current = fields.get("current_password", "")
    with transaction() as session:
        account = session.get(Account, user.person_id)
        checked = login.check(current, account.password_hash if account else None)
    problem, new_hash = None, None
    if checked.ok:
        try:
            new = _new_password(fields, user.username)
        except PasswordRejected as exc:
            problem = str(exc)
        else:
            if new == current:
                problem = "新密码不能与当前密码相同。"
            else:
                new_hash = passwords.hash_password(new)
    with transaction() as session:
        person = session.get(Person, user.person_id)
        account = passwords.account_of(session, person)
        if not checked.ok or account.password_hash != checked.hashed:
            refusal = login.count_failure(session, person, account, ip=ip, reason="password")
            if login.is_locked(account):
                sessions.revoke_all(session, person.id, reason="locked")
            return f"当前密码不正确。{refusal}"
        if problem is not None:
            return problem
        passwords.store_hash(
            session,
            person,
            new_hash,
            actor=person.username,
            via="web",
            ip=ip,
            keep_session=int(user.session_id),
        )
    return None


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(request: Request, user: SignedIn) -> HTMLResponse:
    """Check the current password and the policy, then set the new one."""
    fields = await _fields(request)
    check_csrf(user, fields)
    error = await run_in_threadpool(_change_password, user, fields, _ip(request))
    if error is not None:
        return _password_form(user, 400, error=error)
    return message(
        200,
        "密码已修改",
        "新密码已生效。您在其他设备上的登录已全部退出。",
        links=[("返回我的账户", "/account")],
        user=user,
    )


# --- the one-time set-password link -----------------------------------------------------------


def _link_refused(exc: LinkRefused) -> HTMLResponse:
    return message(403, str(exc), NOTHING_CHANGED, links=[("前往登录", "/login")])


@dataclass(frozen=True)
class _LinkTarget:
    username: str
    name: str


def _link_target(token: str) -> _LinkTarget:
    with transaction() as session:
        person = link_person(session, token, secret=secret_key())
        return _LinkTarget(person.username, person.name)


def _link_form(
    request: Request, token: str, target: _LinkTarget, status: int = 200, error: str | None = None
) -> HTMLResponse:
    nonce = request.cookies.get(LINK_CSRF_COOKIE)
    if not csrf.usable_nonce(nonce):
        nonce = csrf.new_nonce()
    response = page(
        "password.html",
        status,
        error=error,
        need_current=False,
        action=f"/password/{token}",
        csrf_token=csrf.form_token(f"password-link\0{token}", nonce),
        for_name=f"{target.name}（{target.username}）",
    )
    response.set_cookie(
        LINK_CSRF_COOKIE,
        nonce,
        httponly=True,
        samesite="lax",
        secure=web_url().startswith("https:"),
        path="/password/",
    )
    return response


@router.get("/password/{token}", response_class=HTMLResponse)
def password_link_form(request: Request, token: str) -> HTMLResponse:
    """Choose a password with a one-time link."""
    try:
        target = _link_target(token)
    except LinkRefused as exc:
        return _link_refused(exc)
    return _link_form(request, token, target)


def _use_link(
    token: str, target: _LinkTarget, fields: dict[str, str], ip: str | None
) -> str | None:
    """Set the chosen password (hashed before the write transaction); None when done."""
    try:
        new_hash = passwords.hash_password(_new_password(fields, target.username))
    except PasswordRejected as exc:
        return str(exc)
    with transaction() as session:
        person = link_person(session, token, secret=secret_key())
        passwords.store_hash(session, person, new_hash, actor=person.username, via="link", ip=ip)
    return None


@router.post("/password/{token}", response_class=HTMLResponse)
async def password_link_submit(request: Request, token: str) -> HTMLResponse:
    """Set the password chosen with a one-time link; the link then stops working."""
    fields = await _fields(request)
    try:
        target = await run_in_threadpool(_link_target, token)
        if not csrf.valid(
            f"password-link\0{token}", request.cookies.get(LINK_CSRF_COOKIE), fields.get("csrf")
        ):
            return _link_form(
                request, token, target, 403, "无法验证本次提交：请重新打开链接后再设置。"
            )
        error = await run_in_threadpool(_use_link, token, target, fields, _ip(request))
    except LinkRefused as exc:
        return _link_refused(exc)
    if error is not None:
        return _link_form(request, token, target, 400, error)
    return message(
        200,
        "密码已设置",
        f"{target.name}，您的密码已设置，请用用户名 {target.username} 和新密码登录。",
        links=[("前往登录", "/login")],
    )


# --- enrolling a second factor ----------------------------------------------------------------


def _enrol_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt=_ENROL_SALT)


@dataclass(frozen=True)
class _Enroller:
    """Who is enrolling: a signed-in person, or a login that must enrol before it opens."""

    person_id: int
    username: str
    session_row: int
    csrf_token: str
    user: CurrentUser | None
    pending: Pending | None


def _enroller(request: Request) -> _Enroller | None:
    pending = pending_session(request, sessions.MUST_ENROL)
    if pending is not None:
        return _Enroller(
            pending.person_id, pending.username, pending.row_id, pending.csrf_token, None, pending
        )
    try:
        user = current_user(request)
    except LoginRequired:
        return None
    return _Enroller(
        user.person_id, user.username, int(user.session_id), user.csrf_token, user, None
    )


def _enrol_page(
    enroller: _Enroller,
    secret: str,
    next_path: str | None,
    status: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    uri = totp.provisioning_uri(secret, enroller.username)
    return page(
        "totp_enrol.html",
        status,
        user=enroller.user,
        forced=enroller.pending is not None,
        username=enroller.username,
        secret=secret,
        secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        uri=uri,
        # Made here from the otpauth address alone (no user text), so it is markup, not text.
        qr_svg=Markup(totp.qr_svg(uri)),
        sealed=_enrol_serializer().dumps({"s": secret, "r": enroller.session_row}),
        csrf_token=enroller.csrf_token,
        next_path=next_path or "",
        error=error,
    )


@router.get("/account/totp", response_class=HTMLResponse)
def totp_enrol_form(request: Request, next: str | None = None) -> Response:
    """Set up a one-time-code app: the secret to type in, then a code to prove it works."""
    enroller = _enroller(request)
    if enroller is None:
        raise LoginRequired()
    with transaction() as session:
        account = session.get(Account, enroller.person_id)
        if account is not None and account.totp_secret:
            return message(
                200,
                "动态验证码已启用",
                "如需更换手机，请联系系统管理员清除后重新设置。",
                links=[("返回我的账户", "/account")],
                user=enroller.user,
            )
    return _enrol_page(enroller, totp.new_secret(), safe_next(next))


def _enrol(enroller: _Enroller, secret: str, code: str, ip: str | None) -> bool:
    with transaction() as session:
        person = session.get(Person, enroller.person_id)
        account = passwords.account_of(session, person)
        if account.totp_secret:
            return True
        return totp.enrol(session, person, account, secret, code, key=totp_key(), ip=ip)


@router.post("/account/totp", response_class=HTMLResponse)
async def totp_enrol(request: Request) -> Response:
    """Check the first code; the second factor is then on (and a forced login opens)."""
    fields = await _fields(request)
    next_path = safe_next(fields.get("next"))
    enroller = await run_in_threadpool(_enroller, request)
    if enroller is None:
        raise LoginRequired()
    if not csrf_equal(fields.get("csrf"), enroller.csrf_token):
        raise CsrfRefused("无法验证本次提交")
    try:
        sealed = _enrol_serializer().loads(fields.get("sealed", ""), max_age=3600)
    except BadSignature:
        sealed = None
    if not isinstance(sealed, dict) or sealed.get("r") != enroller.session_row:
        return _enrol_page(
            enroller,
            totp.new_secret(),
            next_path,
            400,
            "设置页面已过期，请重新扫描或输入新的密钥。",
        )
    secret = str(sealed["s"])
    if not await run_in_threadpool(_enrol, enroller, secret, fields.get("code", ""), _ip(request)):
        return _enrol_page(
            enroller,
            secret,
            next_path,
            400,
            "验证码不正确：请确认手机时间准确，并输入当前显示的 6 位数字。",
        )
    if enroller.pending is not None:
        return await run_in_threadpool(
            finish_second_factor, request, enroller.pending, next_path=next_path, carry=[]
        )
    return message(
        200,
        "动态验证码已启用",
        "以后登录时，输入密码后还需输入手机验证器显示的 6 位数字。",
        links=[("返回我的账户", "/account")],
        user=enroller.user,
    )


def csrf_equal(submitted: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted form token."""
    return isinstance(submitted, str) and hmac.compare_digest(submitted.encode(), expected.encode())
