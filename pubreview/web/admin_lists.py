"""The administrator's screening lists (/admin/lists): the leader list, the no-longer-in-office
list and the office's additions to the 错敏 lexicon.

Every change goes through the lists' own functions (`leaders.put_entry`, `remove_entry`,
`lexicon.put_office_entry`, `remove_office_entry`): the whole list is checked by its loader
before the file is replaced, the change is recorded in the access audit in the same request,
and the next screen (a draft's 预览/检查, 初审, the archive re-scan) uses the new list.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from pubreview.accounts import audit, authz
from pubreview.accounts.audit import AccessEvent
from pubreview.errors import PubreviewError, ValidationError
from pubreview.screening import leaders, lexicon
from pubreview.screening.listfile import ACTION_LABEL, LIST_LABEL, ListChange
from pubreview.web.auth import CurrentUser, check_csrf, current_user
from pubreview.web.common import NOTHING_CHANGED, message, page, transaction

router = APIRouter()
SignedIn = Annotated[CurrentUser, Depends(current_user)]
BACK = "/admin/lists"
SEVERITY_LABEL = {"block": "阻止（须修改后才能通过初审）", "warn": "提示"}


def _back(user: CurrentUser, status: int, heading: str, detail: str) -> HTMLResponse:
    return message(
        status, heading, detail, links=[("返回", BACK), ("系统管理", "/admin")], user=user
    )


def lists_view() -> dict:
    """The three lists as the page shows them; a list that does not load says why."""
    view: dict = {"problems": [], "leaders": [], "departed": [], "errata": []}
    try:
        loaded = leaders.load_leaders()
        view["leaders"] = [
            {
                "name": p.name,
                "title": p.title,
                "unit": p.unit,
                "former": "、".join(
                    f"{f.title}（至 {f.until.isoformat()}）" if f.until else f.title
                    for f in p.former
                ),
            }
            for p in loaded.leaders.values()
        ]
        view["departed"] = [
            {
                "name": p.name,
                "status": p.status,
                "since": p.since.isoformat() if p.since else "",
                "severity": p.severity,
            }
            for p in loaded.departed.values()
        ]
    except PubreviewError as exc:
        view["problems"].append(str(exc))
    try:
        view["errata"] = [
            {
                "wrong": e.wrong,
                "right": e.right,
                "reason": e.reason,
                "source": e.source,
                "severity": e.severity,
                "unless": "\n".join(e.unless),
            }
            for e in lexicon.office_entries()
        ]
        shipped = lexicon.load_lexicon()
        view["shipped"] = len(shipped)
        view["unverified"] = sorted({e.right for e in shipped.errata.values() if not e.verified})
    except PubreviewError as exc:
        view["problems"].append(str(exc))
    view["leaders_file"] = str(leaders.default_path())
    view["office_file"] = str(lexicon.office_path())
    view["severities"] = list(SEVERITY_LABEL.items())
    return view


@router.get("/admin/lists", response_class=HTMLResponse)
def lists_page(user: SignedIn) -> HTMLResponse:
    """The leader list, the departed list and the office's 错敏 words, each editable."""
    with transaction() as session:
        authz.require(session, user, "admin")
    return page("admin_lists.html", user=user, **lists_view())


def _change(list_name: str, form: dict, record) -> ListChange:
    """Apply the form's action (add, edit, remove) to one list."""
    action, original = form.get("action"), str(form.get("original", "")).strip()
    if action == "remove":
        if list_name == "errata":
            return lexicon.remove_office_entry(original, record=record)
        return leaders.remove_entry(list_name, original, record=record)
    if action not in ("add", "edit"):
        raise ValidationError("请选择要执行的操作")
    replacing = original if action == "edit" else None
    if list_name == "errata":
        fields = lexicon.office_fields(form)
        return lexicon.put_office_entry(fields, replacing=replacing, record=record)
    read = leaders.leader_fields if list_name == "leaders" else leaders.departed_fields
    fields = read(form)
    return leaders.put_entry(list_name, fields, replacing=replacing, record=record)


@router.post("/admin/lists/{list_name}", response_class=HTMLResponse)
async def change_list(list_name: str, request: Request, user: SignedIn) -> HTMLResponse:
    """Add, change or remove one entry of the leader list, the departed list or the lexicon."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(user, form)
    if list_name not in LIST_LABEL:
        return _back(user, 404, "找不到该名单", f"没有名为「{list_name}」的名单。{NOTHING_CHANGED}")
    ip = request.client.host if request.client else None

    def work() -> ListChange:
        with transaction() as session:
            authz.require(session, user, "admin")

            def record(change: ListChange) -> None:
                # In this transaction, before the file is replaced: no change goes unaudited.
                audit.record(
                    session,
                    AccessEvent.LIST_CHANGED,
                    actor=user.username,
                    username=None,
                    ip=ip,
                    **change.detail(),
                )
                session.flush()

            return _change(list_name, form, record)

    try:
        change = await run_in_threadpool(work)
    except ValidationError as exc:
        return _back(user, 422, f"未能修改{LIST_LABEL[list_name]}", f"{exc}。{NOTHING_CHANGED}")
    done = f"已{ACTION_LABEL[change.action]}{LIST_LABEL[list_name]}中的「{change.key}」"
    return _back(user, 200, "名单已更新", f"{done}，之后的筛查即按新名单进行；已记入访问审计。")
