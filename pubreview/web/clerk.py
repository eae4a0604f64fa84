"""The submitter's pages: submit (with 预览/检查), my items, an item, resubmit and withdraw.

Every write goes through the domain function the command line uses (`submission.submit`,
`submission.resubmit`, `withdrawal.withdraw`) in its own transaction; only after it commits
does `after_commit` tell Prefect, after the response, as the command line does. A refused form
comes back with every field kept and the wrong one named. A resubmission may change the
item's 内容类别, 发布渠道 and 公开属性 too, checked there as at a first submission.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from models.publication import Disclosure
from pubreview.accounts import authz, org
from pubreview.errors import DecisionRefused, NotFound, ValidationError
from pubreview.review import withdrawal
from pubreview.review.drafts import allowed_extensions
from pubreview.review.submission import (
    AttachmentFile,
    Attributes,
    Draft,
    attributes_of,
    current_revision,
    get,
    resubmit,
    submit,
)
from pubreview.web import staging
from pubreview.web.auth import CurrentUser, check_csrf, current_user
from pubreview.web.common import (
    NOTHING_CHANGED,
    SECURITY_HEADERS,
    message,
    page,
    snapshot,
    transaction,
)
from pubreview.web.draft_form import (
    DraftForm,
    FormUnreadable,
    RawForm,
    parse,
    preview,
    read_form,
    staged_files,
)
from pubreview.web.items import attachment_for, item_page, my_items, submit_choices
from pubreview.web.review import attribute_changes

log = logging.getLogger(__name__)
router = APIRouter()
SignedIn = Annotated[CurrentUser, Depends(current_user)]

DONE = {
    "submitted": "已提交。保密预检结果已记入台帐，科室负责人将收到初审通知。",
    "resubmitted": "修改稿已重新提交，将重新进入初审。",
    "withdrawn": "已撤销报送，审核流程已结束。",
}
SCREENING_FIRST = (
    "保密预检发现下列问题。请先修改；如确认无误（例如为公开的单位电话），"
    "可再次点击“提交”，审核人将看到这些提示。"
)


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)


def _hand_off(app, event: str, pub_id: int, actor: str, resume: bool) -> None:
    """After the commit: the same Prefect hand-off as the command line (event, resume)."""
    note = app.state.after_commit(event, pub_id, actor=actor, resume=resume)
    log.info("after %s of %s: %s", event, pub_id, note)


def _unreadable(user: CurrentUser, exc: FormUnreadable) -> HTMLResponse:
    log.warning("unreadable form: %s", exc)
    return message(
        400,
        "无法读取提交的表单",
        f"表单内容过大或不完整，请返回上一页检查后重新提交。{NOTHING_CHANGED}",
        user=user,
    )


def _submit_page(user: CurrentUser, form: DraftForm, shown=None, status: int = 200):
    with snapshot() as session:
        choices = submit_choices(session, user.person_id)
    return page(
        "submit.html",
        status,
        user=user,
        form=form,
        preview=shown,
        allowed=allowed_extensions(),
        **choices,
    )


@router.get("/submit", response_class=HTMLResponse)
def submit_form(user: SignedIn) -> HTMLResponse:
    """The empty submit form (only for people who hold submitter somewhere)."""
    with snapshot() as session:
        authz.require(session, user, "submit")
        units = submit_choices(session, user.person_id)["units"]
    return _submit_page(user, DraftForm(unit=units[0]["code"] if len(units) == 1 else ""))


def _check_unit(user: CurrentUser, form: DraftForm) -> None:
    """The unit must be one of the person's (403 otherwise, as any unit not theirs)."""
    if not form.unit:
        form.errors.append(("unit", "报送单位：请选择"))
        return
    with transaction() as session:
        try:
            unit = org.unit(session, form.unit)
        except NotFound:
            form.errors.append(("unit", "报送单位：所选单位不存在，请重新选择"))
            return
        authz.require(session, user, "submit", unit_id=unit.id)


