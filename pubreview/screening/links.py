"""Links in a draft that lead nowhere: malformed, script links, pages missing from our own site.

Offline by design: a link to the office's own site is checked against the built site on disk
(the page must exist); a link elsewhere is listed for the reviewer and never fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from pubreview.screening.findings import BLOCK, WARN, Hit
from pubreview.site.content import URL_SCHEMES

# Words a line must contain to hold a link; other lines are not searched (scanner triggers).
TRIGGERS = ("](", "]:", "://", "www.", "href", "src", "javascript:", "vbscript:", "data:")

# Where a link target sits in Markdown or HTML; each named group is the address as written.
_LINK = re.compile(
    "|".join(
        [
            # [text](target "title") and ![alt](target); <target> in angle brackets allowed.
            r"!?\[[^\]\n]*\]\(\s*<?(?P<md>[^)\s>]*)>?(?:\s+[\"'(][^)\n]*)?\)",
            # [id]: target (a reference definition)
            r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*<?(?P<ref>[^\s>]+)>?",
            # <a href="target">, <img src='target'>
            r"(?:href|src)\s*=\s*[\"'](?P<html>[^\"'\n]*)[\"']",
            # <https://…> autolinks
            r"<(?P<auto>(?:https?|javascript|vbscript|data):[^>\s]*)>",
            # a bare address in running text
            r"(?<![\w/.@\-])(?P<bare>(?:https?://|www\.)[^\s<>()（）\[\]{}\"'，。；、！？》」]+)",
        ]
    ),
    re.MULTILINE | re.IGNORECASE,
)
WEB_SCHEMES = frozenset({"http", "https"})
# What a published page keeps as a link (the site's sanitiser drops every other scheme).
PAGE_SCHEMES = frozenset(URL_SCHEMES)
_HOST = re.compile(
    r"^(?:localhost|[0-9.]+|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z]{2,}|xn--[a-z0-9-]+))$"
)
# http//… or htp//…: a web address with its colon missing (no scheme is then recognised).
_MISSING_COLON = re.compile(r"^h?t?t?ps?//", re.IGNORECASE)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# Where a draft's body will be shown: relative links resolve against an article page.
ARTICLE_PAGE = "articles/0.html"


@dataclass(frozen=True)
class Site:
    """The office's own site: its public address and, if built, where its files are on disk."""

    base_url: str  # ends with "/"
    root: Path | None  # the live build's directory, None when no site has been built

    def page_for(self, url: str) -> str | None:
        """The site path a URL of ours points at, or None when the URL is not ours."""
        base, target = urlsplit(self.base_url), urlsplit(url)
        if target.scheme not in WEB_SCHEMES or target.netloc.lower() != base.netloc.lower():
            return None
        path = unquote(target.path)
        if not path.startswith(base.path):
            return None
        return path[len(base.path) :]

    def has(self, page: str) -> bool:
        """Whether the built site has the page (a directory means its index.html)."""
        if self.root is None:
            return False
        relative = PurePosixPath(page or "index.html")
        if ".." in relative.parts:
            return False
        path = self.root / relative
        return path.is_file() or (path / "index.html").is_file()


def _valid_host(url: str) -> bool:
    """Whether a web address has a host name a browser can look up (中文域名 included)."""
    try:
        host = urlsplit(url).hostname or ""
        ascii_host = host.encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return False
    return bool(_HOST.match(ascii_host.lower()))


def _classify(raw: str, in_markup: bool, site: Site | None) -> tuple[str, str, str] | None:
    """(detector, severity, reason) for one link target, or None when nothing is to be said."""
    target = raw.strip()
    if not target:
        return ("dead_link", WARN, "空链接：链接没有地址，请补上或删除链接")
    if target.startswith("#"):
        return None
    if target.lower().startswith("www."):
        target = "http://" + target
    scheme = m.group(1).lower() if (m := _SCHEME.match(target)) else ""
    if scheme == "mailto":
        return None
    if scheme and scheme not in PAGE_SCHEMES:
        # The site's sanitiser drops it: the reader sees words that look like a link and are
        # not one. Not a dead link on the live page, so a warning, not a block.
        return (
            "dead_link",
            WARN,
            f"不可用链接：{scheme}: 链接发布时会被去除，读者点不开；请改为网页地址或删除",
        )
    # Left on the page as a link, these lead nowhere: a block when written as a link.
    if (not scheme and _MISSING_COLON.match(target)) or (scheme and not _valid_host(target)):
        return ("dead_link", BLOCK if in_markup else WARN, f"链接格式错误：「{raw}」不是有效的网址")
    if site is None:
        if not scheme:
            return ("link_unchecked", WARN, f"站内链接未核对：请人工核实「{raw}」可以打开")
        return ("external_link", WARN, "外部链接：未访问，请人工核实可以打开、内容合规")
    try:
        url = urljoin(site.base_url + ARTICLE_PAGE, target)
    except ValueError:
        return ("dead_link", BLOCK, f"链接格式错误：「{raw}」不是有效的网址")
    # A link relative to the page (7.html, ../files/a.pdf) is resolved against a guess: the
    # draft has no page yet, and its own attachments are not in the built site until it is
    # published. Such a link is a warning to check; a path from the site's root (/xxgk/) or
    # a full address of ours names one page for certain, and a missing one blocks.
    guessed = not scheme and not target.startswith("/")
    page = site.page_for(url)
    if page is None:
        if not scheme:
            return (
                "dead_link",
                WARN if guessed else BLOCK,
                f"站内链接错误：「{raw}」不在本站范围内，请改为完整网址",
            )
        return ("external_link", WARN, "外部链接：未访问，请人工核实可以打开、内容合规")
    if site.root is None:
        return ("link_unchecked", WARN, f"站内链接未核对：站点尚未生成，请人工核实「{raw}」")
    if not site.has(page):
        if guessed:
            return (
                "dead_link",
                WARN,
                f"站内相对链接未找到：按文章页解析为「{page or '首页'}」，本站没有该页面；"
                "请核实，或改为以“/”开头的站内路径或完整网址",
            )
        return ("dead_link", BLOCK, f"站内链接失效：本站没有页面「{page or '首页'}」")
    return None


def find_links(text: str, site: Site | None, lines: Iterable[tuple[int, int]]) -> Iterator[Hit]:
    """Findings for the links on the given (start, end) lines of `text`."""
    for start, end in lines:
        for m in _LINK.finditer(text, start, end):
            group = m.lastgroup or "bare"
            raw = m.group(group)
            if group == "bare":
                raw = raw.rstrip(".,;:!?")
            found = _classify(raw, group != "bare", site)
            if found is not None:
                detector, severity, reason = found
                yield Hit(m.start(group), m.start(group) + len(raw), detector, severity, reason)


def default_site() -> Site:
    """The office's site as published: its address (PUBREVIEW_SITE_URL) and its built files."""
    # Imported here: the site builder sits above screening (it renders what was screened).
    from pubreview.publishing import site_base_url
    from pubreview.site.build import default_out_dir
    from pubreview.site.files import live_root

    return Site(site_base_url(), live_root(default_out_dir()))
