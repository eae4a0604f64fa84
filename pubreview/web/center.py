"""The center's console (/center): publish, record hand channels, retract, adopt, search.

Each action is the domain function the command line uses — the center's approval goes through
`web.deciding.record_decision` (as every decision does), a channel's URL through
`publishing.channels.confirm`, a retraction through `retraction.retract`, a pickup through
`adoption.adopt` — in its own transaction; a refusal leaves the ledger as it was. After commit
the site is brought up to date and Prefect told, as `pubreview publish|retract|adopt` do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from models import LedgerEntry, LedgerKind, Publication, Stage, Status, Unit
from pubreview.accounts import authz
from pubreview.errors import DecisionRefused, NotFound, PubreviewError, ValidationError
from pubreview.labels import ADOPTION_LEVEL_LABEL, STATUS_LABEL
from pubreview.publishing import OFFICE_TIMEZONE, adoption, retraction, search
from pubreview.publishing import catalog as catalog_mod
from pubreview.publishing import channels as channels_mod
from pubreview.publishing.entries import Adopted, Retracted
from pubreview.publishing.record import publish_at
from pubreview.review.submission import get
from pubreview.site import default_out_dir, render_publication
from pubreview.web.auth import CurrentUser, check_csrf, current_user
from pubreview.web.common import NOTHING_CHANGED, message, page, snapshot, transaction
from pubreview.web.deciding import record_decision, request_from_form
from pubreview.web.review import local_time, waited

log = logging.getLogger(__name__)

router = APIRouter()
SignedIn = Annotated[CurrentUser, Depends(current_user)]

VIA = "web-session"
PANEL = 20  # items shown with their forms in each list of the console
_DATETIME_HINT = "请按“2026-12-01 09:00”的格式填写"


# ---------------------------------------------------------------- what the console shows


@dataclass(frozen=True)
class HandChannel:
    """A hand-published channel of one item: its limit and the text to post there."""

    name: str
    max_length: int | None
    text: str
    published: bool
    url: str | None
    published_at: str | None


def _hand_channels(
    session: Session, pub: Publication, catalog: catalog_mod.Catalog
) -> list[HandChannel]:
    out = []
    for state in channels_mod.channel_states(session, pub.id, catalog):
        if catalog.is_site(state.channel):
            continue
        spec = catalog.channels.get(state.channel)
        out.append(
            HandChannel(
                state.channel,
                spec.max_length if spec else None,
                channels_mod.post_text(session, pub.id, state.channel, catalog) if spec else "",
                state.published,
                state.url,
                local_time(state.published_at) if state.published_at else None,
            )
        )
    return out


def _item(
    session: Session,
    pub: Publication,
    catalog: catalog_mod.Catalog,
    units: dict,
    *,
    hand: bool = True,
) -> dict:
    """One item as the console lists it; `hand` adds each hand channel's text to post."""
    return {
        "id": pub.id,
        "title": pub.title,
        "unit": units[pub.unit_id],
        "category": pub.category,
        "channels": list(pub.channels),
        "revision": pub.current_revision,
        "status": STATUS_LABEL[pub.status],
        "since": local_time(pub.waiting_since),
        "waited": waited(pub.waiting_since),
        "site_channels": [c for c in pub.channels if catalog.is_site(c)],
        "hand": _hand_channels(session, pub, catalog) if hand else [],
    }


def _pending_registration(session: Session) -> list[Publication]:
    """Published items with a hand channel not yet confirmed (待中心登记)."""
    catalog = catalog_mod.load()
    hand = {name for name, spec in catalog.channels.items() if not spec.is_site}
    out = set(
        session.execute(
            select(LedgerEntry.publication_id, LedgerEntry.payload["channel"].as_string()).where(
                LedgerEntry.kind == LedgerKind.PUBLISHED
            )
        ).all()
    )
    published = session.scalars(
        select(Publication)
        .where(Publication.status == Status.PUBLISHED)
        .order_by(Publication.waiting_since)
    )
    return [p for p in published if any(c in hand and (p.id, c) not in out for c in p.channels)]


