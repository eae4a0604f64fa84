"""The administrator's pages (/admin): people and roles, access audit, ledger, report, runs.

Every change goes through the accounts functions that audit it (roles.set_roles,
manage.set_disabled, passwords.set_password, issue_password_link) or through `load_org`, the
same function `pubreview org load` runs; the annual report through `build_report` as
`pubreview report` calls it. Only the administrator (authz "admin") opens any of these pages;
a refused request writes nothing.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from models import Person, Publication, Role, RoleGrant, Unit
from models.base import utcnow
from pubreview import db, settings
from pubreview.accounts import audit, authz, manage, org, passwords, roles
from pubreview.accounts.org_export import org_yaml
from pubreview.accounts.password_links import issue_password_link
from pubreview.errors import NotFound, PubreviewError, ValidationError
from pubreview.labels import STATUS_LABEL
from pubreview.ledger import checkpoints, retention
from pubreview.ledger.verification import verify_all
from pubreview.links import secret_key, web_url
from pubreview.publishing import local_now
from pubreview.report import formats, supplement
from pubreview.report.build import build_report, choose_edition, tables_from_ledger
from pubreview.requests import files as _request_files  # noqa: F401  registers its ledger verify check
from pubreview.review import replay as _replay  # noqa: F401  registers its ledger verify check
from pubreview.review.deciders import ROLE_LABEL
from pubreview.screening import results as screening_results
from pubreview.web.auth import CurrentUser, check_csrf, current_user
from pubreview.web.common import (
    NOTHING_CHANGED,
    SECURITY_HEADERS,
    message,
    page,
    snapshot,
    transaction,
)
from pubreview.web.review import local_time

log = logging.getLogger(__name__)

router = APIRouter()
SignedIn = Annotated[CurrentUser, Depends(current_user)]

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MAX_UPLOAD = 1024 * 1024  # an organisation file or a supplement is a few kilobytes
RUNS_PAGE = 50
REPORT_FILES = {"html": "HTML", "markdown": "Markdown", "docx": "Word（DOCX）"}
_SUFFIX = {"html": ".html", "markdown": ".md", "docx": ".docx"}
_MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _admin(session: Session, user: CurrentUser) -> None:
    authz.require(session, user, "admin")


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _form(request: Request, user: CurrentUser) -> dict:
    """The posted fields (files kept as UploadFile), after the session's CSRF check."""
    form = dict((await request.form()).items())
    check_csrf(user, form)
    return form


def _back(user: CurrentUser, status: int, heading: str, detail: str, back: str) -> HTMLResponse:
    return message(
        status, heading, detail, links=[("返回", back), ("系统管理", "/admin")], user=user
    )


def _refused(user: CurrentUser, exc: Exception, heading: str, back: str) -> HTMLResponse:
    status = 404 if isinstance(exc, NotFound) else 409
    return _back(user, status, heading, f"{exc}。{NOTHING_CHANGED}", back)


# ---------------------------------------------------------------- overview


@router.get("/admin", response_class=HTMLResponse)
def admin_home(user: SignedIn) -> HTMLResponse:
    """What the administrator can do, with a few counts."""
    with transaction() as session:
        _admin(session, user)
        counts = {
            "people": session.scalar(select(func.count()).select_from(Person)),
            "units": session.scalar(select(func.count()).select_from(Unit)),
            "items": session.scalar(select(func.count()).select_from(Publication)),
        }
    return page("admin.html", user=user, counts=counts, year=local_now().year - 1)


# ---------------------------------------------------------------- people and roles


