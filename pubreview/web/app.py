"""The office web app: every role's pages behind a login, and the review pages behind signed links.

Every page is server-rendered HTML that works without JavaScript. Each role's routes live in
their own module (auth, account, clerk, reviewer, center, admin, slip); this module assembles
them, serves the signed-link review and queue pages, and makes every error a Chinese page
with the security headers — never a traceback, never FastAPI's JSON. A decision goes through
`pubreview.review.decisions.decide` in its own transaction; only after it commits does
`after_commit` tell the next person and Prefect (as the command line does), so a decision is
never lost. In the served app that runs on the hand-off thread (`web.hand_off`): the page
answers once the step is committed, without waiting for messages, events or the resume.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import BackgroundTasks, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from models.publication import step_id
from pubreview import db, inputs
from pubreview.chains.validation import STEP_ID
from pubreview.errors import (
    CsrfRefused,
    DecisionRefused,
    Forbidden,
    LedgerBusy,
    LinkRefused,
    LoginRequired,
    NotFound,
    ValidationError,
)
from pubreview.labels import FIELD_LABEL, OUTCOME_LABEL, STAGE_LABEL
from pubreview.links import (
    ReviewGrant,
    queue_link,
    verify_queue_token,
    verify_review_token,
    web_url,
)
from pubreview.orchestration import after_commit as actions
from pubreview.web import account, admin, admin_lists, auth, center, clerk, csrf, reviewer, slip
from pubreview.web import delegation as delegation_pages
from pubreview.web import reassign as reassign_pages
from pubreview.web import requests as request_pages
from pubreview.web.common import NOTHING_CHANGED, SECURITY_HEADERS, message, page, snapshot
from pubreview.web.deciding import record_decision, request_from_form
from pubreview.web.draft_form import MAX_TEXT_FIELD
from pubreview.web.hand_off import HandOff
from pubreview.web.review import attachment_of, queue_page, review_page

log = logging.getLogger(__name__)

AfterCommit = Callable[..., str]


def _refused_link(exc: LinkRefused) -> HTMLResponse:
    return message(
        403, str(exc), f"请使用最新通知中的个人链接；如仍有问题请联系管理员。{NOTHING_CHANGED}"
    )


def _grant(token: str) -> ReviewGrant:
    grant = verify_review_token(token)
    if not STEP_ID.match(grant.stage or ""):
        raise LinkRefused("链接无效：环节不存在")
    return grant


def _field_label(name: str) -> str:
    if name.startswith("url."):
        return f"{name.removeprefix('url.')}地址"
    return FIELD_LABEL.get(name, name)


async def _input_checked(request: Request) -> None:
    """The web's side of pubreview.inputs: every path part and typed field, before any route."""
    # An id no ledger column can hold names nothing: a 404 page, before any route reads it.
    if any(inputs.out_of_range(value) for value in request.path_params.values()):
        raise StarletteHTTPException(404)
    typed = list(request.path_params.items()) + list(request.query_params.multi_items())
    kind = request.headers.get("content-type", "")
    if request.method == "POST" and kind.startswith(("multipart/", "application/x-www-form")):
        # Read once with the draft form's limits; the route's own read gets this same form.
        try:
            form = await request.form(max_part_size=MAX_TEXT_FIELD)
        except (MultiPartException, StarletteHTTPException) as exc:  # Starlette wraps the first
            raise ValidationError(
                f"表单内容过大或不完整（每项文字不超过 {MAX_TEXT_FIELD // 2**20} MB），"
                "请返回上一页检查后重新提交"
            ) from exc
        for name, value in form.multi_items():
            typed.append((name, value if isinstance(value, str) else value.filename or ""))
    for name, value in typed:
        one_line = name in inputs.ONE_LINE_FIELDS or name.startswith("url.")
        problem = inputs.text_problem(value, one_line=one_line)
        if problem:
            raise ValidationError(f"「{_field_label(name)}」{problem}", field=name)


def _input_refused(_request: Request, exc: ValidationError) -> HTMLResponse:
    return message(400, "提交的内容不能保存", f"{exc}。{NOTHING_CHANGED}")