def _submit(app, tasks: BackgroundTasks, user: CurrentUser, raw: RawForm) -> Response:
    form = parse(raw, user.person_id)
    _check_unit(user, form)
    try:
        disclosure = form.disclosure_enum()
    except ValidationError as exc:
        form.fail(exc)
        disclosure = None
    try:
        grade = form.grade_enum()
    except ValidationError as exc:
        form.fail(exc)
        grade = None
    files = staged_files(form, user.person_id)
    shown = preview(form.title, form.body, files)
    form.checked, seen = shown.fingerprint, form.checked == shown.fingerprint
    if form.action != "submit" or form.errors or form.converted_from:
        return _submit_page(user, form, shown, 422 if form.errors else 200)
    if shown.has_findings and not seen:
        form.notes.append(SCREENING_FIRST)
        return _submit_page(user, form, shown)
    draft = Draft(
        title=form.title,
        body=form.body,
        category=form.category,
        channels=form.channels,
        unit=form.unit,
        submitter=user.username,
        attachments=files,
        disclosure=disclosure,
        disclosure_reason=form.disclosure_reason,
        grade=grade,
    )
    try:
        with transaction() as session:
            pub_id = submit(session, draft, screened=shown.screened).id
    except (ValidationError, NotFound) as exc:
        form.fail(exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        return _submit_page(user, form, shown, 422)
    staging.discard(user.person_id, [s.token for s in form.staged])
    tasks.add_task(_hand_off, app, "publication.submitted", pub_id, user.username, False)
    return _see_other(f"/items/{pub_id}?done=submitted")


@router.post("/submit", response_class=HTMLResponse)
async def submit_post(request: Request, tasks: BackgroundTasks, user: SignedIn) -> Response:
    """预览/检查 or 提交: the form again with the preview and screening, or the new item."""
    try:
        raw = await read_form(request)
    except FormUnreadable as exc:
        return _unreadable(user, exc)
    check_csrf(user, raw.flat())
    return await run_in_threadpool(_submit, request.app, tasks, user, raw)


@router.get("/my", response_class=HTMLResponse)
def my(user: SignedIn) -> HTMLResponse:
    """My items: status, whom each waits on and since when."""
    with snapshot() as session:
        view = my_items(session, user.person_id)
        may_submit = authz.allowed(session, user, "submit")
    return page("my.html", user=user, may_submit=may_submit, **view)


def _proposed(form: DraftForm) -> Attributes | None:
    """The attributes a resubmit form proposes, as resubmission would record them."""
    try:
        disclosure, grade = form.disclosure_enum(), form.grade_enum()
    except ValidationError:
        return None
    reason = form.disclosure_reason.strip() or None
    return Attributes(
        form.category,
        tuple(dict.fromkeys(form.channels)),
        disclosure,
        reason if disclosure is not Disclosure.ACTIVE else None,
        grade,
    )


def _with_attributes(
    session: Session, user: CurrentUser, pub_id: int, view: dict, form: DraftForm | None
) -> dict:
    """The resubmit form's 内容类别/发布渠道/公开属性, and the diff's lines for them."""
    pub = get(session, pub_id)
    diff, extra = view["diff"], {}
    if view["may_resubmit"]:
        choices = submit_choices(session, user.person_id)
        extra = {k: choices[k] for k in ("categories", "channels", "disclosures", "grades")}
        if form is None:
            shown = view["resubmit"]
            shown.category, shown.channels = pub.category, list(pub.channels)
            shown.disclosure = pub.disclosure.value
            shown.disclosure_reason = pub.disclosure_reason or ""
            shown.grade = pub.grade.value
        elif diff is not None:
            diff.fields = attribute_changes(Attributes.of(pub), _proposed(form))
            return extra
    if diff is not None:
        number = pub.current_revision
        diff.fields = attribute_changes(
            attributes_of(session, pub_id, number - 1), attributes_of(session, pub_id, number)
        )
    return extra


def _item(user: CurrentUser, pub_id: int, status: int = 200, **extra) -> HTMLResponse:
    done = extra.pop("done", None)
    with snapshot() as session:
        # Held for the page's two steps: the session's identity map keeps objects weakly, and
        # the resubmit form's attributes then read the item without loading it again.
        pub = get(session, pub_id)
        view = item_page(session, user, pub_id, **extra)
        view.update(_with_attributes(session, user, pub.id, view, extra.get("resubmit")))
    return page(
        "item.html",
        status,
        user=user,
        done=DONE.get(done or ""),
        allowed=allowed_extensions(),
        **view,
    )


def _not_found(user: CurrentUser, pub_id: int) -> HTMLResponse:
    return message(404, "找不到该信息", f"没有第 {pub_id} 号信息。{NOTHING_CHANGED}", user=user)


@router.get("/items/{pub_id}", response_class=HTMLResponse)
def item(pub_id: int, user: SignedIn, done: str | None = None) -> HTMLResponse:
    """One item: body, attachments, screening, timeline; resubmit, withdraw or decide forms."""
    try:
        return _item(user, pub_id, done=done)
    except NotFound:
        return _not_found(user, pub_id)


@router.get("/items/{pub_id}/files/{attachment_id}")
def item_file(pub_id: int, attachment_id: int, user: SignedIn):
    """An attachment, always as a download (never shown inline, whatever it holds)."""
    try:
        with snapshot() as session:
            found = attachment_for(session, user, pub_id, attachment_id)
            content, name = (found.content, found.filename) if found else (None, None)
    except NotFound:
        return _not_found(user, pub_id)
    if content is None:
        return message(404, "找不到该附件", NOTHING_CHANGED, user=user)
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        },
    )


