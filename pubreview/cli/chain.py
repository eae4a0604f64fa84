"""The approval chain from the command line: submit, resubmit, decide, status."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from models import LedgerEntry
from models.publication import Disclosure, step_id
from pubreview import db, settings
from pubreview.chains.binding import chain_of
from pubreview.cli.output import add_json_flag, emit
from pubreview.clock import local_time
from pubreview.errors import CheckpointUnavailable, ValidationError
from pubreview.inputs import printable, read_text_file
from pubreview.labels import DISCLOSURE_LABEL, GRADE_LABEL
from pubreview.orchestration.after_commit import after_commit
from pubreview.review.decisions import DecisionRequest, decide
from pubreview.review.status import describe, item_status, list_status
from pubreview.review.submission import (
    AttachmentFile,
    Draft,
    current_revision,
    get,
    parse_grade,
    read_attachments,
    resubmit,
    screen,
    submit,
)
from pubreview.review.workflow import Outcome

DISCLOSURE_BY_LABEL = {label: Disclosure(value) for value, label in DISCLOSURE_LABEL.items()}
# 信息等级 as typed: its Chinese label or its value.
GRADE_CHOICES = [*GRADE_LABEL.values(), *GRADE_LABEL]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the chain commands."""
    p = sub.add_parser("submit", help="submit a draft for review; prints the new publication id")
    p.add_argument("--as", dest="user", required=True, help="the submitter's username")
    p.add_argument("--unit", required=True, help="submitting unit code")
    p.add_argument("--title", required=True)
    body = p.add_mutually_exclusive_group(required=True)
    body.add_argument("--body", help="the text (Markdown)")
    body.add_argument("--body-file", type=Path, help="read the text from a file")
    p.add_argument("--category", required=True, help="content category, e.g. 工作动态")
    p.add_argument(
        "--channel",
        action="append",
        required=True,
        dest="channels",
        help="a channel, e.g. 网站 (repeat for several)",
    )
    p.add_argument("--attach", action="append", type=Path, default=[], help="an attachment file")
    p.add_argument(
        "--disclosure",
        choices=list(DISCLOSURE_BY_LABEL),
        default="主动公开",
        help="公开属性 (default 主动公开)",
    )
    p.add_argument("--disclosure-reason", help="why, when not 主动公开 (required then)")
    p.add_argument("--grade", choices=GRADE_CHOICES, default="一般", help="信息等级 (default 一般)")
    add_json_flag(p)
    p.set_defaults(handler=_submit)

    p = sub.add_parser("resubmit", help="submit a new revision of a returned item")
    p.add_argument("publication", type=int)
    p.add_argument("--as", dest="user", required=True)
    p.add_argument("--title")
    body = p.add_mutually_exclusive_group()
    body.add_argument("--body")
    body.add_argument("--body-file", type=Path)
    p.add_argument(
        "--attach", action="append", type=Path, help="replace the attachments (default: keep them)"
    )
    p.add_argument("--category", help="a new content category (default: keep it)")
    p.add_argument(
        "--channel",
        action="append",
        dest="channels",
        help="replace the channels (repeat for several; default: keep them)",
    )
    p.add_argument(
        "--disclosure", choices=list(DISCLOSURE_BY_LABEL), help="a new 公开属性 (default: keep it)"
    )
    p.add_argument("--disclosure-reason", help="why, when not 主动公开 (default: keep it)")
    p.add_argument("--grade", choices=GRADE_CHOICES, help="a new 信息等级 (default: keep it)")
    add_json_flag(p)
    p.set_defaults(handler=_resubmit)

    p = sub.add_parser("decide", help="approve, return or reject the stage an item waits on")
    p.add_argument("publication", type=int)
    p.add_argument("outcome", choices=[o.value for o in Outcome])
    p.add_argument("--as", dest="user", required=True)
    p.add_argument("--comment", help="why (required to return or reject)")
    p.add_argument(
        "--attest-no-secrets",
        action="store_true",
        dest="attest",
        help="初审: I attest it holds no classified or private content",
    )
    p.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="CHANNEL=URL",
        help="中心发布: where a channel's item went",
    )
    p.add_argument("--override-reason", help="初审: approve despite a blocking screening finding")
    p.add_argument(
        "--publish-at",
        metavar="ISO-TIME",
        help="中心发布: go out at this time (e.g. 2026-12-01T09:00; office time zone)",
    )
    p.add_argument("--revision", type=int, help="the revision you reviewed (default: current)")
    # Any step of the item's chain (prereview, signoff, publication or a configured step's id);
    # `decide` refuses a step that is not open, naming it in the chain's words.
    p.add_argument("--stage", help="the step you decide, e.g. prereview or a chain's own step id")
    add_json_flag(p)
    p.set_defaults(handler=_decide)

    p = sub.add_parser("status", help="where items stand, whom they wait on and since when")
    p.add_argument("publication", type=int, nargs="?")
    p.add_argument("--open", action="store_true", help="only items still in review or returned")
    add_json_flag(p)
    p.set_defaults(handler=_status)


def _body(args: argparse.Namespace) -> str | None:
    if getattr(args, "body_file", None):
        # The web's rule for a typed body: size, UTF-8, no NUL or other control characters.
        return read_text_file(args.body_file, "正文", "body")
    return args.body


