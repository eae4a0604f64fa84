"""依申请公开 pages (/requests): register a request, see each one's deadline, act on it.

For the people who handle requests (the center, administrators) and the leaders who approve
extensions and sign replies. Every form calls the domain function the command line uses, in
its own transaction; a refusal writes nothing and says what to fix. Applicants' names and
contacts, and the receipt's attachments, are shown to request handlers only (leaders see them
masked, the attachments only counted); an attachment downloads as a file, never inline. The
signer is shown the 答复告知书 as it will be sent, and the 签发 form carries its SHA-256.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from models import Person
from models.requests import ApplicantType, CaseKind, CaseResult, RequestChannel
from pubreview import inputs
from pubreview.accounts import org
from pubreview.errors import Forbidden, NotFound, PubreviewError, ValidationError
from pubreview.notify.reply_steps import tell_reply_step
from pubreview.report import formats
from pubreview.report.tables import (
    TABLE3_COLUMNS,
    TABLE3_NOTE,
    TABLE3_ROWS_2021,
    TABLE4_GROUPS,
    TABLE4_RESULTS,
    Table3Row,
)
from pubreview.requests import (
    access,
    cases,
    consultation,
    correction,
    documents,
    extension,
    files,
    importer,
    outcome,
    receipt,
    reply,
    store,
    tables,
    views,
    years,
)
from pubreview.requests.outcome import CLOSE_WITHOUT_REPLY, OUTCOME_ROWS, outcome_label
from pubreview.review.drafts import allowed_extensions
from pubreview.review.submission import AttachmentFile, check_distinct_names
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
from pubreview.web.draft_form import FormUnreadable, read_form

log = logging.getLogger(__name__)
router = APIRouter(prefix="/requests")
SignedIn = Annotated[CurrentUser, Depends(current_user)]


def _who(session: Session, user: CurrentUser, request_id: int | None = None) -> tuple[Person, bool]:
    """The person and whether they handle requests; Forbidden for anyone else.

    With `request_id`, whoever may decide the step that request's reply awaits (an office's
    own reply chain may name other roles; a delegate signs for a leader) may see it too.
    """
    person = org.person(session, user.username)
    handles = access.may_handle(session, person)
    if (
        not handles
        and not access.may_approve(session, person)
        and not (request_id is not None and reply.may_decide(session, request_id, person))
    ):
        raise Forbidden("只有办理政府信息公开申请的人员和分管领导可以查看依申请公开页面")
    return person, handles


def _day(form: dict[str, str], name: str, label: str, *, required: bool = True) -> date | None:
    text = (form.get(name) or "").strip()
    if not text:
        if required:
            raise ValidationError(f"请填写{label}", field=name)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{label}「{text}」不是日期，请按 2026-12-01 的格式填写") from None


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)


def _choices() -> dict[str, Any]:
    return {
        "channels": [c.value for c in RequestChannel],
        "applicant_types": [t.value for t in ApplicantType],
        "reply_outcomes": [
            (k, outcome_label(k)) for k in OUTCOME_ROWS if k not in CLOSE_WITHOUT_REPLY
        ],
        "close_outcomes": [(k, outcome_label(k)) for k in CLOSE_WITHOUT_REPLY],
        "case_kinds": [k.value for k in CaseKind],
        "case_results": [r.value for r in CaseResult],
        "allowed_attachments": allowed_extensions(),
    }


@router.get("", response_class=HTMLResponse)
def request_list(user: SignedIn, status: str | None = None, overdue: str | None = None):
    """Every request, the most urgent first, and the form to register one."""
    if status not in (None, "", "open", "correction", "consulting", "closed"):
        status = None
    with snapshot() as session:
        _, handles = _who(session, user)
        rows = views.listing(
            session, personal=handles, status=status or None, overdue_only=bool(overdue)
        )
    return page(
        "requests.html",
        user=user,
        rows=rows,
        handles=handles,
        status_filter=status or "",
        overdue=bool(overdue),
        form={},
        staged=[],
        error=None,
        **_choices(),
    )


FIRST_YEAR = 2008  # the 条例 took effect on 1 May 2008


def _known_year(year: int) -> bool:
    return FIRST_YEAR <= year <= store.office_today().year


def _year(text: str | None) -> int:
    today = store.office_today()
    try:
        year = int(text) if text else today.year
    except ValueError:
        raise ValidationError(f"「{text}」不是年份") from None
    if not _known_year(year):
        raise ValidationError(f"年份应在 {FIRST_YEAR} 至 {today.year} 之间")
    return year


def _rows(year: int) -> tuple[Table3Row, ...]:
    """Table 三's rows as the year's report prints them (〔2019〕60号: one （六） row)."""
    return formats.for_year(year).table3_rows or TABLE3_ROWS_2021


@router.get("/tables", response_class=HTMLResponse)
def year_tables_page(
    user: SignedIn, year: str | None = None, done: str | None = None
) -> HTMLResponse:
    """Tables 三 and 四 of a year as the report will state them; each cell opens its requests."""
    try:
        chosen = _year(year)
    except ValidationError as exc:
        return message(
            400, "无法显示统计表", str(exc), links=[("返回", "/requests/tables")], user=user
        )
    with snapshot() as session:
        person, _ = _who(session, user)
        computed = tables.year_tables(session, chosen, rows=_rows(chosen))
        year_closed = years.closed(session, chosen)
        may_close = access.may_close_year(session, person)
    return page(
        "requests_tables.html",
        user=user,
        year=chosen,
        year_closed=year_closed,
        may_close=may_close and year_closed is None and chosen < store.office_today().year,
        done=done,
        t=computed,
        rows=_rows(chosen),
        columns=TABLE3_COLUMNS,
        groups=TABLE4_GROUPS,
        results=TABLE4_RESULTS,
        problems=computed.balance_problems(),
        note=TABLE3_NOTE,
    )


def _close_year(user: CurrentUser, year: int) -> None:
    with transaction() as session:
        years.close_year(session, year, actor=user.username)


@router.post("/tables/{year}/close", response_class=HTMLResponse)
async def close_year(year: int, request: Request, user: SignedIn) -> Response:
    """年度结转 (the head or an administrator): refused, naming the requests, while one blocks."""
    await _form(request, user)
    try:
        await run_in_threadpool(_close_year, user, year)
    except Forbidden:
        raise
    except PubreviewError as exc:
        return message(
            409,
            "未能办理年度结转",
            f"{exc}。{NOTHING_CHANGED}",
            links=[("返回统计表", f"/requests/tables?year={year}")],
            user=user,
        )
    return _see_other(f"/requests/tables?year={year}&done=closed")


def _no_cell(user: CurrentUser, year: int) -> HTMLResponse:
    return message(
        404,
        "没有这个单元格",
        "请从统计表中点击数字进入。",
        links=[("返回统计表", f"/requests/tables?year={year}")],
        user=user,
    )


@router.get("/tables/{year}/cell", response_class=HTMLResponse)
def year_table_cell(user: SignedIn, year: int, row: str = "", column: str = "") -> HTMLResponse:
    """The requests counted in one cell of Table 三, counted as the table counts them."""
    if not _known_year(year):
        return _no_cell(user, store.office_today().year)
    labels = {r.key: r.full_label for r in _rows(year)}
    if row not in labels or column not in TABLE3_COLUMNS:
        return _no_cell(user, year)
    with snapshot() as session:
        _, handles = _who(session, user)
        ids = tables.year_tables(session, year, rows=_rows(year)).requests_in(row, column)
        rows = views.listing(session, personal=handles, ids=ids)
    return page(
        "requests_cell.html",
        user=user,
        year=year,
        row_label=labels[row],
        column=column,
        rows=sorted(rows, key=lambda r: r["id"]),
    )


@router.get("/tables/{year}/cases", response_class=HTMLResponse)
def year_table_case_cell(
    user: SignedIn, year: int, group: str = "", result: str = ""
) -> HTMLResponse:
    """The 复议/诉讼 cases counted in one cell of Table 四, counted as the table counts them."""
    if not _known_year(year):
        return _no_cell(user, store.office_today().year)
    if group not in TABLE4_GROUPS or result not in TABLE4_RESULTS:
        return _no_cell(user, year)
    with snapshot() as session:
        _who(session, user)
        ids = tables.year_tables(session, year).cases_in(group, result)
        rows = views.case_listing(session, ids)
    return page(
        "requests_case_cell.html", user=user, year=year, group=group, result=result, rows=rows
    )


MAX_LIST_BYTES = 5 * 1024 * 1024  # a year's request list is tens of kilobytes


def _import_page(user: CurrentUser, status: int = 200, **result: object) -> HTMLResponse:
    context = {"error": None, "problems": [], "loaded": None, "filename": None, **result}
    return page("requests_import.html", status, user=user, columns=importer.REQUIRED, **context)


@router.get("/import", response_class=HTMLResponse)
def import_form(user: SignedIn) -> HTMLResponse:
    """The form to load a request list kept elsewhere (CSV or XLSX)."""
    with snapshot() as session:
        access.handler(session, user.username)
    return _import_page(user)


def _import(user: CurrentUser, listed: importer.ListFile) -> importer.Checked | list[int]:
    """Check the list and, if no row has a problem, load it: one transaction."""
    with transaction() as session:
        checked = importer.check_list(session, listed, actor=user.username)
        if checked.problems:
            return checked
        return importer.load(session, checked, actor=user.username)


@router.post("/import", response_class=HTMLResponse)
async def import_list(request: Request, user: SignedIn) -> Response:
    """导入: load the list if every row is right; else name each row and column to fix."""
    form = dict((await request.form()).items())
    check_csrf(user, form)
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationError("请选择要导入的申请台帐文件（.csv 或 .xlsx）", field="file")
        filename = Path(upload.filename).name
        data = await upload.read(MAX_LIST_BYTES + 1)
        if len(data) > MAX_LIST_BYTES:
            raise ValidationError(
                f"「{filename}」超过 {MAX_LIST_BYTES // 1024 // 1024} MB，请检查是否选错了文件",
                field="file",
            )
        listed = await run_in_threadpool(importer.parse, filename, data)  # before the write
        done = await run_in_threadpool(_import, user, listed)
    except Forbidden:
        raise
    except PubreviewError as exc:
        return _import_page(user, 422, error=f"{exc}。{NOTHING_CHANGED}")
    if isinstance(done, importer.Checked):
        return _import_page(
            user,
            422,
            error=f"「{filename}」有 {len(done.problems)} 处错误，未导入任何申请。"
            + NOTHING_CHANGED,
            problems=done.problems,
            filename=filename,
        )
    return _import_page(user, loaded=done, filename=filename)


def _register(user: CurrentUser, form: dict[str, str], attachments: list[AttachmentFile]) -> int:
    with transaction() as session:
        req = receipt.receive(
            session,
            actor=user.username,
            channel=form.get("channel", ""),
            applicant_type=form.get("applicant_type", ""),
            arrived_on=_day(form, "arrived_on", "收到日期"),
            signed_on=_day(form, "signed_on", "签收日期", required=False),
            confirmed_on=_day(form, "confirmed_on", "确认日期", required=False),
            content=form.get("content", ""),
            applicant_name=form.get("applicant_name"),
            applicant_contact=form.get("applicant_contact"),
            attachments=attachments,
        )
        return req.id


async def _form(request: Request, user: CurrentUser) -> dict[str, str]:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(user, form)
    return form


def _stage(
    person_id: int, tokens: list[str], dropped: list[str], uploads: list[tuple[str, bytes]]
) -> tuple[list[staging.StagedFile], PubreviewError | None]:
    """The files a receipt form carries: those staged before, less the removed, plus the new
    uploads checked (before the write) and staged, so a refused form shows them again."""
    staged, expired = staging.carry(person_id, tokens, dropped)
    problem: PubreviewError | None = None
    if expired:
        problem = ValidationError(f"有 {expired} 个此前上传的附件已过期，请重新选择")
    try:  # a flood of files is refused before any is kept
        inputs.check_attachment_count(len(staged) + len(uploads), files.FIELD)
    except ValidationError as exc:
        return staged, exc
    for name, data in uploads:
        try:
            (checked,) = files.check_uploads([(name, data)])
        except ValidationError as exc:
            problem = problem or exc
            continue
        staged.append(staging.stage(person_id, checked))
    try:  # the whole set: two files of one name would be one in the request's list
        check_distinct_names([AttachmentFile(s.filename, b"") for s in staged])
    except ValidationError as exc:
        problem = problem or exc
    return staged, problem


def _staged_files(user: CurrentUser, staged: list[staging.StagedFile]) -> list[AttachmentFile]:
    """The staged files' contents; one that expired meanwhile refuses the receipt, naming it."""
    loaded = []
    for item in staged:
        found = staging.load(user.person_id, item.token)
        if found is None:
            raise ValidationError(f"附件“{item.filename}”已过期，请重新选择")
        loaded.append(found)
    return loaded


