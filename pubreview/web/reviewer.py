"""The reviewers' pages after login: what waits on me, what I decided, deciding on an item.

The decision form on /items/{id} posts here; the decision goes through `web.deciding` (one
`DecisionRequest`, decided in its own transaction, Prefect told after the commit) like every
other page that decides.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from pubreview.accounts import authz
from pubreview.errors import DecisionRefused, NotFound, ValidationError
from pubreview.labels import OUTCOME_LABEL, STAGE_LABEL
from pubreview.review.submission import get
from pubreview.web.auth import CurrentUser, check_csrf, current_user
from pubreview.web.common import NOTHING_CHANGED, message, page, snapshot
from pubreview.web.deciding import record_decision, request_from_form
from pubreview.web.items import decided_before, my_queue, stage_of

router = APIRouter()
SignedIn = Annotated[CurrentUser, Depends(current_user)]
VIA = "web-session"


@router.get("/queue", response_class=HTMLResponse)
def queue(user: SignedIn) -> HTMLResponse:
    """待我审核: what waits on me, oldest first, and what I decided before."""
    with snapshot() as session:
        view = my_queue(session, user.username)
        decided = decided_before(session, user.username)
    return page("my_queue.html", user=user, decided=decided, **view)


def _may_view(user: CurrentUser, pub_id: int) -> None:
    with snapshot() as session:
        authz.require(session, user, "view_item", publication=get(session, pub_id))


@router.post("/items/{pub_id}/decide", response_class=HTMLResponse)
async def decide_post(
    pub_id: int,
    request: Request,
    tasks: BackgroundTasks,
    user: SignedIn,
) -> HTMLResponse:
    """同意 / 退回修改 / 不予发布 on the step the item page showed."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(user, form)
    back = [("返回该信息", f"/items/{pub_id}")]
    try:
        await run_in_threadpool(_may_view, user, pub_id)
    except NotFound:
        return message(404, "找不到该信息", f"没有第 {pub_id} 号信息。{NOTHING_CHANGED}", user=user)
    stage = stage_of(form.get("stage"))
    revision = form.get("revision", "")
    if stage is None or not revision.isdigit():
        return message(
            400,
            "无法识别要决定的环节",
            f"请返回该信息页面后重新提交。{NOTHING_CHANGED}",
            links=back,
            user=user,
        )
    try:
        decision = request_from_form(
            form,
            publication_id=pub_id,
            username=user.username,
            stage=stage,
            revision=int(revision),
            via=VIA,
        )
        result = await record_decision(request, decision, tasks)
    except (DecisionRefused, ValidationError, NotFound) as exc:
        return message(409, "未能记录您的决定", f"{exc}。{NOTHING_CHANGED}", links=back, user=user)
    return page(
        "decided.html",
        user=user,
        recorded=result.recorded,
        outcome=OUTCOME_LABEL[result.outcome],
        stage_label=STAGE_LABEL[stage_of(result.stage)],
        actor=result.actor,
        publication_id=result.publication_id,
        revision=result.revision,
        entry_id=result.entry_id,
        queue_url="/queue",
    )
