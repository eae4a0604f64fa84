"""`pubreview request …` and `pubreview case …`: 依申请公开 from the command line.

The same domain functions as the web pages; each command is one transaction. Names and
contacts of applicants are printed only when --as names a person who handles requests.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from pubreview import db
from pubreview.accounts import org
from pubreview.cli.output import add_json_flag, emit
from pubreview.errors import Forbidden, ValidationError
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
    views,
    years,
)

log = logging.getLogger(__name__)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"「{text}」不是日期，应为 YYYY-MM-DD") from None


def _request_parser(
    actions,
    name: str,
    help_text: str,
    *,
    description: str | None = None,
    numbered: bool = True,
    user_required: bool = True,
    user_help: str = "your username",
):
    """An action's parser with what every action takes: the request's number, --as, --json."""
    p = actions.add_parser(name, help=help_text, description=description or help_text)
    if numbered:
        p.add_argument("request", type=int, help="the request's number")
    p.add_argument("--as", dest="user", required=user_required, help=user_help)
    add_json_flag(p)
    return p


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `request` and `case` commands."""
    top = sub.add_parser(
        "request",
        help="政府信息公开申请: receive, correct, consult, extend, reply, close, list, show",
        description="依申请公开: a request from receipt to reply, on the working-day calendar.",
    )
    actions = top.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = _request_parser(actions, "receive", "register a request; prints its number", numbered=False)
    p.add_argument("--channel", required=True, help="当面|邮寄|平邮|网上|传真|电邮")
    p.add_argument(
        "--applicant-type",
        required=True,
        help="自然人|商业企业|科研机构|社会公益组织|法律服务机构|其他",
    )
    p.add_argument("--arrived-on", type=_day, required=True, help="the day it reached the office")
    p.add_argument("--signed-on", type=_day, help="邮寄: the day the office signed for it")
    p.add_argument("--confirmed-on", type=_day, help="平邮/网上/传真/电邮: the day confirmed")
    p.add_argument("--content", required=True, help="the information asked for")
    p.add_argument("--applicant", help="the applicant's name (personal data)")
    p.add_argument("--contact", help="the applicant's contact (personal data)")
    p.add_argument(
        "--attach",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="an attachment of the receipt (repeatable; personal data)",
    )
    p.set_defaults(handler=_receive)

    p = _request_parser(actions, "correct", "补正: ask for a correction, or record its arrival")
    p.add_argument("--asked-on", type=_day, help="the day the 补正告知 went out")
    p.add_argument("--what", help="what the applicant is to correct")
    p.add_argument("--due-on", type=_day, help="correction period end (default 15 working days)")
    p.add_argument("--late-reason", help="why the notice comes after 7 working days")
    p.add_argument("--corrected-on", type=_day, help="the correction arrived on this day")
    p.set_defaults(handler=_correct)

    p = _request_parser(actions, "consult", "征求第三方意见: send, or record the answer")
    p.add_argument("--third-party", help="whom the office asks")
    p.add_argument("--sent-on", type=_day)
    p.add_argument("--answered-on", type=_day, help="the answer arrived (or the period ended)")
    p.add_argument("--agreed", choices=["同意", "不同意", "未答复"], help="the third party's view")
    p.add_argument("--opinion")
    p.set_defaults(handler=_consult)

    p = _request_parser(actions, "extend", "延期答复: once, at most 20 working days")
    p.add_argument("--days", type=int, required=True)
    p.add_argument("--approved-by", required=True, help="the leader who approved")
    p.add_argument("--notified-on", type=_day, required=True, help="applicant told on this day")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=_extend)

    p = _request_parser(
        actions,
        "reply",
        "the reply: 承办 (--outcome, --basis), 审核/签发 (--approve or --return), send (--sent-on)",
    )
    p.add_argument("--outcome", help="承办: the Table 三 row, e.g. 三（一） or 三（三）4")
    p.add_argument("--basis", help="承办: the article the reply cites")
    p.add_argument("--fee", help="承办: 信息处理费 in 元")
    verdict = p.add_mutually_exclusive_group()
    verdict.add_argument("--approve", action="store_true", help="审核/签发: agree")
    verdict.add_argument("--return", dest="send_back", action="store_true", help="send it back")
    p.add_argument("--note", help="a note (required to send back)")
    p.add_argument(
        "--sent-on", type=_day, help="the signed reply went out on this day (not before 签发)"
    )
    p.add_argument("--signed-on", type=_day, help="签发: the day it was signed (default today)")
    p.add_argument(
        "--letter",
        metavar="SHA256",
        help="签发: the SHA-256 of the 答复告知书 you read (request document --kind reply); "
        "refused if the letter has changed since",
    )
    p.set_defaults(handler=_reply_and_tell)

    p = _request_parser(
        actions,
        "reassign",
        "改派: give the step the reply awaits to another person who may decide it",
        user_help="the administrator reassigning it",
    )
    p.add_argument("--to", required=True, help="username of the person to decide it")
    p.add_argument("--reason", required=True, help="why (recorded in the ledger)")
    p.set_defaults(handler=_reassign_and_tell)

    p = _request_parser(actions, "close", "close under a （六）其他处理 row (no reply document)")
    p.add_argument("--outcome", required=True, help="三（六）1, 三（六）2 or 三（六）3")
    p.add_argument("--closed-on", type=_day, required=True)
    p.add_argument("--reason", help="why (required except for 三（六）1)")
    p.set_defaults(handler=_close)

    p = _request_parser(
        actions,
        "close-year",
        "年度结转: close a year once every request has an outcome or is carried over",
        description="年度结转: refused, listing the requests that block it, while a request of "
        "the year is past its deadline without an outcome.",
        numbered=False,
        user_help="your username (分管领导 or admin)",
    )
    p.add_argument("year", type=int, help="the year to close, e.g. 2025")
    p.set_defaults(handler=_close_year)

    p = _request_parser(
        actions,
        "import",
        "load a request list kept elsewhere (CSV or XLSX) so Table 三 counts it",
        description="Columns 收到日期, 渠道, 申请人类型, 办理结果, 答复日期 (申请内容 optional); "
        "every row is checked first, and nothing is loaded if any is wrong.",
        numbered=False,
    )
    p.add_argument("file", type=Path, help="the .csv or .xlsx file")
    p.set_defaults(handler=_import)

    p = _request_parser(
        actions, "list", "requests with their deadlines", numbered=False, user_required=False
    )
    p.add_argument("--status", choices=["open", "correction", "consulting", "closed"])
    p.add_argument("--overdue", action="store_true", help="only those past their deadline")
    p.set_defaults(handler=_list)

    p = _request_parser(actions, "show", "one request, its deadline explained", user_required=False)
    p.set_defaults(handler=_show)

    p = _request_parser(
        actions, "document", "write a letter (DOCX) from the office's template", user_required=True
    )
    p.add_argument(
        "--kind",
        required=True,
        choices=list(documents.LETTERS),
        help="receipt 受理回执, correction 补正告知书, extension 延期答复告知书, "
        "consultation 征求第三方意见函, reply 答复告知书",
    )
    p.add_argument("--out", type=Path, help="the file to write (default: its title, here)")
    p.set_defaults(handler=_document)

    case = sub.add_parser("case", help="行政复议 / 行政诉讼 over a request (Table 四)")
    case_actions = case.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = case_actions.add_parser("add", help="record a case; prints its number")
    p.add_argument("--as", dest="user", required=True)
    p.add_argument("--kind", required=True, help="行政复议|未经复议直接起诉|复议后起诉")
    p.add_argument("--filed-on", type=_day, required=True)
    p.add_argument("--request", type=int, help="the request it is about")
    p.add_argument("--note", help="the body deciding it, the case number")
    add_json_flag(p)
    p.set_defaults(handler=_case_add)
    p = case_actions.add_parser("decide", help="record a case's result")
    p.add_argument("case", type=int)
    p.add_argument("--as", dest="user", required=True)
    p.add_argument("--result", required=True, help="维持|纠正|其他结果")
    p.add_argument("--decided-on", type=_day, required=True)
    add_json_flag(p)
    p.set_defaults(handler=_case_decide)