@router.post("", response_class=HTMLResponse)
async def register(request: Request, user: SignedIn) -> Response:
    """登记: register a request with its attachments, then show it with its deadline."""
    try:
        raw = await read_form(request)
    except FormUnreadable:
        return message(
            400,
            "无法读取提交的内容",
            "表单过大或格式不对，请返回重新填写。" + NOTHING_CHANGED,
            links=[("返回申请列表", "/requests")],
            user=user,
        )
    form = raw.flat()
    check_csrf(user, form)
    uploads = [(u.filename, u.content) for u in raw.files.get("attachments", [])]
    staged, problem = await run_in_threadpool(
        _stage, user.person_id, raw.fields.get("staged", []), raw.fields.get("drop", []), uploads
    )
    try:
        if problem:
            raise problem
        attachments = await run_in_threadpool(_staged_files, user, staged)
        request_id = await run_in_threadpool(_register, user, form, attachments)
    except Forbidden:
        raise
    except PubreviewError as exc:  # a bad field, or a deadline in a year nobody described
        with snapshot() as session:
            _, handles = _who(session, user)
            rows = views.listing(session, personal=handles)
        return page(
            "requests.html",
            422,
            user=user,
            rows=rows,
            handles=handles,
            status_filter="",
            overdue=False,
            form=form,
            staged=staged,
            error=f"{exc}。{NOTHING_CHANGED}",
            **_choices(),
        )
    staging.discard(user.person_id, [s.token for s in staged])
    return _see_other(f"/requests/{request_id}?done=registered")


