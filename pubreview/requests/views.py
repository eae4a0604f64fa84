"""What people see of requests: the list with days left, one request in full, the overdue.

The applicant's name and contact are shown only to people who handle requests; everyone else
(and every list that might be printed) gets them masked. So are the receipt's attachments:
handlers see each one's name, size and SHA-256; everyone else only how many there are. The
web pages and `pubreview request list|show` both read these views.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DisclosureCase, DisclosureRequest
from models.requests import RequestStatus
from pubreview import clock
from pubreview.labels import KIND_LABEL, REPLY_STEP_LABEL, REQUEST_STATUS_LABEL
from pubreview.requests import calendar, deadlines, entries, files, reply, store
from pubreview.requests.calendar import WorkCalendar
from pubreview.requests.outcome import outcome_label
from pubreview.requests.tables import PENDING

MASK = "＊＊＊"


def mask(value: str | None) -> str | None:
    """A personal value as people without the handler role see it: its first character only."""
    if not value:
        return value
    return value[0] + MASK


def urgency(days: int | None, status: RequestStatus) -> str:
    """A colour class for the days left: overdue, due (≤ 3), soon (≤ 7), ok, paused, closed."""
    if status is RequestStatus.CLOSED:
        return "closed"
    if days is None:
        return "paused"
    if days < 0:
        return "overdue"
    if days <= 3:
        return "due"
    return "soon" if days <= 7 else "ok"


def summary(
    req: DisclosureRequest, cal: WorkCalendar, today: date, *, personal: bool
) -> dict[str, Any]:
    """One request as a list row (plain data, also the JSON of `request list`)."""
    days = None
    if req.status is not RequestStatus.CLOSED and req.due_on is not None:
        days = deadlines.days_left(cal, req.due_on, today)
    name = req.applicant_name if personal else mask(req.applicant_name)
    return {
        "id": req.id,
        "channel": req.channel.value,
        "applicant_type": req.applicant_type.value,
        "applicant": name,
        "content": req.content[:60],
        "arrived_on": req.arrived_on.isoformat(),
        "received_on": req.received_on.isoformat(),
        "due_on": req.due_on.isoformat() if req.due_on else None,
        "status": req.status.value,
        "status_label": REQUEST_STATUS_LABEL[req.status.value],
        "days_left": days,
        "urgency": urgency(days, req.status),
        "outcome": req.outcome,
        "outcome_label": outcome_label(req.outcome) if req.outcome else None,
        "closed_on": req.closed_on.isoformat() if req.closed_on else None,
    }


def listing(
    session: Session,
    *,
    personal: bool,
    status: str | None = None,
    overdue_only: bool = False,
    ids: list[int] | None = None,
    today: date | None = None,
    cal: WorkCalendar | None = None,
) -> list[dict[str, Any]]:
    """Requests, open ones first by deadline; `overdue_only` keeps those past their deadline."""
    cal = cal or calendar.load()
    today = today or store.office_today()
    query = select(DisclosureRequest)
    if ids is not None:
        query = query.where(DisclosureRequest.id.in_(ids))
    if status:
        query = query.where(DisclosureRequest.status == RequestStatus(status))
    if overdue_only:
        query = query.where(
            DisclosureRequest.status != RequestStatus.CLOSED, DisclosureRequest.due_on < today
        )
    reqs = session.scalars(query.order_by(DisclosureRequest.id)).all()
    rows = [summary(r, cal, today, personal=personal) for r in reqs]
    rank = {"overdue": 0, "due": 1, "soon": 2, "ok": 3, "paused": 4, "closed": 5}
    return sorted(rows, key=lambda r: (rank[r["urgency"]], r["due_on"] or "", r["id"]))


def case_summary(case: DisclosureCase) -> dict[str, Any]:
    """One 复议/诉讼 case as a list row (it holds no applicant data)."""
    return {
        "id": case.id,
        "request": case.request_id,
        "kind": case.kind.value,
        "filed_on": case.filed_on.isoformat(),
        "result": case.result.value if case.result else PENDING,
        "decided_on": case.decided_on.isoformat() if case.decided_on else None,
    }


def case_listing(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    """The cases with these ids, by number."""
    query = select(DisclosureCase).where(DisclosureCase.id.in_(ids)).order_by(DisclosureCase.id)
    return [case_summary(c) for c in session.scalars(query)]


def overdue(session: Session, *, today: date | None = None) -> list[dict[str, Any]]:
    """Open requests past their deadline (personal data masked: this list gets forwarded)."""
    return listing(session, personal=False, overdue_only=True, today=today)


def _describe(entry, step_labels: dict[tuple[int, str], str] | None = None) -> str:
    match entries.read(entry):
        case entries.ReplyStep() as p:
            # A step of the round's own chain in its words (the built-in ones as labels has them).
            word = (step_labels or {}).get((p.round, p.step)) or REPLY_STEP_LABEL.get(
                p.step, p.step
            )
            verdict = "" if p.step == "draft" else ("：同意" if p.approved else "：退回")
            proposed = f"（拟：{outcome_label(p.outcome)}）" if p.outcome else ""
            return f"答复{word}{verdict}{proposed}"
        case entries.Closed() as p:
            late = "（逾期）" if p.overdue else ""
            return f"办结：{outcome_label(p.outcome)}，{p.closed_on}{late}"
        case entries.Extended() as p:
            return f"延期 {p.days} 个工作日，{p.approved_by} 批准，截止 {p.due_on}"
        case entries.CorrectionAsked() as p:
            return f"告知补正：{p.what}，补正期限 {p.correction_due_on}"
        case entries.Corrected() as p:
            return f"收到补正材料 {p.corrected_on}，重新起算，截止 {p.due_on}"
        case entries.Consulted() as p:
            return f"征求第三方意见 {p.sent_on}，第三方答复期限 {p.reply_due_on}"
        case entries.ConsultAnswered() as p:
            return f"第三方答复 {p.answered_on}，不计 {p.excluded_days} 个工作日"
        case entries.Received() as p:
            return f"登记：{p.channel}，收到 {p.received_on}（{p.basis}）"
    return KIND_LABEL.get(str(entry.kind), str(entry.kind))


def detail(
    session: Session,
    request_id: int,
    *,
    personal: bool,
    today: date | None = None,
    cal: WorkCalendar | None = None,
) -> dict[str, Any]:
    """One request in full: its deadline explained, its steps, the reply's approval, its cases."""
    cal = cal or calendar.load()
    today = today or store.office_today()
    req = store.get(session, request_id)
    view = summary(req, cal, today, personal=personal)
    view["content"] = req.content
    view["contact"] = req.applicant_contact if personal else mask(req.applicant_contact)
    view["basis"] = store.BASIS[req.channel.value]
    view["legal_basis"] = req.legal_basis
    view["fee_yuan"] = f"{req.fee_yuan:.2f}" if req.fee_yuan is not None else None
    view["extension_days"] = req.extension_days
    view["excluded_days"] = req.excluded_days
    view["clock_from"] = req.clock_from.isoformat()
    view["correction_due_on"] = req.correction_due_on.isoformat() if req.correction_due_on else None
    kept = files.receipt_files(session, req.id)
    view["attachment_count"] = len(kept)
    view["attachments"] = (
        [{"id": f.id, "filename": f.filename, "size": f.size, "sha256": f.sha256} for f in kept]
        if personal
        else []
    )
    found = store.deadline(session, req, cal)
    view["deadline_text"] = found.text()
    view["deadline_lines"] = found.lines
    view["waiting"] = found.waiting
    step_labels = {
        (r.number, s.id): s.label for r in reply.rounds(session, req.id) for s in r.chain.steps
    }
    view["history"] = [
        {
            "entry": e.id,
            "at": clock.local_time(e.created_at),
            "actor": e.actor,
            "what": _describe(e, step_labels),
            "comment": e.comment,
        }
        for e in entries.history(session, req.id)
    ]
    last = reply.current(session, req.id)
    view["reply"] = None
    if last is not None:
        view["reply"] = {
            "round": last.number,
            "outcome": last.draft.outcome,
            "outcome_label": outcome_label(last.draft.outcome),
            "legal_basis": last.draft.legal_basis,
            "fee_yuan": last.draft.fee_yuan,
            "chain": last.chain.label or last.chain.name,
            "steps": [
                {
                    "step": last.label_of(s.step),
                    "actor": a,
                    "approved": s.approved,
                    "acting_for": s.acting_for,
                }
                for a, s in last.steps
            ],
            "next_step": last.next_step,
            "next_label": last.label_of(last.next_step) if last.next_step else None,
            "signs": last.signs,
            "signed": last.signed,
            "signed_on": last.signed_on.isoformat() if last.signed_on else None,
            "letter_sha256": last.sign_step.letter_sha256 if last.sign_step else None,
            "returned": last.returned,
        }
    view["cases"] = [
        case_summary(c)
        for c in session.scalars(
            select(DisclosureCase)
            .where(DisclosureCase.request_id == req.id)
            .order_by(DisclosureCase.id)
        )
    ]
    return view