def people_page(session: Session) -> dict:
    """Every person with their roles per unit and their account state."""
    units = list(session.scalars(select(Unit).order_by(Unit.code)))
    names = {u.id: u.name for u in units}
    grants: dict[int, list[str]] = {}
    for g in session.scalars(select(RoleGrant).order_by(RoleGrant.unit_id, RoleGrant.role)):
        grants.setdefault(g.person_id, []).append(f"{names[g.unit_id]}·{ROLE_LABEL[g.role.value]}")
    ids = dict(session.execute(select(Person.username, Person.id)).all())
    people_by_id = {p.id: p for p in session.scalars(select(Person))}
    by_unit: dict[int, dict[str, list[str]]] = {u.id: {} for u in units}
    for g in session.scalars(select(RoleGrant).order_by(RoleGrant.role, RoleGrant.person_id)):
        holder = people_by_id[g.person_id]
        label = ROLE_LABEL[g.role.value]
        by_unit[g.unit_id].setdefault(label, []).append(f"{holder.name}（{holder.username}）")
    return {
        "by_unit": [(u.name, by_unit[u.id]) for u in units],
        "people": [
            {
                "username": a.username,
                "name": a.name,
                "roles": grants.get(ids[a.username], []),
                "state": _account_state(a),
                "last_login": local_time(a.last_login_at) if a.last_login_at else "",
            }
            for a in manage.accounts(session)
        ],
        "units": [(u.code, u.name) for u in units],
        "roles": list(ROLE_LABEL.items()),
    }


def _account_state(a: manage.AccountView) -> str:
    if a.disabled:
        return "已停用"
    if a.locked_until:
        return f"锁定至 {local_time(a.locked_until)}"
    return "正常" if a.has_password else "未设置密码"


@router.get("/admin/people", response_class=HTMLResponse)
def people(user: SignedIn) -> HTMLResponse:
    """People and roles per unit; create a person; import or export the organisation."""
    with transaction() as session:
        _admin(session, user)
        view = people_page(session)
    return page("admin_people.html", user=user, **view)


def _password_link(session: Session, person: Person, *, actor: str, ip: str | None) -> str:
    """A one-time set-password link to this web app, signed with its secret."""
    return issue_password_link(
        session, person, secret=secret_key(), base_url=web_url(), actor=actor, ip=ip
    )


def _unit_and_role(session: Session, form: dict) -> tuple[Unit, Role]:
    code, value = str(form.get("unit", "")), str(form.get("role", ""))
    if value not in {r.value for r in Role}:
        raise ValidationError("请选择角色")
    try:
        return org.unit(session, code), Role(value)
    except NotFound:
        raise ValidationError("请选择单位") from None


def create_person(
    session: Session, form: dict, *, actor: str, ip: str | None
) -> tuple[Person, str]:
    """A new person with a first role; returns them and their one-time set-password link."""
    username = str(form.get("username", "")).strip().lower()
    name = str(form.get("name", "")).strip()
    email = str(form.get("email", "")).strip() or None
    if not USERNAME.match(username):
        raise ValidationError(
            "用户名须为 2–63 位小写字母、数字或 . _ -，并以字母或数字开头（如 zhang.wei）"
        )
    if not name:
        raise ValidationError("请填写姓名")
    if email is not None and "@" not in email:
        raise ValidationError(f"电子邮箱「{email}」格式不对")
    if session.scalars(select(Person.id).where(Person.username == username)).first():
        raise ValidationError(f"用户名 {username} 已有人使用，请换一个")
    unit, role = _unit_and_role(session, form)
    person = Person(username=username, name=name, email=email)
    session.add(person)
    session.flush()
    # The first role is a role change like any other: the audit shows who created whom as what.
    roles.set_roles(session, person, {(role, unit.id)}, actor=actor, ip=ip)
    return person, _password_link(session, person, actor=actor, ip=ip)


@router.post("/admin/people", response_class=HTMLResponse)
async def people_create(request: Request, user: SignedIn) -> HTMLResponse:
    """Create a person with a role for a unit; show the one-time link to choose a password."""
    form = await _form(request, user)

    def work() -> tuple[str, str, str]:
        with transaction() as session:
            _admin(session, user)
            person, link = create_person(session, form, actor=user.username, ip=_ip(request))
            return person.username, person.name, link

    try:
        username, name, link = await run_in_threadpool(work)
    except (ValidationError, NotFound) as exc:
        return _refused(user, exc, "未能新增人员", "/admin/people")
    return page(
        "admin_link.html", user=user, username=username, person_name=name, link=link, new=True
    )


