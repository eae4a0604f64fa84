"""The static site: pages, listings, feed, sanitising, byte-identical and crash-safe builds."""

from __future__ import annotations

import hashlib
import posixpath
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from jinja2 import ChoiceLoader, DictLoader, UndefinedError
from sqlalchemy import Engine

from models import Status
from pubreview import db, publishing, rendering
from pubreview.publishing.retraction import retract
from pubreview.review.submission import Draft, current_revision, get, submit
from pubreview.site import build_site, render_publication
from pubreview.site.pages import PAGE_SIZE
from tests.support.site import CENTER, publish_through_chain, seed_published, tree

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_BODY = (
    "正文第一段。\n\n"
    "<script>document.title='pwned'; window.__pwned = 1;</script>\n\n"
    '<img src="x.png" onerror="window.__pwned = 2">\n\n'
    "[点这里](javascript:window.__pwned=3) and "
    '<a href="javascript:window.__pwned=4" onclick="window.__pwned=5">raw</a>\n'
)


def _build(engine: Engine, out: Path, **kwargs):
    with db.transaction(engine) as session:
        return build_site(session, out, **kwargs)


def _update(engine: Engine, out: Path, pub_id: int):
    with db.transaction(engine) as session:
        return render_publication(session, out, pub_id)


def _text(out: Path, path: str) -> str:
    return (out / path).read_text(encoding="utf-8")


def test_article_page_and_listings(engine: Engine, tmp_path: Path) -> None:
    pub_id = publish_through_chain(
        engine,
        "关于开展名称管理工作的通知",
        "本中心**定于**下月开展工作。",
        category="政务公开",
        channels=("网站", "微博"),
        attachments={"方案.pdf": b"%PDF-1.4 x"},
    )
    out = tmp_path / "site"
    summary = _build(engine, out)
    assert (summary.articles, summary.withdrawn, summary.attachments) == (1, 0, 1)
    page = _text(out, f"articles/{pub_id}.html")
    assert "<h1>关于开展名称管理工作的通知</h1>" in page
    assert "综合科" in page and "政务公开" in page
    assert "<strong>定于</strong>" in page
    assert "SHA-256: " + hashlib.sha256(b"%PDF-1.4 x").hexdigest() in page
    with db.transaction(engine) as session:
        fingerprint = current_revision(session, get(session, pub_id)).fingerprint
    assert fingerprint in page
    assert (out / f"files/{pub_id}/方案.pdf").read_bytes() == b"%PDF-1.4 x"
    year = datetime.now().year
    for listing in (
        "index.html",
        "category/政务公开/index.html",
        "channel/网站/index.html",
        f"archive/{year}/index.html",
        "xxgk/index.html",
    ):
        assert f'<li data-id="{pub_id}">' in _text(out, listing), listing
    # 微博 is still pending (no URL given), so that channel's page does not list it yet.
    assert f'data-id="{pub_id}"' not in _text(out, "channel/微博/index.html")
    assert f'data-id="{pub_id}"' not in _text(out, "category/工作动态/index.html")


def test_body_is_sanitised(engine: Engine, tmp_path: Path) -> None:
    pub_id = publish_through_chain(engine, "含脚本的正文", HOSTILE_BODY)
    out = tmp_path / "site"
    _build(engine, out)
    for path in (f"articles/{pub_id}.html", "feed.xml"):
        page = _text(out, path).lower()
        assert "<script" not in page and "&lt;script" not in page
        assert "onerror" not in page and "onclick" not in page
        assert "javascript:" not in page
    assert "正文第一段" in _text(out, f"articles/{pub_id}.html")


def test_feed_is_atom(engine: Engine, tmp_path: Path) -> None:
    first = publish_through_chain(engine, "第一条", "内容一 <b>粗</b>")
    second = publish_through_chain(engine, "第二条 & <标题>", "内容二")
    out = tmp_path / "site"
    _build(engine, out)
    feed = ET.fromstring((out / "feed.xml").read_bytes())
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}updated").text
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["第二条 & <标题>", "第一条"]
    assert entries[1].find(f"{ATOM}id").text.endswith(f"articles/{first}.html")
    assert entries[0].find(f"{ATOM}link").get("href").endswith(f"articles/{second}.html")
    assert "<b>粗</b>" in entries[1].find(f"{ATOM}content").text


