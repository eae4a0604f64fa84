"""Serving the built site locally with http.server (production serves the directory itself)."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


class SiteRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with `Cache-Control: no-cache`, so a retraction shows on the next visit."""

    # Browsers otherwise keep pages fresh by guesswork from Last-Modified, and a withdrawn
    # item would linger in cached index pages; revalidation is one cheap 304 per page.
    def end_headers(self) -> None:
        """Add the caching header to every response."""
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):  # noqa: ANN201 (stdlib's signature)
        """Answer every request in full: never a 304 from a one-second Last-Modified."""
        # Last-Modified has whole seconds: a page rewritten in the same second as the copy a
        # browser holds would be answered "not modified", and the browser would keep it.
        del self.headers["If-Modified-Since"]
        return super().send_head()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib's name)
        """Log requests only when the server was asked to be verbose."""
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


def make_server(
    out_dir: Path, port: int = 8080, *, verbose: bool = False
) -> http.server.ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 for the site directory (port 0 picks a free one)."""
    handler = functools.partial(SiteRequestHandler, directory=str(out_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.verbose = verbose
    return server