def _shown(args: argparse.Namespace, request_id: int, headline: str) -> int:
    """Print the request after a step: the headline, then its deadline."""
    with db.transaction() as session:
        view = views.detail(session, request_id, personal=_personal(session, args.user))
    emit(args, view, f"{headline}\n{_text(view)}")
    return 0


def _request_step(
    act: Callable[[Session, argparse.Namespace], str],
) -> Callable[[argparse.Namespace], int]:
    """A handler for one step on a request: one transaction, then the request as it stands.

    `act` does the step and returns the headline to print above the request.
    """

    def handler(args: argparse.Namespace) -> int:
        with db.transaction() as session:
            headline = act(session, args)
        return _shown(args, args.request, headline)

    return handler


def _personal(session, username: str | None) -> bool:
    if not username:
        return False
    return access.may_handle(session, org.person(session, username))


def _text(view: dict) -> str:
    lines = [
        f"第 {view['id']} 号申请（{view['status_label']}）：{view['channel']}，"
        f"{view['applicant_type']}{'，' + view['applicant'] if view['applicant'] else ''}",
        f"  申请内容：{view['content']}",
        f"  收到 {view['arrived_on']}，计为收到之日 {view['received_on']}（{view['basis']}）",
    ]
    if view["attachments"]:
        lines += [
            f"  附件：{a['filename']}（{a['size']} 字节，SHA-256 {a['sha256']}）"
            for a in view["attachments"]
        ]
    elif view["attachment_count"]:
        lines.append(f"  附件 {view['attachment_count']} 个（申请人的个人信息，仅办理人员可见）")
    if view["waiting"]:
        lines.append(f"  {view['waiting']}")
    else:
        lines.append(f"  期限：{view['deadline_text']}")
    if view["days_left"] is not None:
        left = view["days_left"]
        lines.append(f"  剩余 {left} 个工作日" if left >= 0 else f"  已逾期 {-left} 个工作日")
    if view["reply"]:
        r = view["reply"]
        steps = "，".join(
            f"{s['step']} {s['actor']}{'' if s['approved'] else '（退回）'}" for s in r["steps"]
        )
        lines.append(f"  答复稿（第{r['round']}稿）：{r['outcome_label']}；{steps}")
    if view["outcome"]:
        lines.append(f"  办结：{view['outcome_label']}，{view['closed_on']}")
    lines += [f"  {h['at']} {h['actor']}：{h['what']}" for h in view["history"]]
    return "\n".join(lines)