def _parse_date(text: str, label: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{label}「{text}」无法识别，请按“2026-01-31”的格式填写") from None


def search_query(params: dict[str, str]) -> search.Query:
    """The search form's fields as a query (ValidationError names a field it cannot read)."""
    try:
        number = int(params.get("page") or 1)
    except ValueError:
        number = 1
    start = _parse_date(params.get("from", ""), "起始日期")
    end = _parse_date(params.get("to", ""), "截止日期")
    if start and end and start > end:
        raise ValidationError("起始日期晚于截止日期，请调换后再搜索")
    return search.Query(
        title=params.get("title", ""),
        unit=params.get("unit", ""),
        category=params.get("category", ""),
        channel=params.get("channel", ""),
        published_from=start,
        published_to=end,
        page=number,
    )


def console_page(session: Session, params: dict[str, str]) -> dict:
    """Everything /center shows: what waits, what is scheduled, what needs its URL, a search."""
    catalog = catalog_mod.load()
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    waiting = session.scalars(
        select(Publication)
        .where(Publication.status == Status.IN_REVIEW, Publication.stage == Stage.PUBLICATION)
        .order_by(Publication.waiting_since)
    ).all()
    pending = _pending_registration(session)
    scheduled = session.scalars(
        select(Publication)
        .where(Publication.status == Status.SCHEDULED)
        .order_by(Publication.waiting_since)
    )
    search_error, results = None, None
    try:
        # With no field filled in, the newest published items.
        results = search.search(session, search_query(params))
    except ValidationError as exc:
        search_error = str(exc)
    kept = {k: params.get(k, "") for k in ("title", "unit", "category", "channel", "from", "to")}
    return {
        # The oldest first, a panel's worth each: each form renders its text to post.
        "waiting": [_item(session, p, catalog, units) for p in waiting[:PANEL]],
        "waiting_total": len(waiting),
        "scheduled": [
            {
                **_item(session, p, catalog, units, hand=False),
                "publish_at": local_time(when) if (when := publish_at(session, p)) else "",
            }
            for p in scheduled
        ],
        "pending": [_item(session, p, catalog, units) for p in pending[:PANEL]],
        "pending_total": len(pending),
        "panel": PANEL,
        "search": {
            "error": search_error,
            "fields": kept,
            "results": [
                {
                    "id": f.id,
                    "title": f.title,
                    "unit": f.unit,
                    "category": f.category,
                    "channels": f.channels,
                    "status": STATUS_LABEL[f.status],
                    "published_at": f.published_at.strftime("%Y-%m-%d %H:%M"),
                }
                for f in (results.items if results else [])
            ],
            "total": results.total if results else 0,
            "page": results.page if results else 1,
            "pages": results.pages if results else 1,
            "prev": _page_link(kept, results.page - 1) if results and results.page > 1 else None,
            "next": _page_link(kept, results.page + 1)
            if results and results.page < results.pages
            else None,
        },
        "units": session.execute(select(Unit.code, Unit.name).order_by(Unit.code)).all(),
        "categories": catalog.categories,
        "channels": list(catalog.channels),
    }


def _page_link(fields: dict[str, str], number: int) -> str:
    kept = {k: v for k, v in fields.items() if v}
    return "/center?" + urlencode({**kept, "page": number}) + "#search"


def item_console(session: Session, publication_id: int) -> dict:
    """What /center/items/{id} shows: where the item stands and every form the center needs."""
    catalog = catalog_mod.load()
    pub = get(session, publication_id)
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    history = channels_mod.channel_states(session, pub.id, catalog)
    retracted = retraction_of(session, pub.id)
    adoptions = [
        {
            "level": ADOPTION_LEVEL_LABEL.get(a.level, a.level),
            "outlet": a.outlet,
            "url": a.url,
            "at": local_time(e.created_at),
        }
        for e in session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.publication_id == pub.id, LedgerEntry.kind == LedgerKind.ADOPTED)
            .order_by(LedgerEntry.id)
        )
        for a in [Adopted.from_payload(e.payload)]
    ]
    when = publish_at(session, pub) if pub.status is Status.SCHEDULED else None
    return {
        "item": _item(session, pub, catalog, units),
        "awaiting_publication": pub.status is Status.IN_REVIEW and pub.stage is Stage.PUBLICATION,
        "published": pub.status is Status.PUBLISHED,
        "publish_at": local_time(when) if when else None,
        "channel_states": [
            {
                "channel": s.channel,
                "kind": "网站（系统发布）" if catalog.is_site(s.channel) else "人工发布",
                "published": s.published,
                "url": s.url,
                "at": local_time(s.published_at) if s.published_at else "",
            }
            for s in history
        ],
        "retraction": retracted,
        "adoptions": adoptions,
        "levels": list(ADOPTION_LEVEL_LABEL.items()),
    }