def test_build_twice_gives_identical_bytes(engine: Engine, tmp_path: Path) -> None:
    publish_through_chain(engine, "甲", "正文甲", attachments={"a.txt": b"a"})
    publish_through_chain(engine, "乙", "正文乙", category="专题")
    out = tmp_path / "site"
    _build(engine, out)
    first = tree(out)
    _build(engine, out)
    assert tree(out) == first
    _build(engine, tmp_path / "elsewhere")
    assert tree(tmp_path / "elsewhere") == first
    assert len(list((tmp_path / "site.builds").iterdir())) == 1  # older builds are dropped


def test_failed_build_leaves_previous_site(engine: Engine, tmp_path: Path) -> None:
    old = publish_through_chain(engine, "已发布", "旧站内容")
    out = tmp_path / "site"
    _build(engine, out)
    before = tree(out)
    new = publish_through_chain(engine, "渲染到一半", "新内容")
    # Articles render newest first: the trap on the older item springs after the home page
    # and the new article were written.
    real = rendering.environment()
    trap = f"{{% if item.id == {old} %}}{{{{ no_such_variable }}}}{{% endif %}}"
    article = real.loader.get_source(real, "site/article.html")[0]
    failing = real.overlay(
        loader=ChoiceLoader(
            [
                DictLoader(
                    {
                        "site/article.html": trap + "{% include 'site/real_article.html' %}",
                        "site/real_article.html": article,
                    }
                ),
                real.loader,
            ]
        )
    )
    with pytest.raises(UndefinedError, match="no_such_variable"):
        _build(engine, out, environment=failing)
    assert tree(out) == before
    assert [p.name for p in (tmp_path / "site.builds").iterdir()] == [out.resolve().name]
    _build(engine, out)
    assert f"articles/{new}.html" in tree(out)


def test_retraction_replaces_page_and_leaves_listings(engine: Engine, tmp_path: Path) -> None:
    kept = publish_through_chain(engine, "保留的信息", "正文", category="政务公开")
    gone = publish_through_chain(
        engine, "将撤回的信息", "正文", category="政务公开", attachments={"x.txt": b"x"}
    )
    secret = publish_through_chain(engine, "涉密标题", "正文", category="政务公开")
    out = tmp_path / "site"
    _build(engine, out)
    with db.transaction(engine) as session:
        retract(session, gone, CENTER, "数据有误,更正后重新发布", False)
        retract(session, secret, CENTER, "含有不应公开的具体地址", True)
    summary = _update(engine, out, gone)
    _update(engine, out, secret)
    assert summary.mode == "update" and summary.withdrawn == 2
    notice = _text(out, f"articles/{gone}.html")
    assert "已于" in notice and "撤回" in notice and "数据有误,更正后重新发布" in notice
    assert "将撤回的信息" in notice
    hidden = _text(out, f"articles/{secret}.html")
    assert "涉密标题" not in hidden and "具体地址" not in hidden and "撤回" in hidden
    assert not (out / f"files/{gone}").exists()
    for listing in (
        "index.html",
        "category/政务公开/index.html",
        "xxgk/index.html",
        "channel/网站/index.html",
        "feed.xml",
    ):
        text = _text(out, listing)
        assert f"articles/{gone}.html" not in text and f'data-id="{gone}"' not in text, listing
        assert f"articles/{secret}.html" not in text, listing
        assert f"articles/{kept}.html" in text, listing
    full = tmp_path / "full"
    _build(engine, full)
    assert tree(out) == tree(full)


def _broken_links(out: Path) -> list[str]:
    """Every relative link of the site's pages that names no file of the site."""
    site = tree(out)
    broken = []
    for path, data in site.items():
        if not path.endswith(".html"):
            continue
        for link in re.findall(r'href="([^"#]+)"', data.decode()):
            if "://" in link or link.startswith("mailto:"):
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), unquote(link)))
            if target not in site:
                broken.append(f"{path} -> {link}")
    return broken