def _receive(args: argparse.Namespace) -> int:
    attachments = files.read_paths(args.attach)  # checked before the transaction
    with db.transaction() as session:
        req = receipt.receive(
            session,
            actor=args.user,
            channel=args.channel,
            applicant_type=args.applicant_type,
            arrived_on=args.arrived_on,
            signed_on=args.signed_on,
            confirmed_on=args.confirmed_on,
            content=args.content,
            applicant_name=args.applicant,
            applicant_contact=args.contact,
            attachments=attachments,
        )
        request_id = req.id
    return _shown(args, request_id, f"已登记第 {request_id} 号政府信息公开申请")


@_request_step
def _correct(session: Session, args: argparse.Namespace) -> str:
    if args.corrected_on:
        correction.corrected(session, args.request, actor=args.user, corrected_on=args.corrected_on)
        return "已记录补正材料，答复期限重新起算"
    if not args.asked_on or not args.what:
        raise ValidationError("告知补正请写明告知日期和需要补正的内容")
    correction.ask(
        session,
        args.request,
        actor=args.user,
        asked_on=args.asked_on,
        what=args.what,
        correction_due_on=args.due_on,
        late_reason=args.late_reason,
    )
    return "已记录补正告知"


AGREED = {"同意": True, "不同意": False, "未答复": None}


@_request_step
def _consult(session: Session, args: argparse.Namespace) -> str:
    if args.answered_on:
        consultation.answered(
            session,
            args.request,
            actor=args.user,
            answered_on=args.answered_on,
            agreed=AGREED[args.agreed or "未答复"],
            opinion=args.opinion,
        )
        return "已记录第三方意见"
    if not args.third_party or not args.sent_on:
        raise ValidationError("征求第三方意见请写明第三方和发出日期")
    consultation.consult(
        session, args.request, actor=args.user, third_party=args.third_party, sent_on=args.sent_on
    )
    return "已记录征求第三方意见"


@_request_step
def _extend(session: Session, args: argparse.Namespace) -> str:
    extension.extend(
        session,
        args.request,
        actor=args.user,
        days=args.days,
        approved_by=args.approved_by,
        notified_on=args.notified_on,
        reason=args.reason,
    )
    return f"已延期 {args.days} 个工作日"


def _reply_and_tell(args: argparse.Namespace) -> int:
    """The reply's step, then (committed) whoever may decide the step it opened is told."""
    code = _reply(args)
    if not args.sent_on:
        from pubreview.notify.reply_steps import tell_reply_step  # the notification stack

        try:
            tell_reply_step(args.request)
        except Exception:  # noqa: BLE001 — the step is committed; each try is in the ledger
            log.exception("request %s: telling the reply step's deciders failed", args.request)
    return code


def _reassign_and_tell(args: argparse.Namespace) -> int:
    """改派 the reply's step, then (committed) the person it now awaits is told."""
    code = _reassigned(args)
    from pubreview.notify.reply_steps import tell_reply_step  # the notification stack

    try:
        tell_reply_step(args.request)
    except Exception:  # noqa: BLE001 — the 改派 is committed; each try is in the ledger
        log.exception("request %s: telling the reply step's new decider failed", args.request)
    return code