def retraction_of(session: Session, publication_id: int) -> dict | None:
    """The item's retraction as the console shows it, if it was retracted."""
    entry = session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.publication_id == publication_id, LedgerEntry.kind == LedgerKind.RETRACTED
        )
    ).first()
    if entry is None:
        return None
    retracted = Retracted.from_payload(entry.payload)
    return {
        "actor": entry.actor,
        "at": local_time(entry.created_at),
        "reason": retracted.reason,
        "confidentiality": retracted.confidentiality,
    }


# ---------------------------------------------------------------- after a step commits


def _after_step(
    after_commit, event: str, pub_id: int, actor: str, payload: dict, refresh_site: bool
) -> None:
    """Bring the site up to date and tell Prefect; the ledger is committed whatever happens."""
    if refresh_site:
        try:
            with transaction() as session:
                render_publication(session, default_out_dir(), pub_id)
        except (OSError, PubreviewError) as exc:
            log.warning("site not updated after %s on %s: %s", event, pub_id, exc)
    log.info(
        "after %s on %s: %s",
        event,
        pub_id,
        after_commit(event, pub_id, actor=actor, resume=False, payload=payload),
    )


def _hand_off(
    request: Request,
    tasks: BackgroundTasks,
    event: str,
    pub_id: int,
    actor: str,
    payload: dict,
    *,
    refresh_site: bool = True,
) -> None:
    tasks.add_task(
        _after_step, request.app.state.after_commit, event, pub_id, actor, payload, refresh_site
    )


# ---------------------------------------------------------------- routes


def _require_center(user: CurrentUser) -> None:
    with transaction() as session:
        authz.require(session, user, "center")


async def _form(request: Request, user: CurrentUser) -> dict[str, str]:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(user, form)
    return form


def _refused(user: CurrentUser, pub_id: int, exc: Exception, heading: str) -> HTMLResponse:
    status = 404 if isinstance(exc, NotFound) else 409
    return message(
        status,
        heading,
        f"{exc}。{NOTHING_CHANGED}",
        links=[("返回发布管理", f"/center/items/{pub_id}"), ("返回发布台", "/center")],
        user=user,
    )


def _done(user: CurrentUser, pub_id: int, heading: str, detail: str) -> HTMLResponse:
    return message(
        200,
        heading,
        detail,
        links=[("返回发布管理", f"/center/items/{pub_id}"), ("返回发布台", "/center")],
        user=user,
    )


@router.get("/center", response_class=HTMLResponse)
def center(request: Request, user: SignedIn) -> HTMLResponse:
    """The console: waiting for 中心发布, 定时发布, 待中心登记, and the search."""
    params = dict(request.query_params)
    with snapshot() as session:
        authz.require(session, user, "center")
        view = console_page(session, params)
    return page("center.html", user=user, **view)


@router.get("/center/items/{publication_id}", response_class=HTMLResponse)
def center_item(publication_id: int, user: SignedIn) -> HTMLResponse:
    """One item's publication management: publish, channels, retraction, adoption."""
    try:
        with snapshot() as session:
            authz.require(session, user, "center")
            view = item_console(session, publication_id)
    except NotFound as exc:
        return _refused(user, publication_id, exc, "找不到该信息")
    return page("center_item.html", user=user, **view)


