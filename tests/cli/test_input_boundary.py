"""The command line's input boundary: numbers out of range, unusable text, unreadable files.

Each is one line of refusal on stderr, nothing written, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from pubreview.cli.parser import main
from tests.support.factories import decided, submitted
from tests.support.site import publish_through_chain
from tests.support.web import ledger_size

SUBMIT = ["submit", "--as", "zhang.wei", "--unit", "zonghe", "--category", "工作动态"]


@pytest.mark.parametrize(
    "argv",
    [
        [*SUBMIT, "--channel", "网站", "--body", "x", "--title", "#2 伪造的状态行\x1b[2J\x07"],
        [*SUBMIT, "--channel", "网站", "--body", "x", "--title", "通知\u202egpj.exe"],
        [*SUBMIT, "--channel", "网站", "--body", "x", "--title", "通知\n#2 伪造的状态行"],
        [*SUBMIT, "--channel", "网站", "--body", "x\x00", "--title", "通知"],
        ["decide", "1", "approve", "--as", "li\udcffna"],  # bytes that were not UTF-8
        ["status", "2147483648"],
        ["ledger", "prove", "99999999999999999999"],
        ["decide", "9223372036854775808", "approve", "--as", "li.na"],
        ["publish", "-2147483648"],
        ["delegate", "revoke", "2147483648", "--as", "wu.gang"],
    ],
)
def test_a_refused_argument_is_one_line_and_writes_nothing(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    argv: list[str],
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    before = ledger_size(engine)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert any(why in err for why in ("超出范围", "请删除后重新填写", "UTF-8", "不能换行")), err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert ledger_size(engine) == before


def test_a_binary_organisation_file_is_one_line(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    org = tmp_path / "org.yaml"
    org.write_bytes(b"units:\n  - code: \xff\xfe\x00\x81\n")
    before = ledger_size(engine)
    assert main(["org", "load", str(org)]) == 1
    err = capsys.readouterr().err
    assert "不是 UTF-8 编码" in err and len(err.splitlines()) == 1
    assert ledger_size(engine) == before


def test_decide_refuses_a_script_url(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    pub = submitted(engine, channels=["网站", "微博"])
    decided(engine, pub, "li.na", attest=True)
    decided(engine, pub, "zeng.xiang")
    before = ledger_size(engine)
    for url in ("javascript:alert('U')", "data:text/html,<b>x</b>", "JaVaScRiPt:alert(1)"):
        argv = ["decide", str(pub), "approve", "--as", "zhou.min", "--url", f"微博={url}"]
        assert main(argv) == 1
        assert "不是 http:// 或 https:// 开头的网址" in capsys.readouterr().err
    assert ledger_size(engine) == before


def test_status_shows_a_stored_title_on_one_line_without_its_escapes(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    # Stored before titles were checked (or by a route that did not check).
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    submitted(engine, title="通知\n#2 伪造的状态行\x1b[2J\x07\u202e")
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert not any(line.startswith("#2") for line in out.splitlines())
    assert "通知\\n#2 伪造的状态行\\x1b[2J\\x07\\u202e" in out


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [("username", "a" * 65, "最多 64 个"), ("name", "张\x1b伟", "控制字符")],
)
def test_an_organisation_file_is_checked_against_the_columns(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    field: str,
    value: str,
    why: str,
) -> None:
    # PostgreSQL would refuse a 65-character username, SQLite would keep it: both refuse it here.
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    roles = [{"unit": "zonghe", "role": "submitter"}]
    person = {"username": "long.name", "name": "张伟", "roles": roles}
    person[field] = value
    org = tmp_path / "org.yaml"
    units = [{"code": "zonghe", "name": "综合科", "kind": "section"}]
    org.write_text(yaml.safe_dump({"units": units, "people": [person]}, allow_unicode=True))
    assert main(["org", "load", str(org)]) == 1
    err = capsys.readouterr().err
    assert f"people[0].{field}" in err and why in err and len(err.splitlines()) == 1


# `site build` with every file write past 4 KB failing (EFBIG), as on a full disk.
FULL_DISK_BUILD = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
from pubreview.cli.parser import main
sys.exit(main(["site", "build", "--out", sys.argv[1]]))
"""


def test_site_build_on_a_full_disk_is_one_line(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    publish_through_chain(engine, "通知", "正文" * 4000)  # a page larger than the limit
    out = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK_BUILD, str(out)],
        env=os.environ,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    assert "磁盘空间已满" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