def person_page(session: Session, username: str) -> dict:
    """One person: roles with remove buttons, account state and actions."""
    person = org.person(session, username)
    account = next(a for a in manage.accounts(session) if a.username == username)
    units = {u.id: u for u in session.scalars(select(Unit))}
    held = sorted(roles.grants_of(session, person.id), key=lambda g: (units[g[1]].code, g[0]))
    return {
        "person": {"username": person.username, "name": person.name, "email": person.email},
        "account": account,
        "state": _account_state(account),
        "grants": [
            {
                "unit": units[unit_id].code,
                "unit_name": units[unit_id].name,
                "role": role.value,
                "role_label": ROLE_LABEL[role.value],
            }
            for role, unit_id in held
        ],
        "units": [(u.code, u.name) for u in sorted(units.values(), key=lambda u: u.code)],
        "roles": list(ROLE_LABEL.items()),
        "history": [
            {"at": local_time(r.at), "label": r.label, "actor": r.actor or "", "detail": r.detail}
            for r in audit.entries(session, limit=2000)
            if r.username == username
        ][:20],
    }


@router.get("/admin/people/{username}", response_class=HTMLResponse)
def person(username: str, user: SignedIn) -> HTMLResponse:
    """One person's roles and account."""
    try:
        with transaction() as session:
            _admin(session, user)
            view = person_page(session, username)
    except NotFound as exc:
        return _refused(user, exc, "找不到该人员", "/admin/people")
    return page("admin_person.html", user=user, **view)


@router.post("/admin/people/{username}/roles", response_class=HTMLResponse)
async def person_roles(username: str, request: Request, user: SignedIn) -> HTMLResponse:
    """Assign (action=add) or remove (action=remove) one role for one unit."""
    form = await _form(request, user)
    back = f"/admin/people/{quote(username)}"

    def work() -> str:
        with transaction() as session:
            _admin(session, user)
            person = org.person(session, username)
            unit, role = _unit_and_role(session, form)
            held = roles.grants_of(session, person.id)
            pair = (role, unit.id)
            if form.get("action") == "remove":
                if pair not in held:
                    raise ValidationError(f"{person.name}并未担任{unit.name}的{ROLE_LABEL[role]}")
                if role is Role.ADMIN and person.username == user.username:
                    raise ValidationError("不能取消自己的管理员角色，请由另一位管理员操作")
                wanted, done = held - {pair}, "已取消"
            else:
                wanted, done = held | {pair}, "已授予"
            if not roles.set_roles(session, person, wanted, actor=user.username, ip=_ip(request)):
                return f"{person.name}已担任{unit.name}的{ROLE_LABEL[role]}，未作更改。"
            return f"{done}{person.name}（{person.username}）{unit.name}的{ROLE_LABEL[role]}角色。"

    try:
        detail = await run_in_threadpool(work)
    except (ValidationError, NotFound) as exc:
        return _refused(user, exc, "未能修改角色", back)
    return _back(user, 200, "角色已更新", detail, back)


@router.post("/admin/people/{username}/account", response_class=HTMLResponse)
async def person_account(username: str, request: Request, user: SignedIn) -> HTMLResponse:
    """Disable, enable, unlock, require or reset the second factor, or issue a password link."""
    form = await _form(request, user)
    back = f"/admin/people/{quote(username)}"
    action = form.get("action")

    def work() -> tuple[str, str | None]:
        with transaction() as session:
            _admin(session, user)
            person = org.person(session, username)
            who, ip = f"{person.name}（{person.username}）", _ip(request)
            if action in ("disable", "enable"):
                if action == "disable" and person.username == user.username:
                    raise ValidationError("不能停用自己的账户")
                changed = manage.set_disabled(
                    session, person, action == "disable", actor=user.username, ip=ip
                )
                verb = "停用" if action == "disable" else "启用"
                return (f"已{verb}{who}的账户。" if changed else f"{who}的账户本已{verb}。"), None
            if action == "unlock":
                changed = manage.unlock(session, person, actor=user.username, ip=ip)
                return (f"已解除{who}的锁定。" if changed else f"{who}未被锁定。"), None
            if action in ("totp_require", "totp_waive"):
                required = action == "totp_require"
                changed = manage.set_totp_required(
                    session, person, required, actor=user.username, ip=ip
                )
                state = "须使用动态验证码登录" if required else "不再必须使用动态验证码"
                return (f"{who}{state}。" if changed else f"{who}本已{state}。"), None
            if action == "totp_reset":
                changed = manage.reset_totp(session, person, actor=user.username, ip=ip)
                return (
                    f"已清除{who}的动态验证码，下次登录时重新设置。"
                    if changed
                    else f"{who}尚未设置动态验证码。"
                ), None
            if action == "link":
                return who, _password_link(session, person, actor=user.username, ip=ip)
            raise ValidationError("请选择要执行的操作")

    try:
        detail, link = await run_in_threadpool(work)
    except (ValidationError, NotFound) as exc:
        return _refused(user, exc, "未能修改账户", back)
    if link:
        return page(
            "admin_link.html",
            user=user,
            username=username,
            person_name=detail,
            link=link,
            new=False,
        )
    return _back(user, 200, "账户已更新", detail, back)