def parse_local(text: str, label: str) -> datetime | None:
    """A datetime-local field as an office-time moment, or None when empty."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{label}「{text}」无法识别，{_DATETIME_HINT}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=OFFICE_TIMEZONE)


async def _decide(
    request: Request,
    tasks: BackgroundTasks,
    user: CurrentUser,
    publication_id: int,
    fields: dict[str, str],
):
    """The center's 中心发布 decision from its form, through the one web decision path."""
    revision = int(fields["revision"]) if fields.get("revision", "").isdigit() else None
    decision = request_from_form(
        fields,
        publication_id=publication_id,
        username=user.username,
        stage=Stage.PUBLICATION,
        revision=revision,
        via=VIA,
    )
    return await record_decision(request, decision, tasks)


@router.post("/center/items/{publication_id}/publish", response_class=HTMLResponse)
async def publish(
    publication_id: int,
    request: Request,
    tasks: BackgroundTasks,
    user: SignedIn,
) -> HTMLResponse:
    """中心发布: publish now, or at a time (定时发布), with the hand channels' URLs if known."""
    form = await _form(request, user)
    await run_in_threadpool(_require_center, user)
    when = form.get("when", "now")
    fields = {**form, "outcome": "approve"}
    try:
        if when == "scheduled":
            if not form.get("publish_at", "").strip():
                raise ValidationError("定时发布请填写发布时间")
        else:
            fields["publish_at"] = ""
        result = await _decide(request, tasks, user, publication_id, fields)
    except (DecisionRefused, ValidationError, NotFound) as exc:
        return _refused(user, publication_id, exc, "未能发布")
    if not result.recorded:
        return _done(user, publication_id, "此前已记录", result.message)
    if result.status == Status.SCHEDULED.value:
        when_text = parse_local(form["publish_at"], "定时发布时间").strftime("%Y-%m-%d %H:%M")
        detail = f"第 {publication_id} 号信息将于 {when_text} 发布。"
        return _done(user, publication_id, "已安排定时发布", detail)
    return _done(
        user,
        publication_id,
        "已发布",
        f"第 {publication_id} 号信息已同意发布；尚未登记地址的人工发布渠道列在“待中心登记”中。",
    )


@router.post("/center/items/{publication_id}/decline", response_class=HTMLResponse)
async def decline(
    publication_id: int,
    request: Request,
    tasks: BackgroundTasks,
    user: SignedIn,
) -> HTMLResponse:
    """中心发布 not given: back to the submitter for revision, or not published, with a reason."""
    form = await _form(request, user)
    await run_in_threadpool(_require_center, user)
    try:
        if form.get("outcome") not in ("return", "reject"):
            raise ValidationError("请点击“退回修改”或“不予发布”")
        result = await _decide(request, tasks, user, publication_id, form)
    except (DecisionRefused, ValidationError, NotFound) as exc:
        return _refused(user, publication_id, exc, "未能记录")
    if not result.recorded:
        return _done(user, publication_id, "此前已记录", result.message)
    what = "已退回报送人修改" if form["outcome"] == "return" else "已决定不予发布"
    return _done(user, publication_id, what, f"第 {publication_id} 号信息{what}，意见已记录。")


def _confirm(user: CurrentUser, pub_id: int, channel: str, url: str, when: datetime | None):
    with transaction() as session:
        authz.require(session, user, "center")
        return channels_mod.confirm(
            session, pub_id, channel, url.strip(), user.username, published_at=when
        )


