"""`pubreview web`: the approvers' review pages, served by uvicorn."""

from __future__ import annotations

import argparse

from pubreview.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the web command."""
    p = sub.add_parser("web", help="serve the review pages that notifications link to")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8090, help="port to listen on (default 8090)")
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
    # No access log: every path holds a personal signed link, which must not end up in logs.
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="info", access_log=False)
    return 0
