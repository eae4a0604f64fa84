"""Serving the built site locally with http.server (production serves the directory itself).

Every answer carries the site's security headers. Published attachments are the office's
files, not ours: anything a browser could run (HTML, SVG, XML, scripts) is sent as a download
inside a sandbox, never rendered on the site's origin; text is sent with the charset it is
written in (UTF-8, else GB18030, which offices still use) so it does not show as mojibake.
"""

from __future__ import annotations

import codecs
import functools
import http.server
from pathlib import Path

# Scripts are never part of the site; styles are inline in its pages.
SITE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data: http: https:; "
        "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# What an attachment may be shown as in the browser; everything else is a download.
INLINE_TYPES = frozenset(
    {"text/plain", "text/csv", "application/pdf", "image/png", "image/jpeg", "image/gif"}
)
ATTACHMENTS = "files/"
_SNIFF_BYTES = 64 * 1024


def text_charset(path: Path) -> str:
    """UTF-8 if the file's start decodes as UTF-8, else GB18030 (a superset of GBK/GB2312)."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


class SiteRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with `Cache-Control: no-cache`, so a retraction shows on the next visit."""

    _download = False

    # Browsers otherwise keep pages fresh by guesswork from Last-Modified, and a withdrawn
    # item would linger in cached index pages; revalidation is one cheap 304 per page.
    def end_headers(self) -> None:
        """Add the caching and security headers to every response."""
        self.send_header("Cache-Control", "no-cache")
        for name, value in SITE_HEADERS.items():
            self.send_header(name, value)
        if self._download:
            self.send_header("Content-Disposition", "attachment")
            self.send_header("Content-Security-Policy", "sandbox")
        super().end_headers()

    def guess_type(self, path: str | Path) -> str:
        """The type to send; text gets its charset, an attachment that could run is a download."""
        kind = super().guess_type(path)
        base = kind.split(";")[0].strip()
        self._download = self._is_attachment(Path(path)) and base not in INLINE_TYPES
        if self._download:
            return "application/octet-stream"
        if base.startswith("text/") and "charset" not in kind and Path(path).is_file():
            return f"{base}; charset={text_charset(Path(path))}"
        return kind

    def _is_attachment(self, path: Path) -> bool:
        """Whether the file lies under files/ on disk (`%66iles/` and `x/../files/` do too)."""
        # The request line can spell the same file many ways; translate_path has decoded them.
        attachments = Path(self.directory).resolve() / ATTACHMENTS
        return path.resolve().is_relative_to(attachments)

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