def _attachments(paths: list[Path]) -> list[AttachmentFile]:
    """The files given, each checked as the web checks an upload (name, size, type, zip bomb)."""
    from pubreview.review.drafts import check_attachment  # loads the Word reader: only here

    return [check_attachment(f.filename, f.content) for f in read_attachments(paths)]


def _submit(args: argparse.Namespace) -> int:
    draft = Draft(
        title=args.title,
        body=_body(args) or "",
        category=args.category,
        channels=args.channels,
        unit=args.unit,
        submitter=args.user,
        attachments=_attachments(args.attach),
        disclosure=DISCLOSURE_BY_LABEL[args.disclosure],
        disclosure_reason=args.disclosure_reason,
        grade=parse_grade(args.grade),
    )
    # Screened before the write transaction: a slow file must not hold the ledger's lock.
    screened = screen(draft.title, draft.body, draft.attachments)
    with db.transaction() as session:
        pub_id = submit(session, draft, screened=screened).id
    note = after_commit("publication.submitted", pub_id, actor=args.user, resume=False)
    if not args.json:
        print(note, file=sys.stderr)
    emit(args, {"id": pub_id, "note": note}, str(pub_id))
    return 0


def _resubmit(args: argparse.Namespace) -> int:
    attachments = _attachments(args.attach) if args.attach else None
    body = _body(args)
    with db.snapshot() as session:
        previous = current_revision(session, get(session, args.publication))
        files = attachments or [AttachmentFile(a.filename, a.content) for a in previous.attachments]
        title, text = args.title or previous.title, body or previous.body
    # Screened before the write transaction (resubmit screens again only if this went stale).
    screened = screen(title, text, files)
    with db.transaction() as session:
        pub = resubmit(
            session,
            args.publication,
            args.user,
            title=args.title,
            body=body,
            attachments=attachments,
            screened=screened,
            category=args.category,
            channels=args.channels,
            disclosure=DISCLOSURE_BY_LABEL[args.disclosure] if args.disclosure else None,
            disclosure_reason=args.disclosure_reason,
            grade=parse_grade(args.grade) if args.grade else None,
        )
        revision = pub.current_revision
        chain = chain_of(session, pub).name
    note = after_commit("publication.resubmitted", args.publication, actor=args.user, resume=True)
    emit(
        args,
        {"id": args.publication, "revision": revision, "chain": chain, "note": note},
        f"publication {args.publication} resubmitted as revision {revision}; {note}",
    )
    return 0


def _publish_at(text: str | None) -> datetime | None:
    """Parse --publish-at; a malformed time is a clear error."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(
            f"--publish-at {text!r}: expected an ISO time like 2026-12-01T09:00"
        ) from exc


def _decide(args: argparse.Namespace) -> int:
    urls = {}
    for item in args.url:
        channel, sep, url = item.partition("=")
        if not sep or not channel or not url:
            raise ValidationError(f"--url {item!r}: expected CHANNEL=URL")
        urls[channel] = url
    request = DecisionRequest(
        publication_id=args.publication,
        username=args.user,
        outcome=Outcome(args.outcome),
        stage=step_id(args.stage.strip()) if args.stage else None,
        revision=args.revision,
        comment=args.comment,
        attest=args.attest,
        urls=urls,
        override_reason=args.override_reason,
        publish_at=_publish_at(args.publish_at),
        via="cli",
    )
    with db.transaction() as session:
        result = decide(session, request)
    note = (
        after_commit(
            result.event,
            args.publication,
            actor=args.user,
            resume=True,
            payload=request.event_payload(result),
        )
        if result.recorded
        else "nothing to resume"
    )
    emit(args, {**result.to_dict(), "note": note}, f"{result.message}\n{note}")
    return 0


def _checkpoint_line(entries: int) -> str:
    """The newest signed checkpoint, or why there is none (the overview's last line)."""
    # Imported here: the signing library costs `submit` and `decide` 50 ms they never use.
    from pubreview.ledger import checkpoints

    try:
        log = checkpoints.read_log()
    except CheckpointUnavailable as exc:
        return f"台帐检查点：{exc}"
    latest = max(log, key=lambda c: (c.time, c.size), default=None)
    if latest is None:
        return "台帐检查点：还没有（请运行 pubreview ledger checkpoint，或部署 ledger-checkpoint）"
    line = f"台帐检查点：最近 {local_time(latest.time)}，证明前 {latest.size} 条"
    if entries > latest.size:
        line += f"，其后新增 {entries - latest.size} 条尚无检查点"
    if not settings.load().signing_key_file.exists():
        line += "；签名密钥缺失，无法签发新的检查点"
    return line


def _status(args: argparse.Namespace) -> int:
    with db.snapshot() as session:
        if args.publication is not None:
            items = [item_status(session, get(session, args.publication))]
        else:
            items = list_status(session, only_open=args.open)
        entries = session.scalar(select(func.max(LedgerEntry.id))) or 0
    data = [i.to_dict() for i in items]
    # A title is one line whatever it holds: a stored newline cannot forge another item's line.
    text = "\n".join(describe(replace(i, title=printable(i.title))) for i in items)
    text = text or "(no publications)"
    if args.publication is None:
        # The overview also says how far the ledger is proven (the JSON keeps its shape).
        text += "\n" + _checkpoint_line(entries)
    emit(args, data[0] if args.publication is not None else data, text)
    return 0
