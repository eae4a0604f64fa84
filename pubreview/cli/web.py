"""`pubreview web`: the approvers' review pages, served by uvicorn."""

from __future__ import annotations

import argparse

from pubreview.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the web command."""
    p = sub.add_parser("web", help="serve the review pages that notifications link to")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8090, help="port to listen on (default 8090)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="web processes sharing the port, each with its own hand-off thread (default 1)",
    )
    p.set_defaults(handler=_serve, serves_others=True)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from pubreview.links import secret_key, web_url
    from pubreview.web.app import create_app

    try:
        secret_key()  # fail here, not on the first page, if the secret cannot be read or made
    except OSError as exc:
        raise ValidationError(f"cannot read or create the web signing secret: {exc}") from exc
    print(
        f"review pages on http://{args.host}:{args.port}/ ; "
        f"links in messages point to {web_url()} (PUBREVIEW_WEB_URL)"
    )
    if args.workers < 1:
        raise ValidationError("--workers must be at least 1")
    # No access log: every path holds a personal signed link, which must not end up in logs.
    options = {"host": args.host, "port": args.port, "log_level": "info", "access_log": False}
    if args.workers == 1:
        uvicorn.run(create_app(), **options)
    else:
        # Each worker process builds its own app (and hand-off thread); SQLite writers of the
        # processes take turns on one lock file (pubreview.web.common).
        uvicorn.run("pubreview.web.app:create_app", factory=True, workers=args.workers, **options)
    return 0