def _kept_files(pub_id: int, keep: list[int]) -> list[AttachmentFile]:
    """The returned revision's attachments the person chose to keep."""
    with transaction() as session:
        revision = current_revision(session, get(session, pub_id))
        return [AttachmentFile(a.filename, a.content) for a in revision.attachments if a.id in keep]


def _resubmit(app, tasks: BackgroundTasks, user: CurrentUser, pub_id: int, raw: RawForm):
    with transaction() as session:
        authz.require(session, user, "view_item", publication=get(session, pub_id))
    form = parse(raw, user.person_id)
    files = _kept_files(pub_id, form.keep) + staged_files(form, user.person_id)
    shown = preview(form.title, form.body, files)
    form.checked, seen = shown.fingerprint, form.checked == shown.fingerprint
    again = {"resubmit": form, "resubmit_files": files, "resubmit_preview": shown}
    if form.action != "resubmit" or form.errors or form.converted_from:
        return _item(user, pub_id, 422 if form.errors else 200, **again)
    if shown.has_findings and not seen:
        form.notes.append(SCREENING_FIRST.replace("提交", "重新提交"))
        return _item(user, pub_id, **again)
    try:
        disclosure, grade = form.disclosure_enum(), form.grade_enum()
        with transaction() as session:
            resubmit(
                session,
                pub_id,
                user.username,
                title=form.title,
                body=form.body,
                attachments=files,
                screened=shown.screened,
                category=form.category,
                channels=form.channels,
                disclosure=disclosure,
                disclosure_reason=form.disclosure_reason,
                grade=grade,
            )
    except ValidationError as exc:
        form.fail(exc)
        return _item(user, pub_id, 422, **again)
    except DecisionRefused as exc:
        form.fail(ValidationError(str(exc)))
        return _item(user, pub_id, 409, **again)
    staging.discard(user.person_id, [s.token for s in form.staged])
    tasks.add_task(_hand_off, app, "publication.resubmitted", pub_id, user.username, True)
    return _see_other(f"/items/{pub_id}?done=resubmitted")


@router.post("/items/{pub_id}/resubmit", response_class=HTMLResponse)
async def resubmit_post(
    pub_id: int,
    request: Request,
    tasks: BackgroundTasks,
    user: SignedIn,
) -> Response:
    """预览修改 (the diff against the returned revision) or 重新提交."""
    try:
        raw = await read_form(request)
    except FormUnreadable as exc:
        return _unreadable(user, exc)
    check_csrf(user, raw.flat())
    try:
        return await run_in_threadpool(_resubmit, request.app, tasks, user, pub_id, raw)
    except NotFound:
        return _not_found(user, pub_id)


def _withdraw(user: CurrentUser, pub_id: int, reason: str) -> None:
    with transaction() as session:
        authz.require(session, user, "view_item", publication=get(session, pub_id))
        withdrawal.withdraw(session, pub_id, user.username, reason)


@router.post("/items/{pub_id}/withdraw", response_class=HTMLResponse)
async def withdraw_post(
    pub_id: int,
    request: Request,
    tasks: BackgroundTasks,
    user: SignedIn,
) -> Response:
    """撤销报送: the item ends, its waiting review run is resumed so it finishes."""
    try:
        raw = await read_form(request)
    except FormUnreadable as exc:
        return _unreadable(user, exc)
    check_csrf(user, raw.flat())
    back = [("返回该信息", f"/items/{pub_id}")]
    if raw.text("confirm") != "yes":
        return message(
            400, "请确认撤销", "请勾选“确认撤销”后再点击“撤销报送”。", links=back, user=user
        )
    try:
        await run_in_threadpool(_withdraw, user, pub_id, raw.text("reason"))
    except NotFound:
        return _not_found(user, pub_id)
    except DecisionRefused as exc:
        return message(409, "未能撤销", f"{exc}。{NOTHING_CHANGED}", links=back, user=user)
    tasks.add_task(_hand_off, request.app, withdrawal.EVENT, pub_id, user.username, True)
    return _see_other(f"/items/{pub_id}?done=withdrawn")
