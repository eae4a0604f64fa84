"""Links that lead nowhere, checked offline against the built site; external ones listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubreview.screening import screen_document, screen_text
from pubreview.screening.links import Site, default_site
from pubreview.screening.screen import ScreeningLists

BASE = "http://www.example.gov.cn/"
NO_LISTS = ScreeningLists()
LINK_DETECTORS = {"dead_link", "external_link", "link_unchecked"}


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """A built site with a home page, one article and one attachment."""
    root = tmp_path / "site"
    (root / "articles").mkdir(parents=True)
    (root / "files" / "7").mkdir(parents=True)
    (root / "index.html").write_text("<html></html>", encoding="utf-8")
    (root / "articles" / "7.html").write_text("<html></html>", encoding="utf-8")
    (root / "files" / "7" / "附件一.pdf").write_bytes(b"%PDF-1.7")
    (root / "xxgk").mkdir()
    (root / "xxgk" / "index.html").write_text("<html></html>", encoding="utf-8")
    return Site(BASE, root)


def links_in(text: str, site: Site | None) -> list[tuple[str, str]]:
    """(detector, severity) of each link finding in `text`."""
    return [
        (f.detector, f.severity)
        for f in screen_text("body", text, NO_LISTS, site=site)
        if f.detector in LINK_DETECTORS
    ]


@pytest.mark.parametrize(
    "text",
    [
        "详见[上一篇](7.html)。",  # relative to the article page
        "详见[上一篇](../articles/7.html)。",
        "详见[上一篇](/articles/7.html)。",
        f"详见 {BASE}articles/7.html 。",
        "[信息公开](/xxgk/)栏目",  # a directory: its index.html
        "[附件](/files/7/%E9%99%84%E4%BB%B6%E4%B8%80.pdf)",  # URL-quoted file name
        "[首页](/)",
        "[本页顶部](#top)",
        "[写信](mailto:xxgk@example.gov.cn)",
    ],
)
def test_links_to_pages_the_site_has_pass(site: Site, text: str) -> None:
    assert links_in(text, site) == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("详见[通知](/articles/999.html)。", "articles/999.html"),
        (f"详见 {BASE}articles/8.html 。", "articles/8.html"),
        ('<a href="/xxgk/old.html">旧栏目</a>', "xxgk/old.html"),
        ("[参考]: /articles/404.html", "articles/404.html"),
    ],
)
def test_links_to_missing_pages_of_our_site_block(site: Site, text: str, says: str) -> None:
    [finding] = screen_text("body", text, NO_LISTS, site=site)
    assert (finding.detector, finding.severity) == ("dead_link", "block")
    assert says in finding.reason


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        # Dropped by the site's sanitiser: words that look like a link and are not one.
        ("点击[这里](javascript:void(0))报名。", "warn"),
        ("<a href='javascript:alert(1)'>报名</a>", "warn"),
        ("[图](data:image/png;base64,AAAA)", "warn"),
        ("[坏](htp://www.gov.cn/)", "warn"),
        ("[电话](tel:07367786510)", "warn"),
        ("[空]()", "warn"),
        # Kept on the page as links that lead nowhere.
        ("[坏](http//www.gov.cn/)", "block"),
        ("[坏](http:/www.gov.cn)", "block"),
        ("[坏](http://gov_cn)", "block"),
        ("见 http://localhost_x/ 页面", "warn"),  # bare text: maybe not meant as a link
    ],
)
def test_malformed_and_dropped_links_are_findings(site: Site, text: str, severity: str) -> None:
    assert links_in(text, site) == [("dead_link", severity)]


@pytest.mark.parametrize(
    "text",
    [
        "参见中国政府网 http://www.gov.cn/zhengce/ 。",
        "参见[国务院政策文件库](https://www.gov.cn/zhengce/zhengceku/)",
        "参见 www.hunan.gov.cn",
        "参见 http://中国政府网.政务/",
    ],
)
def test_external_links_are_listed_not_fetched(site: Site, text: str) -> None:
    assert links_in(text, site) == [("external_link", "warn")]


def test_links_to_our_site_before_it_is_built_are_unchecked() -> None:
    unbuilt = Site(BASE, None)
    assert links_in("[上一篇](/articles/7.html)", unbuilt) == [("link_unchecked", "warn")]


def test_a_relative_link_out_of_our_site_warns(site: Site) -> None:
    deep = Site("http://www.example.gov.cn/xxgk/", site.root)
    assert links_in("[上级](../../../index.html)", deep) == [("dead_link", "warn")]


def test_a_missing_page_blocks_only_when_the_link_names_it_for_certain(site: Site) -> None:
    # Relative to a page the draft does not have yet (its own attachment, not yet built):
    # a warning to check, not a block of 初审.
    [relative] = screen_text("body", "见[附件](../files/9/附件.pdf)", NO_LISTS, site=site)
    assert (relative.detector, relative.severity) == ("dead_link", "warn")
    assert "相对链接" in relative.reason and "files/9/附件.pdf" in relative.reason
    assert not screen_document("通知", "见[附件](9.html)", [], site=site).blocked
    # From the site's root or a full address of ours: the page is certainly missing.
    assert links_in("见[旧文](/articles/1.html)", site) == [("dead_link", "block")]
    assert links_in(f"见[旧文]({BASE}articles/1.html)", site) == [("dead_link", "block")]


@pytest.mark.parametrize(
    "text",
    [
        "我办共公开政府信息580条，网站挂标率达到100%。",
        "依据《中华人民共和国政府信息公开条例》第二十条。",
        "电话：0736-7786510，邮箱 xxgk@example.gov.cn 。",
    ],
)
def test_prose_without_links_raises_no_link_finding(site: Site, text: str) -> None:
    assert links_in(text, site) == []


def test_the_link_is_located_on_its_line(site: Site) -> None:
    [finding] = screen_text("body", "第一行\n见[旧文](/articles/1.html)", NO_LISTS, site=site)
    assert finding.line == 2
    assert "/articles/1.html" in finding.excerpt


def test_screen_document_checks_links_against_the_given_site(site: Site) -> None:
    body = "见[旧文](/articles/1.html)和[新文](/articles/7.html)"
    result = screen_document("通知", body, [], site=site)
    assert [(f.detector, f.location) for f in result.findings] == [("dead_link", "body")]
    assert result.blocked


def test_default_site_is_the_configured_address_and_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_SITE_URL", "https://xxgk.example.gov.cn/bb")
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path))
    assert default_site() == Site("https://xxgk.example.gov.cn/bb/", None)
    (tmp_path / "site").mkdir()
    assert default_site().root == (tmp_path / "site").resolve()


def test_without_a_site_relative_links_are_unchecked_and_others_external() -> None:
    assert links_in("[上一篇](/articles/7.html)", None) == [("link_unchecked", "warn")]
    assert links_in("见 http://www.gov.cn/ 。", None) == [("external_link", "warn")]
