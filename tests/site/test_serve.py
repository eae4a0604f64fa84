"""The local site server: security headers everywhere, active attachments only as downloads."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pubreview.settings import PROJECT_ROOT
from pubreview.site.serve import INLINE_TYPES, SITE_HEADERS, make_server


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    files = root / "files" / "7"
    files.mkdir(parents=True)
    (root / "index.html").write_text("<!DOCTYPE html><title>首页</title>", encoding="utf-8")
    (files / "evil.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    (files / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', encoding="utf-8"
    )
    (files / "通知.txt").write_bytes("会议通知：十二月五日".encode("gb18030"))
    (files / "说明.txt").write_text("会议说明", encoding="utf-8")
    (files / "表.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    server = make_server(root, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_every_answer_carries_the_security_headers(site: str) -> None:
    for path in ("", "index.html", "missing.html", "files/7/%E8%AF%B4%E6%98%8E.txt"):
        r = httpx.get(site + path)
        assert "default-src 'none'" in r.headers["content-security-policy"], path
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["x-frame-options"] == "DENY", path


@pytest.mark.parametrize("name", ["evil.html", "evil.svg"])
def test_an_attachment_that_could_run_is_a_sandboxed_download(site: str, name: str) -> None:
    r = httpx.get(f"{site}files/7/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"] == "attachment"
    assert "sandbox" in r.headers.get_list("content-security-policy")


def test_text_is_served_in_the_charset_it_is_written_in(site: str) -> None:
    gbk = httpx.get(f"{site}files/7/%E9%80%9A%E7%9F%A5.txt")
    assert gbk.headers["content-type"] == "text/plain; charset=gb18030"
    assert gbk.text == "会议通知：十二月五日"
    utf8 = httpx.get(f"{site}files/7/%E8%AF%B4%E6%98%8E.txt")
    assert utf8.headers["content-type"] == "text/plain; charset=utf-8"
    assert "content-disposition" not in utf8.headers
    pdf = httpx.get(f"{site}files/7/%E8%A1%A8.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "content-disposition" not in pdf.headers
    page = httpx.get(f"{site}index.html")
    assert page.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    "raw", ["/%66iles/7/evil.html", "/x/../files/7/evil.html", "/files%2F7%2Fevil.svg"]
)
def test_an_attachment_spelled_another_way_is_still_a_download(site: str, raw: str) -> None:
    # Sent as written: an encoded or dotted path names the same file on disk.
    host, port = site.removeprefix("http://").rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port))
    conn.request("GET", raw)
    r = conn.getresponse()
    r.read()
    conn.close()
    assert r.status == 200
    assert r.getheader("Content-Type") == "application/octet-stream"
    assert r.getheader("Content-Disposition") == "attachment"


def test_the_documented_nginx_headers_are_the_ones_the_server_sends() -> None:
    conf = (PROJECT_ROOT / "config" / "site-nginx.conf").read_text(encoding="utf-8")
    for name, value in SITE_HEADERS.items():
        # Once for the whole site, once more inside location /files/.
        assert conf.count(f'add_header {name} "{value}" always;') == 2, name
    types = set(re.findall(r"^\s+(\w+/[\w.+-]+) [\w ]+;$", conf, re.MULTILINE))
    assert types == INLINE_TYPES