DONE = {
    "registered": "已登记，答复期限见下。",
    "correct": "已记录补正告知，答复期限暂停。",
    "corrected": "已记录补正材料，答复期限重新起算。",
    "consult": "已记录征求第三方意见，期间不计入答复期限。",
    "answered": "已记录第三方意见。",
    "extend": "已延期。",
    "draft": "已承办答复稿，等待审核。",
    "decide": "已记录审批意见。",
    "send": "答复已发出，申请办结。",
    "close": "申请已办结。",
    "case": "已登记复议或诉讼案件。",
    "case_decide": "已记录案件结果。",
}


@router.get("/{request_id}", response_class=HTMLResponse)
def request_page(request_id: int, user: SignedIn, done: str | None = None) -> HTMLResponse:
    """One request: its deadline explained, its steps, and the forms for the next ones."""
    try:
        with snapshot() as session:
            person, handles = _who(session, user, request_id)
            view = views.detail(session, request_id, personal=handles)
            letters = documents.available(session, request_id) if handles else []
            to_sign = None
            # Who may decide the step the reply awaits: review.deciders' rule, as on 待我审核.
            decides = reply.may_decide(session, request_id, person)
            if view["reply"] and view["reply"]["signs"]:
                # The letter as the 签发 will fix it: the signer reads it, the form binds it.
                # A broken template leaves it unset: the 签发 itself then says what is wrong.
                with contextlib.suppress(ValidationError):
                    to_sign = documents.fingerprint(
                        documents.render_now(session, request_id, "reply")[0]
                    )
    except NotFound as exc:
        return message(
            404, "找不到该申请", f"{exc}。", links=[("返回申请列表", "/requests")], user=user
        )
    return page(
        "requests_item.html",
        user=user,
        r=view,
        handles=handles,
        approves=user.has("leader"),
        me=person.username,
        done=DONE.get(done or ""),
        letters=letters,
        to_sign=to_sign,
        decides=decides,
        **_choices(),
    )