def create_app(after_commit: AfterCommit | None = None) -> FastAPI:
    """The web app; `after_commit` is what runs once a step is committed.

    By default `orchestration.after_commit`, queued to the hand-off thread; a test's stand-in
    is called as given (after the response, before the test client returns).
    """
    hand_off = HandOff(actions.after_commit) if after_commit is None else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if hand_off is not None:
            # What is queued runs before the process ends (the review run would catch up).
            await run_in_threadpool(hand_off.stop)

    app = FastAPI(
        title="pubreview",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(_input_checked)],
        lifespan=lifespan,
    )
    app.include_router(auth.router)
    app.include_router(account.router)
    app.include_router(delegation_pages.router)
    app.include_router(reassign_pages.router)
    app.include_router(center.router)
    app.include_router(admin.router)
    app.include_router(admin_lists.router)
    app.include_router(slip.router)
    app.include_router(clerk.router)
    app.include_router(reviewer.router)
    app.include_router(request_pages.router)
    app.add_exception_handler(LoginRequired, auth.login_required_handler)
    app.add_exception_handler(CsrfRefused, auth.csrf_refused_handler)
    app.add_exception_handler(Forbidden, auth.forbidden_handler)
    app.add_exception_handler(ValidationError, _input_refused)
    # Read by every route that commits a step (web/deciding.py and the role modules).
    app.state.after_commit = hand_off or after_commit

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(StarletteHTTPException)
    def http_error(_request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        if exc.status_code == 404:
            return message(404, "找不到该页面", f"请检查地址，或从首页进入。{NOTHING_CHANGED}")
        if exc.status_code == 405:
            return message(
                405, "不能这样访问该页面", f"请从页面上的按钮或链接进入。{NOTHING_CHANGED}"
            )
        return message(exc.status_code, "无法完成请求", f"请返回上一页重试。{NOTHING_CHANGED}")

    @app.exception_handler(RequestValidationError)
    def bad_request(_request: Request, exc: RequestValidationError) -> HTMLResponse:
        log.info("request refused: %s", exc.errors())
        return message(
            400,
            "提交的内容无法识别",
            f"请从页面上的表单重新填写后提交（地址或表单中有无效的编号或字段）。{NOTHING_CHANGED}",
        )

    @app.exception_handler(OSError)
    def os_error(request: Request, exc: OSError) -> HTMLResponse:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            log.warning("disk full on %s %s: %s", request.method, request.url.path, exc)
            return disk_full()
        return unexpected(request, exc)

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> HTMLResponse:
        # The transaction the route was in rolled back; the details go to the log only.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return message(
            500,
            "系统出现错误",
            f"本次操作未完成，已记录在系统日志中，请稍后重试或联系管理员。{NOTHING_CHANGED}",
        )

    def disk_full() -> HTMLResponse:
        return message(507, "服务器磁盘空间已满", f"请联系管理员腾出空间后再试。{NOTHING_CHANGED}")

    @app.exception_handler(OperationalError)
    def database_unavailable(_request: Request, exc: OperationalError) -> HTMLResponse:
        # The transaction rolled back: whatever was being decided was not written.
        log.warning("ledger database unavailable: %s", exc.orig or exc)
        if db.disk_full(exc):
            return disk_full()
        return message(503, "系统暂时无法访问台帐", f"请稍后再试。{NOTHING_CHANGED}")

    @app.exception_handler(LedgerBusy)
    def ledger_busy(_request: Request, exc: LedgerBusy) -> HTMLResponse:
        # The write lock not had in time (db.take_write_lock logged it); nothing was written.
        return message(503, "台帐写入繁忙", str(exc))

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Response:
        user = auth.optional_user(request)
        target = auth.home_of(user) if user else "/login"
        return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.get("/review/{token}", response_class=HTMLResponse)
    def review(token: str, request: Request) -> HTMLResponse:
        try:
            grant = _grant(token)
            with snapshot() as session:
                view = review_page(session, grant)
        except LinkRefused as exc:
            return _refused_link(exc)
        except NotFound:
            return message(404, "找不到该信息", f"该链接所指的信息不存在。{NOTHING_CHANGED}")
        nonce = request.cookies.get(csrf.COOKIE)
        if not csrf.usable_nonce(nonce):
            nonce = csrf.new_nonce()
        response = page(
            "review.html",
            **view,
            token=token,
            csrf_token=csrf.form_token(token, nonce),
            outcomes=OUTCOME_LABEL,
            queue_url=queue_link(grant.username),
        )
        response.set_cookie(
            csrf.COOKIE,
            nonce,
            httponly=True,
            samesite="lax",
            secure=web_url().startswith("https:"),
            path="/review/",
        )
        return response

    @app.post("/review/{token}", response_class=HTMLResponse)
    async def review_post(token: str, request: Request, tasks: BackgroundTasks) -> HTMLResponse:
        try:
            grant = _grant(token)
        except LinkRefused as exc:
            return _refused_link(exc)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        if not csrf.valid(token, request.cookies.get(csrf.COOKIE), form.get("csrf")):
            return message(
                403,
                "无法验证本次提交",
                f"提交必须来自本系统的审核页面。请重新打开通知中的链接后再操作。{NOTHING_CHANGED}",
                links=[("返回审核页面", token)],
            )
        try:
            decision = request_from_form(
                form,
                publication_id=grant.publication_id,
                username=grant.username,
                stage=step_id(grant.stage),
                revision=grant.revision,
                via="web",
            )
            result = await record_decision(request, decision, tasks)
        except (DecisionRefused, ValidationError, NotFound) as exc:
            return message(
                409,
                "未能记录您的决定",
                f"{exc}。{NOTHING_CHANGED}",
                links=[("返回审核页面", token)],
            )
        return page(
            "decided.html",
            recorded=result.recorded,
            outcome=OUTCOME_LABEL[result.outcome],
            stage_label=STAGE_LABEL[step_id(result.stage)],
            actor=result.actor,
            publication_id=result.publication_id,
            revision=result.revision,
            entry_id=result.entry_id,
            queue_url=queue_link(grant.username),
        )

    @app.get("/review/{token}/files/{attachment_id}")
    def attachment(token: str, attachment_id: int) -> Response:
        try:
            grant = _grant(token)
            with snapshot() as session:
                found = attachment_of(session, grant, attachment_id)
                content, name = (found.content, found.filename) if found else (None, None)
        except LinkRefused as exc:
            return _refused_link(exc)
        if content is None:
            return message(404, "找不到该附件", NOTHING_CHANGED)
        return Response(
            content,
            media_type="application/octet-stream",
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            },
        )

    @app.get("/queue/{token}", response_class=HTMLResponse)
    def queue(token: str) -> HTMLResponse:
        try:
            grant = verify_queue_token(token)
        except LinkRefused as exc:
            return _refused_link(exc)
        with snapshot() as session:
            view = queue_page(session, grant.username)
        return page("queue.html", **view)

    return app