@_request_step
def _reassigned(session: Session, args: argparse.Namespace) -> str:
    return reply.reassign(
        session, args.request, to=args.to, reason=args.reason, actor=args.user, via="cli"
    )


@_request_step
def _reply(session: Session, args: argparse.Namespace) -> str:
    if args.sent_on:
        reply.send(session, args.request, actor=args.user, sent_on=args.sent_on)
        return "答复已发出，申请办结"
    if args.approve or args.send_back:
        step = reply.decide(
            session,
            args.request,
            actor=args.user,
            approve=args.approve,
            note=args.note,
            letter_seen=args.letter,
            signed_on=args.signed_on,
        )
        if step.returned:
            return "答复稿已退回承办人"
        signed = step.sign_step
        if signed is not None and signed.letter_sha256:
            return f"已签发答复稿，答复告知书已固定（SHA-256 {signed.letter_sha256}）"
        return "已同意答复稿"
    if args.outcome:
        reply.draft(
            session,
            args.request,
            actor=args.user,
            outcome_key=args.outcome,
            legal_basis=args.basis or "",
            fee_yuan=args.fee,
            note=args.note,
        )
        return "已承办答复稿，等待审核"
    raise ValidationError("请写明办理结果和法律依据（承办），或同意/退回（审核、签发），或发出日期")


@_request_step
def _close(session: Session, args: argparse.Namespace) -> str:
    outcome.close(
        session,
        args.request,
        actor=args.user,
        outcome=args.outcome,
        closed_on=args.closed_on,
        reason=args.reason,
    )
    return "申请已办结"


def _close_year(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        done = years.close_year(session, args.year, actor=args.user)
    carried = "、".join(f"第 {i} 号" for i in done.carried_over) or "无"
    emit(
        args,
        done.to_payload(),
        f"{done.year} 年已结转：年内办结 {done.answered} 件，结转下年度 "
        f"{len(done.carried_over)} 件（{carried}）",
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    listed = importer.read(args.file)  # parsed before the write transaction opens
    with db.transaction() as session:
        ids = importer.import_list(session, listed, actor=args.user)
    span = f"第 {ids[0]}–{ids[-1]} 号" if ids else "无"
    emit(args, {"imported": len(ids), "ids": ids}, f"已导入 {len(ids)} 件申请（{span}）")
    return 0


def _list(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        rows = views.listing(
            session,
            personal=_personal(session, args.user),
            status=args.status,
            overdue_only=args.overdue,
        )
    lines = [
        f"{r['id']:>5}  {r['status_label']:<8} 收到 {r['received_on']}  "
        + (
            f"截止 {r['due_on']}（{'剩余' if r['days_left'] >= 0 else '逾期'}"
            f" {abs(r['days_left'])} 个工作日）"
            if r["days_left"] is not None
            else (f"办结 {r['closed_on']} {r['outcome_label']}" if r["closed_on"] else "期限暂停")
        )
        + f"  {r['applicant_type']}  {r['content'][:30]}"
        for r in rows
    ]
    emit(args, rows, "\n".join(lines) if lines else "没有符合条件的申请")
    return 0


def _show(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        view = views.detail(session, args.request, personal=_personal(session, args.user))
    emit(args, view, _text(view))
    return 0


def _document(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        if not access.may_read_letter(session, org.person(session, args.user), args.kind):
            raise Forbidden("文书载有申请人信息，只有办理政府信息公开申请的人员可以生成")
        data, name = documents.render(session, args.request, args.kind)
    out = args.out or Path(name)
    out.write_bytes(data)
    sha256 = documents.fingerprint(data)
    emit(
        args,
        {"request": args.request, "kind": args.kind, "file": str(out), "sha256": sha256},
        f"已写出 {out}（SHA-256 {sha256}）",
    )
    return 0


def _case_add(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        case = cases.file(
            session,
            actor=args.user,
            kind=args.kind,
            filed_on=args.filed_on,
            request_id=args.request,
            note=args.note,
        )
        view = views.case_summary(case)
    emit(args, view, f"已登记第 {view['id']} 号{view['kind']}案件（{view['filed_on']}）")
    return 0


def _case_decide(args: argparse.Namespace) -> int:
    with db.transaction() as session:
        case = cases.decide(
            session, args.case, actor=args.user, result=args.result, decided_on=args.decided_on
        )
        view = views.case_summary(case)
    emit(args, view, f"第 {view['id']} 号案件：{view['result']}（{view['decided_on']}）")
    return 0