def _download(data: bytes, name: str, media_type: str) -> Response:
    """A file to save, never to open in the page (it may be anything an applicant sent)."""
    return Response(
        data,
        media_type=media_type,
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        },
    )


def _cannot(exc: PubreviewError, request_id: int, title: str, user: CurrentUser) -> HTMLResponse:
    return message(
        404 if isinstance(exc, NotFound) else 409,
        title,
        f"{exc}。",
        links=[("返回该申请", f"/requests/{request_id}")],
        user=user,
    )


@router.get("/{request_id}/documents/{key}")
def letter(request_id: int, key: str, user: SignedIn) -> Response:
    """A letter of the request as DOCX (it names the applicant: request handlers only, and the
    signer for the reply they sign)."""
    try:
        with snapshot() as session:
            person, _ = _who(session, user)
            if not access.may_read_letter(session, person, key):
                raise Forbidden("文书载有申请人信息，只有办理政府信息公开申请的人员可以下载")
            data, name = documents.render(session, request_id, key)
    except Forbidden:
        raise
    except PubreviewError as exc:
        return _cannot(exc, request_id, "无法生成文书", user)
    return _download(
        data, name, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )


@router.get("/{request_id}/attachments/{file_id}")
def receipt_attachment(request_id: int, file_id: int, user: SignedIn) -> Response:
    """One attachment of the receipt (personal data: request handlers only), as a download."""
    try:
        with snapshot() as session:
            _, handles = _who(session, user)
            if not handles:
                raise Forbidden(
                    "登记附件属于申请人的个人信息，只有办理政府信息公开申请的人员可以下载"
                )
            found = files.receipt_file(session, request_id, file_id)
            data, name = found.content, found.filename
    except Forbidden:
        raise
    except PubreviewError as exc:
        return _cannot(exc, request_id, "找不到该附件", user)
    return _download(data, name, "application/octet-stream")


