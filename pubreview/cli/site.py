"""Commands of the publication stage: the site, hand-published channels, retraction, adoption."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from pubreview import db
from pubreview.cli.output import add_json_flag, emit
from pubreview.errors import NotFound, PubreviewError, ValidationError
from pubreview.orchestration.after_commit import after_commit
from pubreview.publishing import adoption, channels, retraction
from pubreview.site import BuildSummary, build_site, default_out_dir, render_publication
from pubreview.site.serve import make_server


def _out(args: argparse.Namespace) -> Path:
    return Path(args.out).resolve() if args.out else default_out_dir()


def _refresh(args: argparse.Namespace, publication_id: int) -> dict:
    """Bring the site up to date after a change; the ledger is already committed either way."""
    try:
        with db.transaction() as session:
            return render_publication(session, _out(args), publication_id).to_dict()
    except (OSError, PubreviewError) as exc:
        return {
            "error": f"the ledger is updated but the site is not ({exc}); "
            "run `pubreview site build`"
        }


def _tell_prefect(recorded: bool, event: str, pub_id: int, actor: str, payload: dict) -> str:
    """Emit the step's event if it was recorded now (a repeat changed nothing, says nothing)."""
    if not recorded:
        return "nothing new to tell Prefect"
    return after_commit(event, pub_id, actor=actor, resume=False, payload=payload)


def _describe(summary: BuildSummary) -> str:
    return (
        f"site built in {summary.out_dir}: {summary.articles} articles, {summary.withdrawn} "
        f"withdrawal notices, {summary.pages} pages, {summary.attachments} attachments "
        f"({summary.seconds:.2f} s)"
    )


def site_build(args: argparse.Namespace) -> int:
    """`site build`: render the whole site from the ledger."""
    with db.transaction() as session:
        summary = build_site(session, _out(args))
    emit(args, summary.to_dict(), _describe(summary))
    return 0


def site_serve(args: argparse.Namespace) -> int:
    """`site serve`: serve the built site on 127.0.0.1 until interrupted."""
    out = _out(args)
    if not out.is_dir():
        raise NotFound(f"no site in {out}: run `pubreview site build` first")
    with make_server(out, args.port, verbose=True) as server:
        print(f"serving {out} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


def publish(args: argparse.Namespace) -> int:
    """`publish`: channel status, the text to post on a channel, or confirm a channel's URL."""
    if args.url is None:
        with db.transaction() as session:
            states = channels.channel_states(session, args.publication)
            text = (
                channels.post_text(session, args.publication, args.channel)
                if args.channel
                else None
            )
        lines = [
            f"{s.channel}: "
            + (f"published {s.published_at} {s.url or ''}".rstrip() if s.published else "pending")
            for s in states
        ]
        if text is not None:
            lines += ["", f"text to post on {args.channel} ({len(text)} characters):", text]
        emit(args, {"channels": [s.to_dict() for s in states], "text": text}, "\n".join(lines))
        return 0
    if not args.channel or not args.as_user:
        raise ValidationError("confirming a channel needs --channel, --url and --as")
    with db.transaction() as session:
        result = channels.confirm(session, args.publication, args.channel, args.url, args.as_user)
    site = _refresh(args, args.publication)
    note = _tell_prefect(
        result.recorded,
        "publication.channel.published",
        args.publication,
        args.as_user,
        {"channel": result.channel, "url": result.url, "ledger_entry": result.entry_id},
    )
    emit(args, {**result.to_dict(), "site": site, "note": note}, result.message)
    return 0


def retract(args: argparse.Namespace) -> int:
    """`retract`: withdraw a published item and replace its page by a notice."""
    with db.transaction() as session:
        result = retraction.retract(
            session, args.publication, args.as_user, args.reason, args.confidentiality
        )
    site = _refresh(args, args.publication)
    note = _tell_prefect(
        result.recorded,
        "publication.retracted",
        args.publication,
        result.actor,
        # A confidentiality retraction hides its reason on the site: keep it out of events too.
        {
            "reason": None if result.confidentiality else result.reason,
            "confidentiality": result.confidentiality,
            "ledger_entry": result.entry_id,
        },
    )
    emit(args, {**result.to_dict(), "site": site, "note": note}, result.message)
    return 0


def adopt(args: argparse.Namespace) -> int:
    """`adopt`: record that central or provincial media took an item up."""
    with db.transaction() as session:
        result = adoption.adopt(
            session,
            args.publication,
            args.level,
            args.outlet,
            args.url,
            actor_username=args.as_user,
        )
    note = _tell_prefect(
        result.recorded,
        "publication.adopted",
        args.publication,
        args.as_user,
        {
            "level": result.level,
            "outlet": result.outlet,
            "url": result.url,
            "ledger_entry": result.entry_id,
        },
    )
    emit(args, {**result.to_dict(), "note": note}, result.message)
    return 0


def _out_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", help="site directory (default: <data dir>/site)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add `site build|serve`, `publish`, `retract` and `adopt`."""
    site = sub.add_parser("site", help="the public site (网站): build or serve it")
    site_sub = site.add_subparsers(dest="site_command", required=True, metavar="ACTION")
    build = site_sub.add_parser("build", help="rebuild the whole site from the ledger")
    _out_flag(build)
    add_json_flag(build)
    build.set_defaults(handler=site_build)
    serve = site_sub.add_parser("serve", help="serve the built site on 127.0.0.1")
    _out_flag(serve)
    serve.add_argument("--port", type=int, default=8080)
    serve.set_defaults(handler=site_serve)

    pub = sub.add_parser(
        "publish", help="hand-published channels: status, text to post, confirm with --url"
    )
    pub.add_argument("publication", type=int, metavar="PUB")
    pub.add_argument("--channel", metavar="NAME", help="a hand-published channel, e.g. 微博")
    pub.add_argument("--url", help="where it was posted: records the channel as published")
    pub.add_argument("--as", dest="as_user", metavar="USER", help="the center's username")
    _out_flag(pub)
    add_json_flag(pub)
    pub.set_defaults(handler=publish)

    ret = sub.add_parser("retract", help="withdraw a published item (center or admin)")
    ret.add_argument("publication", type=int, metavar="PUB")
    ret.add_argument("--as", dest="as_user", metavar="USER", required=True)
    ret.add_argument("--reason", required=True, help="shown on the withdrawal notice")
    ret.add_argument(
        "--confidentiality",
        action="store_true",
        help="withdrawn for confidentiality (保密): the notice hides title and reason",
    )
    _out_flag(ret)
    add_json_flag(ret)
    ret.set_defaults(handler=retract)

    ado = sub.add_parser("adopt", help="record a pickup by central or provincial media (采用)")
    ado.add_argument("publication", type=int, metavar="PUB")
    ado.add_argument("--level", choices=[level.value for level in adoption.Level], required=True)
    ado.add_argument("--outlet", required=True, metavar="NAME")
    ado.add_argument("--url")
    ado.add_argument("--as", dest="as_user", metavar="USER", required=True)
    add_json_flag(ado)
    ado.set_defaults(handler=adopt)