def test_listings_page_from_the_oldest_and_older_pages_stay(engine: Engine, tmp_path: Path) -> None:
    start = datetime.fromisoformat("2023-03-01T10:00:00+08:00")
    ids = [
        seed_published(
            engine, f"条目{n:02d}", f"正文{n}", start + timedelta(days=n), category="政务公开"
        )
        for n in range(2 * PAGE_SIZE)
    ]
    out = tmp_path / "site"
    _build(engine, out)
    base = "category/政务公开"
    assert sorted(p.name for p in (out / base).iterdir()) == [
        "index.html",
        "page-1.html",
        "page-2.html",
    ]
    page1 = _text(out, f"{base}/page-1.html")
    assert all(f'data-id="{i}"' in page1 for i in ids[:PAGE_SIZE])
    assert f'data-id="{ids[PAGE_SIZE]}"' not in page1
    assert "2023-03-01 至 2023-03-20" in page1 and 'href="page-2.html"' in page1
    assert f'data-id="{ids[PAGE_SIZE - 1]}"' not in _text(out, f"{base}/index.html")
    assert _broken_links(out) == []

    def changed_by(pub_id: int) -> set[str]:
        before = tree(out)
        _update(engine, out, pub_id)
        after = tree(out)
        return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}

    # A new item opens page 3 of each of its listings; page 2 gains its link to page 3.
    new = seed_published(
        engine, "最新条目", "正文", start + timedelta(days=90), category="政务公开"
    )
    changed = changed_by(new)
    listings = (base, "channel/网站", "archive/2023", "xxgk")
    assert {p for p in changed if "/page-" in p} == {
        f"{b}/page-{n}.html" for b in listings for n in (2, 3)
    }
    assert f"articles/{new}.html" in changed and "feed.xml" in changed
    assert 'href="page-3.html"' in _text(out, f"{base}/page-2.html")
    # Its newest page holds one: the index joins it with page 2, and leads on to page 1.
    index = _text(out, f"{base}/index.html")
    assert index.index(f'data-id="{new}"') < index.index(f'data-id="{ids[PAGE_SIZE]}"')
    assert f'data-id="{ids[PAGE_SIZE - 1]}"' not in index and 'href="page-1.html"' in index
    # A second new item joins page 3 and leaves pages 1 and 2 as they were.
    second = seed_published(
        engine, "又一条目", "正文", start + timedelta(days=91), category="政务公开"
    )
    changed = changed_by(second)
    assert {p for p in changed if "/page-" in p} == {f"{b}/page-3.html" for b in listings}
    # Retracting the oldest item changes its own page: the pages after it keep their bytes.
    with db.transaction(engine) as session:
        retract(session, ids[0], CENTER, "过期", False)
    changed = changed_by(ids[0])
    assert {p for p in changed if "/page-" in p} == {f"{b}/page-1.html" for b in listings}
    assert f'data-id="{ids[0]}"' not in _text(out, f"{base}/page-1.html")
    _build(engine, tmp_path / "full")
    assert tree(out) == tree(tmp_path / "full")
    assert _broken_links(out) == []


def test_paging_archive_and_update_match_full_build(engine: Engine, tmp_path: Path) -> None:
    ids = [
        seed_published(
            engine,
            f"条目{n:02d}",
            f"正文{n}",
            datetime.fromisoformat(f"{2023 + n % 2}-03-{1 + n % 28:02d}T10:00:00+08:00"),
            category="政务公开",
        )
        for n in range(2 * PAGE_SIZE + 3)
    ]
    out = tmp_path / "site"
    _build(engine, out)
    assert (out / "category/政务公开/page-3.html").exists()
    archive = _text(out, "archive/index.html")
    assert "2023年" in archive and "2024年" in archive
    assert (out / "archive/2024/page-2.html").exists()
    assert (out / "xxgk/page-3.html").exists()
    with db.transaction(engine) as session:
        for pub_id in ids[:5]:
            retract(session, pub_id, CENTER, "过期", False)
    summary = _update(engine, out, ids[0])
    assert summary.mode == "update"
    # Retracted items keep their places: the pages stay, without them.
    assert (out / "category/政务公开/page-3.html").exists()
    assert f'data-id="{ids[0]}"' not in _text(out, "category/政务公开/page-1.html")
    # Other retracted items' pages become notices on their own update; then all is equal.
    for pub_id in ids[1:5]:
        _update(engine, out, pub_id)
    _build(engine, tmp_path / "full")
    assert tree(out) == tree(tmp_path / "full")
    assert _broken_links(out) == []