@router.post("/center/items/{publication_id}/channels", response_class=HTMLResponse)
async def confirm_channel(
    publication_id: int,
    request: Request,
    tasks: BackgroundTasks,
    user: SignedIn,
) -> HTMLResponse:
    """Record where and when the center posted the item on a hand-published channel."""
    form = await _form(request, user)
    channel = form.get("channel", "")
    try:
        if not form.get("url", "").strip():
            raise ValidationError(f"请填写{channel}的发布地址")
        when = parse_local(form.get("published_at", ""), "发布时间")
        result = await run_in_threadpool(_confirm, user, publication_id, channel, form["url"], when)
    except (DecisionRefused, ValidationError, NotFound) as exc:
        return _refused(user, publication_id, exc, f"未能登记{channel}")
    if not result.recorded:
        return _done(
            user,
            publication_id,
            "此前已登记",
            f"{channel}此前已登记为 {result.url}，本次未作更改。",
        )
    _hand_off(
        request,
        tasks,
        "publication.channel.published",
        publication_id,
        user.username,
        {"channel": result.channel, "url": result.url, "ledger_entry": result.entry_id},
    )
    return _done(
        user,
        publication_id,
        f"已登记{channel}地址",
        f"第 {publication_id} 号信息已在{channel}发布：{result.url}",
    )


def _retract(user: CurrentUser, pub_id: int, reason: str, confidentiality: bool):
    with transaction() as session:
        authz.require(session, user, "center")
        return retraction.retract(session, pub_id, user.username, reason, confidentiality)


@router.post("/center/items/{publication_id}/retract", response_class=HTMLResponse)
async def retract(
    publication_id: int,
    request: Request,
    tasks: BackgroundTasks,
    user: SignedIn,
) -> HTMLResponse:
    """撤回: withdraw a published item; its page becomes a notice giving the reason."""
    form = await _form(request, user)
    confidentiality = form.get("confidentiality") == "yes"
    try:
        result = await run_in_threadpool(
            _retract, user, publication_id, form.get("reason", ""), confidentiality
        )
    except (DecisionRefused, ValidationError, NotFound) as exc:
        return _refused(user, publication_id, exc, "未能撤回")
    if not result.recorded:
        return _done(
            user,
            publication_id,
            "此前已撤回",
            f"{result.actor}已于 {local_time(result.retracted_at)} 撤回，本次未作更改。",
        )
    _hand_off(
        request,
        tasks,
        "publication.retracted",
        publication_id,
        user.username,
        # A confidentiality retraction hides its reason on the site: keep it out of events too.
        {
            "reason": None if confidentiality else result.reason,
            "confidentiality": confidentiality,
            "ledger_entry": result.entry_id,
        },
    )
    return _done(
        user, publication_id, "已撤回", f"第 {publication_id} 号信息已撤回，网站页面改为撤回说明。"
    )


def _adopt(user: CurrentUser, pub_id: int, level: str, outlet: str, url: str | None):
    with transaction() as session:
        authz.require(session, user, "center")
        return adoption.adopt(session, pub_id, level, outlet, url, actor_username=user.username)


@router.post("/center/items/{publication_id}/adopt", response_class=HTMLResponse)
async def adopt(
    publication_id: int,
    request: Request,
    tasks: BackgroundTasks,
    user: SignedIn,
) -> HTMLResponse:
    """媒体采用: a central or provincial outlet took the item up."""
    form = await _form(request, user)
    url = form.get("url", "").strip() or None
    try:
        if form.get("level") not in ADOPTION_LEVEL_LABEL:
            raise ValidationError("请选择采用级别：中央级或省级")
        result = await run_in_threadpool(
            _adopt, user, publication_id, form["level"], form.get("outlet", ""), url
        )
    except (DecisionRefused, ValidationError, NotFound) as exc:
        return _refused(user, publication_id, exc, "未能登记采用")
    level = ADOPTION_LEVEL_LABEL[result.level]
    if not result.recorded:
        return _done(
            user, publication_id, "此前已登记", f"{result.outlet}的采用此前已登记，本次未作更改。"
        )
    _hand_off(
        request,
        tasks,
        "publication.adopted",
        publication_id,
        user.username,
        {
            "level": result.level,
            "outlet": result.outlet,
            "url": result.url,
            "ledger_entry": result.entry_id,
        },
        refresh_site=False,
    )
    return _done(
        user,
        publication_id,
        "已登记媒体采用",
        f"{result.outlet}（{level}）采用了第 {publication_id} 号信息。",
    )
