"""`pubreview user …` and `pubreview audit` on a real database."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import Engine

from models import Account
from pubreview import db, ledger
from pubreview.accounts import org, passwords
from pubreview.cli.parser import main


@pytest.fixture
def cli(engine: Engine, database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PUBREVIEW_WEB_URL", "https://gk.example.gov.cn/")

    def run(*args: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main(list(args))

    return run


def _hash(engine: Engine, username: str) -> str | None:
    with db.transaction(engine) as session:
        account = session.get(Account, org.person(session, username).id)
        return account.password_hash if account else None


def test_set_password_reads_standard_input(cli, engine: Engine, capsys) -> None:
    assert cli("user", "set-password", "li.na", stdin="Head-of-2026\n") == 0
    assert "password set for li.na" in capsys.readouterr().out
    assert passwords.verify_password("Head-of-2026", _hash(engine, "li.na"))[0]


def test_set_password_refuses_a_weak_one_and_changes_nothing(cli, engine: Engine, capsys) -> None:
    assert cli("user", "set-password", "li.na", stdin="lina12345\n") == 1
    err = capsys.readouterr().err
    assert "密码不符合要求" in err and "至少 10 个字符" in err and "还缺：大写字母、符号" in err
    assert _hash(engine, "li.na") is None
    assert cli("user", "set-password", "li.na", stdin="") == 1
    assert "标准输入中没有密码" in capsys.readouterr().err


def test_set_password_takes_no_password_argument(cli, capsys) -> None:
    with pytest.raises(SystemExit):
        cli("user", "set-password", "li.na", "Head-of-2026")
    assert "unrecognized arguments" in capsys.readouterr().err


def test_list_disable_enable_and_the_audit(cli, engine: Engine, capsys) -> None:
    cli("user", "set-password", "zhang.wei", stdin="Demo-zw-2026\n")
    assert cli("user", "disable", "zhang.wei") == 0
    assert cli("user", "disable", "zhang.wei") == 0
    assert "nothing to change" in capsys.readouterr().out
    assert cli("user", "list", "--json") == 0
    rows = {r["username"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["zhang.wei"]["disabled"] and rows["zhang.wei"]["has_password"]
    assert not rows["li.na"]["has_password"]
    assert cli("user", "enable", "zhang.wei") == 0
    assert cli("user", "require-totp", "zhang.wei") == 0
    assert cli("user", "password-link", "sun.li") == 0
    out = capsys.readouterr().out
    assert "https://gk.example.gov.cn/password/" in out
    assert cli("audit", "--json") == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["event"] for r in records] == [
        "password_link",
        "totp_required",
        "account_enabled",
        "account_disabled",
        "password_set",
    ]
    assert {r["via"] for r in records} == {"cli"}
    assert all(r["actor"] == "operator" and r["detail"]["os_user"] for r in records)
    assert cli("audit") == 0
    text = capsys.readouterr().out
    assert "account_disabled" in text and "zhang.wei" in text
    assert cli("audit", "--since", "2001-02-30") == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err
    with db.transaction(engine) as session:
        assert ledger.verify(session).ok


def test_unknown_user(cli, capsys) -> None:
    assert cli("user", "disable", "nobody") == 1
    assert "nobody" in capsys.readouterr().err