def test_attachments_whose_names_clean_alike_keep_a_file_each(
    engine: Engine, tmp_path: Path
) -> None:
    # ".方案.pdf" loses its dot and "方案.PDF" differs only in case: neither overwrites 方案.pdf.
    files = {"方案.pdf": b"%PDF-1.4 one", ".方案.pdf": b"%PDF-1.4 two", "方案.PDF": b"%PDF-1.4 3"}
    pub_id = publish_through_chain(engine, "三个附件", "正文", attachments=files)
    out = tmp_path / "site"
    _build(engine, out)
    stored = sorted(p.read_bytes() for p in (out / f"files/{pub_id}").iterdir())
    assert stored == sorted(files.values())
    page = _text(out, f"articles/{pub_id}.html")
    for path in (out / f"files/{pub_id}").iterdir():
        assert f"files/{pub_id}/{quote(path.name)}" in page, path.name


def test_each_update_leaves_what_a_full_build_gives(engine: Engine, tmp_path: Path) -> None:
    # 政务公开 has two pages and one item, over two years; one item is posted only on 微博:
    # the newest joins the newest page, a late entry shifts the pages after its place, a
    # retraction keeps its place, a channel is left with no item shown.
    when = [
        datetime.fromisoformat(f"{2023 + n % 2}-05-{1 + n % 28:02d}T10:00:00+08:00")
        for n in range(41)
    ]
    ids = [
        seed_published(engine, f"条目{n:02d}", f"正文{n}", when[n], category="政务公开")
        for n in range(len(when))
    ]
    out, full = tmp_path / "site", tmp_path / "full"
    _build(engine, out)

    def same_as_full(pub_id: int) -> None:
        update = _update(engine, out, pub_id)
        summary = _build(engine, full)
        assert update.mode == "update"
        assert tree(out) == tree(full), pub_id
        assert _broken_links(out) == []
        assert (update.articles, update.withdrawn, update.pages, update.attachments) == (
            summary.articles,
            summary.withdrawn,
            summary.pages,
            summary.attachments,
        )

    newest = publish_through_chain(
        engine,
        "最新的信息",
        "正文",
        category="政务公开",
        channels=("网站", "微博"),
        attachments={"a.txt": b"a"},
        urls={"微博": "https://weibo.example/1"},
    )
    same_as_full(newest)
    with db.transaction(engine) as session:
        weibo_only = submit(
            session,
            Draft("只发微博", "正文", "工作动态", ["微博"], "zonghe", "zhang.wei", []),
        )
        weibo_only.status, weibo_only.stage = Status.PUBLISHED, None
        publishing.record_published(
            session,
            weibo_only,
            channel="微博",
            url="https://weibo.example/2",
            actor=CENTER,
            published_at=when[3],
        )
        weibo_id = weibo_only.id
    same_as_full(weibo_id)
    # An item entered late with an old date takes a place among the oldest: every page from
    # there on shifts by one, and the update follows the shift to the newest page.
    late = seed_published(engine, "补录的旧信息", "正文", when[7], category="政务公开")
    same_as_full(late)
    for gone in (newest, ids[20], weibo_id, ids[0]):
        with db.transaction(engine) as session:
            retract(session, gone, CENTER, "更正", False)
        same_as_full(gone)
    same_as_full(ids[5])  # nothing changed: nothing to write
    assert _update(engine, out, ids[5]).written == 0