def _act(user: CurrentUser, request_id: int, action: str, form: dict[str, str]) -> None:
    """Run one step on the request in its own transaction."""
    actor = user.username
    with transaction() as session:
        _who(session, user, request_id if action == "decide" else None)
        if action == "correct":
            correction.ask(
                session,
                request_id,
                actor=actor,
                asked_on=_day(form, "asked_on", "补正告知日期"),
                what=form.get("what", ""),
                correction_due_on=_day(form, "correction_due_on", "补正期限", required=False),
                late_reason=form.get("late_reason"),
            )
        elif action == "corrected":
            correction.corrected(
                session,
                request_id,
                actor=actor,
                corrected_on=_day(form, "corrected_on", "补正材料收到日期"),
            )
        elif action == "consult":
            consultation.consult(
                session,
                request_id,
                actor=actor,
                third_party=form.get("third_party", ""),
                sent_on=_day(form, "sent_on", "征求意见发出日期"),
            )
        elif action == "answered":
            agreed = {"yes": True, "no": False}.get(form.get("agreed", ""))
            consultation.answered(
                session,
                request_id,
                actor=actor,
                answered_on=_day(form, "answered_on", "第三方答复日期"),
                agreed=agreed,
                opinion=form.get("opinion"),
            )
        elif action == "extend":
            try:
                days = int(form.get("days") or "0")
            except ValueError:
                raise ValidationError("延期天数应为 1 到 20 的整数", field="days") from None
            extension.extend(
                session,
                request_id,
                actor=actor,
                days=days,
                approved_by=form.get("approved_by", "").strip(),
                notified_on=_day(form, "notified_on", "延期告知日期"),
                reason=form.get("reason", ""),
            )
        elif action == "draft":
            reply.draft(
                session,
                request_id,
                actor=actor,
                outcome_key=form.get("outcome", ""),
                legal_basis=form.get("legal_basis", ""),
                fee_yuan=form.get("fee"),
                note=form.get("note"),
            )
        elif action == "decide":
            reply.decide(
                session,
                request_id,
                actor=actor,
                approve=form.get("verdict") == "approve",
                signed_on=_day(form, "signed_on", "签发日期", required=False),
                note=form.get("note"),
                letter_seen=form.get("letter") or None,
            )
        elif action == "send":
            reply.send(session, request_id, actor=actor, sent_on=_day(form, "sent_on", "发出日期"))
        elif action == "close":
            outcome.close(
                session,
                request_id,
                actor=actor,
                outcome=form.get("outcome", ""),
                closed_on=_day(form, "closed_on", "办结日期"),
                reason=form.get("reason"),
            )
        elif action == "case":
            cases.file(
                session,
                actor=actor,
                kind=form.get("kind", ""),
                filed_on=_day(form, "filed_on", "立案日期"),
                request_id=request_id,
                note=form.get("note"),
            )
        elif action == "case_decide":
            try:
                case_id = int(form.get("case") or "")
            except ValueError:
                raise ValidationError("请选择案件") from None
            cases.decide(
                session,
                case_id,
                actor=actor,
                result=form.get("result", ""),
                decided_on=_day(form, "decided_on", "审结日期"),
            )
        else:
            raise NotFound(f"没有「{action}」这项操作")


@router.post("/{request_id}/{action}", response_class=HTMLResponse)
async def act(request_id: int, action: str, request: Request, user: SignedIn) -> Response:
    """补正 / 征求意见 / 延期 / 答复 / 办结 / 复议诉讼 on one request."""
    form = await _form(request, user)
    try:
        await run_in_threadpool(_act, user, request_id, action, form)
    except Forbidden:
        raise
    except PubreviewError as exc:
        return message(
            404 if isinstance(exc, NotFound) else 409,
            "未能记录",
            f"{exc}。{NOTHING_CHANGED}",
            links=[("返回该申请", f"/requests/{request_id}"), ("返回申请列表", "/requests")],
            user=user,
        )
    if action in _OPENS_A_REPLY_STEP:
        await run_in_threadpool(_tell_reply_step, request_id)
    return _see_other(f"/requests/{request_id}?done={action}")


# The actions after which the reply may await a new step (承办 opens 审核, each approval the next).
_OPENS_A_REPLY_STEP = ("draft", "decide")


def _tell_reply_step(request_id: int) -> None:
    """Tell whoever may decide the step the reply now awaits (the step is committed already)."""
    try:
        tell_reply_step(request_id)
    except Exception:  # noqa: BLE001 — each try is in the ledger; the page has done its part
        log.exception("request %s: telling the reply step's deciders failed", request_id)
