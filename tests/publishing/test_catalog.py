"""The catalog is read once per version of its file: a change to the file is seen at once."""

from __future__ import annotations

import os
from pathlib import Path

from pubreview.publishing import catalog

ONE = "categories: [工作动态]\nchannels:\n  网站: {kind: site}\n"
TWO = (
    "categories: [工作动态, 通知公告]\nchannels:\n  网站: {kind: site}\n  微信: {max_length: 600}\n"
)


def test_a_changed_catalog_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(ONE, encoding="utf-8")
    first = catalog.load(path)
    assert catalog.load(path) is first
    path.write_text(TWO, encoding="utf-8")
    # Even within the same clock tick: the size differs.
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))
    second = catalog.load(path)
    assert second.categories == ("工作动态", "通知公告")
    assert list(second.channels) == ["网站", "微信"]


def test_the_site_and_the_hand_channels(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(TWO, encoding="utf-8")
    read = catalog.load(path)
    assert read.channels["网站"].is_site and not read.channels["微信"].is_site
    # A channel the catalog does not list is posted by hand, as the 中心发布 step asks.
    assert [read.is_site(c) for c in ("网站", "微信", "抖音")] == [True, False, False]