@router.post("/admin/people/{username}/password", response_class=HTMLResponse)
async def person_password(username: str, request: Request, user: SignedIn) -> HTMLResponse:
    """Set or reset a person's password (their sessions end)."""
    form = await _form(request, user)
    back = f"/admin/people/{quote(username)}"
    password = str(form.get("password", ""))
    if password != str(form.get("password2", "")):
        return _back(user, 400, "未能设置密码", f"两次输入的密码不一致。{NOTHING_CHANGED}", back)

    def work() -> str:
        with transaction() as session:
            _admin(session, user)
        # Argon2 takes a moment: hash before the write transaction, not inside it (on SQLite
        # every other writer would wait for it).
        passwords.check_policy(password, username)
        hashed = passwords.hash_password(password)
        with transaction() as session:
            _admin(session, user)
            person = org.person(session, username)
            passwords.store_hash(
                session, person, hashed, actor=user.username, via="web", ip=_ip(request)
            )
            return f"已为{person.name}（{person.username}）设置新密码，其原有登录已全部退出。"

    try:
        detail = await run_in_threadpool(work)
    except (ValidationError, NotFound) as exc:
        return _refused(user, exc, "未能设置密码", back)
    return _back(user, 200, "密码已设置", detail, back)


@router.get("/admin/org.yaml")
def org_download(user: SignedIn) -> Response:
    """The organisation as the YAML file `org load` reads."""
    with transaction() as session:
        _admin(session, user)
        text = org_yaml(session)
    name = f"org-{local_now():%Y%m%d}.yaml"
    return Response(
        text.encode("utf-8"),
        media_type="application/yaml; charset=utf-8",
        headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _upload(form: dict, field: str, what: str) -> tuple[str, bytes]:
    upload = form.get(field)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationError(f"请选择要上传的{what}")
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise ValidationError(f"{what}超过 {MAX_UPLOAD // 1024} KB，请检查是否选错了文件")
    return Path(upload.filename).name, content


@router.post("/admin/org", response_class=HTMLResponse)
async def org_upload(request: Request, user: SignedIn) -> HTMLResponse:
    """Load an organisation file, as `pubreview org load` does (role changes are audited)."""
    form = await _form(request, user)
    try:
        filename, content = await _upload(form, "org_file", "组织机构文件（YAML）")
    except ValidationError as exc:
        return _refused(user, exc, "未能导入组织机构", "/admin/people")

    def work() -> org.OrgSummary:
        # load_org names the file in its errors: give it the name the administrator chose.
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / filename
            path.write_bytes(content)
            try:
                with transaction() as session:
                    _admin(session, user)
                    return org.load_org(session, path, actor=user.username)
            except ValidationError as exc:
                raise ValidationError(str(exc).replace(str(path), filename)) from None

    try:
        summary = await run_in_threadpool(work)
    except ValidationError as exc:
        return _refused(user, exc, "未能导入组织机构", "/admin/people")
    return _back(
        user,
        200,
        "组织机构已导入",
        f"{filename}：{summary.units} 个单位、{summary.people} 人、{summary.grants} 项角色。",
        "/admin/people",
    )


# ---------------------------------------------------------------- access audit

# The audit's detail keys and values as the administrator reads them.
DETAIL_LABEL = {
    "second_factor": "动态验证码",
    "sessions_ended": "结束的登录",
    "added": "新增角色",
    "removed": "取消角色",
    "valid_hours": "链接有效（小时）",
    "required": "要求动态验证码",
    "reason": "原因",
    "unlocked": "解除锁定",
    "until": "锁定至",
    "lockout_s": "锁定（秒）",
    "failures": "连续失败次数",
    "os_user": "操作系统账户",
}
REASON_LABEL = {
    "unknown": "用户名不存在",
    "locked": "账户已锁定",
    "no_password": "尚未设置密码",
    "password": "密码错误",
    "disabled": "账户已停用",
    "code": "动态验证码错误",
}
ACCESS_VIA_LABEL = {"web": "网页", "cli": "命令行", "link": "一次性链接", "sample": "示例数据"}


def _detail(detail: dict, units: dict[str, str]) -> str:
    """One audit entry's detail in Chinese: role@unit as 单位·角色, yes/no as 是/否."""

    def value(key: str, v: object) -> str:
        if isinstance(v, bool):
            return "是" if v else "否"
        if isinstance(v, list):
            return "、".join(value(key, x) for x in v)
        if key in ("added", "removed") and isinstance(v, str) and "@" in v:
            role, code = v.split("@", 1)
            return f"{units.get(code, code)}·{ROLE_LABEL.get(role, role)}"
        if key == "until" and isinstance(v, str):
            return local_time(v)
        if key == "reason":
            return REASON_LABEL.get(str(v), str(v))
        return str(v)

    return "；".join(
        f"{DETAIL_LABEL.get(k, k)}：{value(k, v)}"
        for k, v in detail.items()
        if v not in (None, [], "")
    )


@router.get("/admin/audit", response_class=HTMLResponse)
def access_audit(request: Request, user: SignedIn) -> HTMLResponse:
    """The access audit: logins, failures, lock-outs, password, role and account changes."""
    try:
        days = max(1, min(int(request.query_params.get("days") or 30), 3650))
    except ValueError:
        days = 30
    who = request.query_params.get("username", "").strip()
    with transaction() as session:
        _admin(session, user)
        records = audit.entries(session, since=utcnow() - timedelta(days=days), limit=2000)
        units = dict(session.execute(select(Unit.code, Unit.name)).all())
    rows = [
        {
            "id": r.entry_id,
            "at": local_time(r.at),
            "label": r.label,
            "event": r.event.value,
            "actor": r.actor or "",
            "username": r.username or "",
            "ip": r.ip or "",
            "via": ACCESS_VIA_LABEL.get(r.via, r.via),
            "detail": _detail(r.detail, units),
        }
        for r in records
        if not who or who in (r.username, r.actor)
    ]
    return page("admin_audit.html", user=user, rows=rows, days=days, username=who)


# ---------------------------------------------------------------- ledger


def ledger_state() -> dict:
    """The newest checkpoint and the newest scheduled backup, as the ledger page shows them."""
    log = checkpoints.read_log()
    latest = max(log, key=lambda c: (c.time, c.size), default=None)
    stored = retention.latest(settings.load().backups)
    return {
        "checkpoint": None
        if latest is None
        else {**latest.to_dict(), "local_time": local_time(latest.time)},
        "checkpoints": len(log),
        "backup": None
        if stored is None
        else {
            "folder": str(stored.folder),
            "local_time": local_time(stored.created),
            "entries": stored.entries,
            "verified": stored.verified,
        },
    }


@router.get("/admin/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, user: SignedIn) -> HTMLResponse:
    """The newest checkpoint and backup; `pubreview ledger verify` in full on request."""
    result, error = None, None
    with transaction() as session:
        _admin(session, user)
    try:
        state = ledger_state()
    except PubreviewError as exc:
        # An unreadable checkpoint log is itself what the page must say.
        state = {"checkpoint": None, "checkpoints": 0, "backup": None, "problem": str(exc)}
    if request.query_params.get("verify"):
        # A reader's session of its own: the full check reads one snapshot and, however long it
        # takes, holds up no writer (nor waits for one).
        with snapshot() as session:
            try:
                result = verify_all(session)
            except PubreviewError as exc:
                error = str(exc)
    return page(
        "admin_ledger.html",
        user=user,
        result=result,
        error=error,
        state=state,
        checked_at=local_time(utcnow()),
    )


# ---------------------------------------------------------------- scheduled screening


def _with_local_time(found: dict | None) -> dict | None:
    return None if found is None else {**found, "local_time": local_time(found["at"])}


@router.get("/admin/health", response_class=HTMLResponse)
def health_page(user: SignedIn) -> HTMLResponse:
    """The last archive re-scan and 栏目 health runs (deployments archive-rescan, column-health)."""
    with transaction() as session:
        _admin(session, user)
    return page(
        "admin_health.html",
        user=user,
        rescan=_with_local_time(screening_results.load(screening_results.RESCAN)),
        columns=_with_local_time(screening_results.load(screening_results.COLUMNS)),
        prefect_ui=settings.load().prefect_ui_url,
    )


# ---------------------------------------------------------------- annual report


reports_dir = supplement.reports_dir
supplement_path = supplement.default_path


def _year(value: str) -> int:
    try:
        year = int(value)
    except ValueError:
        raise ValidationError(f"「{value}」不是年份") from None
    if not 2000 <= year <= local_now().year:
        raise ValidationError(f"年份 {year} 不在 2000 年至今年之间")
    return year


def _fmt(value: str | None) -> str | None:
    value = (value or "").strip()
    if value and value not in formats.EDITIONS:
        raise ValidationError(f"未知的年报格式「{value}」")
    return value or None


def _last_check(year: int) -> dict | None:
    path = reports_dir(year) / "last-check.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def report_view(year: int, fmt: str | None) -> dict:
    """The report page: the edition, the supplement, the files made and the last checks."""
    edition, _ = choose_edition(year, fmt)
    path = supplement_path(year)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    out = reports_dir(year)
    files = [
        {"kind": kind, "label": label, "name": name}
        for kind, label in REPORT_FILES.items()
        if (out / (name := f"annual-report-{year}-{edition.key}{_SUFFIX[kind]}")).exists()
    ]
    return {
        "year": year,
        "years": list(range(local_now().year, 2017, -1)),
        "fmt": fmt or "",
        "edition": edition.name,
        "editions": [(e.key, e.name) for e in formats.EDITIONS.values()],
        "supplement": text,
        "has_supplement": bool(text),
        "files": files,
        "check": _last_check(year),
    }


@router.get("/admin/report", response_class=HTMLResponse)
def report_page(request: Request, user: SignedIn) -> HTMLResponse:
    """Choose year and format, keep the supplement, generate, download, read the checks."""
    with transaction() as session:
        _admin(session, user)
    try:
        year = _year(request.query_params.get("year") or str(local_now().year - 1))
        fmt = _fmt(request.query_params.get("format"))
        view = report_view(year, fmt)
    except ValidationError as exc:
        return _refused(user, exc, "无法打开年报页面", "/admin/report")
    return page("admin_report.html", user=user, **view)


def _save_supplement(year: int, fmt: str | None, content: bytes) -> Path:
    """Check a supplement and keep it; a file that does not read is refused, the old one kept."""
    edition, _ = choose_edition(year, fmt)
    path = supplement_path(year)
    path.parent.mkdir(parents=True, exist_ok=True)
    trial = path.with_name(f".{path.name}.new")
    try:
        trial.write_bytes(content)
        # Tables the request ledger counts for the year are not asked of the office.
        from_ledger = tables_from_ledger(db.default_engine(), year, edition)
        supplement.load(trial, year, edition, from_ledger=from_ledger)
        trial.replace(path)
    except ValidationError as exc:
        raise ValidationError(str(exc).replace(str(trial), path.name)) from None
    finally:
        trial.unlink(missing_ok=True)
    return path


@router.post("/admin/report/{year}/supplement", response_class=HTMLResponse)
async def report_supplement(year: int, request: Request, user: SignedIn) -> HTMLResponse:
    """Start the supplement from the template, save the edited text, or take an upload."""
    form = await _form(request, user)
    action = form.get("action")
    back = f"/admin/report?year={year}"

    def work(content: bytes | None) -> str:
        with transaction() as session:
            _admin(session, user)
        fmt = _fmt(str(form.get("format", "")))
        if action == "template":
            edition, _ = choose_edition(year, fmt)
            supplement.write_template(
                supplement_path(year),
                year,
                edition,
                from_ledger=tables_from_ledger(db.default_engine(), year, edition),
            )
            return f"已按{edition.name}生成 {year} 年度补充材料模板，请在下方填写后保存。"
        _save_supplement(year, fmt, content or b"")
        return f"{year} 年度补充材料已保存。"

    try:
        _year(str(year))
        content = None
        if action == "upload":
            _, content = await _upload(form, "supplement_file", "补充材料文件（YAML）")
        elif action == "save":
            content = str(form.get("content", "")).replace("\r\n", "\n").encode("utf-8")
        elif action != "template":
            raise ValidationError("请选择要执行的操作")
        detail = await run_in_threadpool(work, content)
    except ValidationError as exc:
        return _refused(user, exc, "未能保存补充材料", back)
    return _back(user, 200, "补充材料已更新", detail, back)


@router.post("/admin/report/{year}/generate", response_class=HTMLResponse)
async def report_generate(year: int, request: Request, user: SignedIn) -> HTMLResponse:
    """Generate the report as `pubreview report YEAR` does; show its checks."""
    form = await _form(request, user)
    back = f"/admin/report?year={year}"

    def work() -> dict:
        with transaction() as session:
            _admin(session, user)
        fmt = _fmt(str(form.get("format", "")))
        path = supplement_path(year)
        if not path.exists():
            raise ValidationError(f"{year} 年度还没有补充材料：请先生成模板并填写")
        report = build_report(db.default_engine(), year, fmt, path, reports_dir(year))
        summary = report.summary()
        summary["claims_summary"] = report.result.claims.summary()
        summary["all_pass"] = report.result.all_pass
        summary["generated_at"] = local_time(utcnow())
        (reports_dir(year) / "last-check.json").write_text(
            json.dumps(summary, ensure_ascii=False, default=str), encoding="utf-8"
        )
        return summary

    try:
        _year(str(year))
        summary = await run_in_threadpool(work)
    except PubreviewError as exc:
        return _refused(user, exc, "未能生成年报", back)
    fmt_query = f"&format={summary['format']}" if form.get("format") else ""
    return _back(
        user,
        200,
        "年报已生成" + ("（草稿）" if summary["draft"] else ""),
        f"{year} 年度报告（{summary['edition']}）已生成：共发布信息 {summary['total']} 条；"
        f"发现问题 {len(summary['problems'])} 处。请在年报页面查看校验结果并下载。",
        back + fmt_query,
    )


@router.get("/admin/report/{year}/files/{name}")
def report_file(year: int, name: str, user: SignedIn) -> Response:
    """A generated report file, downloaded."""
    with transaction() as session:
        _admin(session, user)
    path = reports_dir(year) / name
    suffix = Path(name).suffix
    # Only the files build_report writes; never a path out of the folder.
    if (
        not re.fullmatch(rf"annual-report-{year}-[a-z0-9-]+\.(html|md|docx)", name)
        or not path.exists()
    ):
        return _back(
            user,
            404,
            "找不到该文件",
            f"请先生成 {year} 年度报告。{NOTHING_CHANGED}",
            f"/admin/report?year={year}",
        )
    return Response(
        path.read_bytes(),
        media_type=_MEDIA[suffix],
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        },
    )


# ---------------------------------------------------------------- review runs in Prefect


@router.get("/admin/runs", response_class=HTMLResponse)
def runs(request: Request, user: SignedIn) -> HTMLResponse:
    """Every item with a link to its review run in the Prefect UI, newest first."""
    try:
        number = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        number = 1
    ui = settings.load().prefect_ui_url
    with transaction() as session:
        _admin(session, user)
        total = session.scalar(select(func.count()).select_from(Publication)) or 0
        pages = max(1, -(-total // RUNS_PAGE))
        number = min(number, pages)
        rows = session.execute(
            select(Publication, Unit.name)
            .join(Unit, Unit.id == Publication.unit_id)
            .order_by(Publication.id.desc())
            .limit(RUNS_PAGE)
            .offset((number - 1) * RUNS_PAGE)
        ).all()
        items = [
            {
                "id": p.id,
                "title": p.title,
                "unit": unit_name,
                "status": STATUS_LABEL[p.status],
                "run_id": p.flow_run_id,
                "run_url": f"{ui}runs/flow-run/{p.flow_run_id}" if p.flow_run_id else None,
            }
            for p, unit_name in rows
        ]
    return page(
        "admin_runs.html",
        user=user,
        items=items,
        page=number,
        pages=pages,
        total=total,
        prefect_ui=ui,
    )
