"""The command line as a person or a script uses it: ids, --json, clear errors, nothing lost."""

from __future__ import annotations

import getpass
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pubreview import migrate
from pubreview.settings import PROJECT_ROOT
from tests.conftest import SAMPLE_ORG


@pytest.fixture
def cli(tmp_path: Path):
    """Run `pubreview` on a fresh SQLite ledger with the sample organisation, Prefect absent."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    env = {
        "PATH": "/usr/bin:/bin",
        "PUBREVIEW_DATA_DIR": str(tmp_path),
        "PUBREVIEW_DATABASE_URL": url,
        # Nothing listens here: commands must still record and say Prefect is unreachable.
        "PREFECT_API_URL": "http://127.0.0.1:9/api",
    }

    def run(*args: str, extra: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pubreview.cli", *args],
            env={**env, **(extra or {})},
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    migrate.upgrade(url)
    assert run("org", "load", str(SAMPLE_ORG)).returncode == 0
    run.db_path = tmp_path / "ledger.db"
    return run


def submit_args(
    title: str = "工作动态一则", body: str = "正文。", category: str = "工作动态"
) -> tuple[str, ...]:
    """`pubreview submit` by zhang.wei of 综合科 for the site."""
    return (
        "submit",
        "--as",
        "zhang.wei",
        "--unit",
        "zonghe",
        "--title",
        title,
        "--body",
        body,
        "--category",
        category,
        "--channel",
        "网站",
    )


SUBMIT = submit_args()


def test_submit_prints_the_id_and_records_without_prefect(cli) -> None:
    first = cli(*SUBMIT)
    assert first.returncode == 0 and first.stdout.strip() == "1"
    assert "Prefect is not reachable" in first.stderr
    second = json.loads(cli(*SUBMIT, "--json").stdout)
    assert second["id"] == 2
    status = json.loads(cli("status", "2", "--json").stdout)
    assert status["stage"] == "prereview" and status["waiting_on"] == ["li.na", "wang.fang"]


def test_errors_are_clear_and_json_too(cli) -> None:
    bad = cli(*submit_args("t", "b", category="八卦"), "--json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout) == {
        "error": "ValidationError",
        "message": "内容类别：“八卦”不在目录中"
        "（可选：工作动态、政务公开、业务工作、专题、部门职能、互动交流）"
        f"（内容分类在目录文件 {PROJECT_ROOT / 'config' / 'catalog.yaml'} 中配置，"
        "文件位置由 PUBREVIEW_CATALOG 设置）",
    }
    cli(*SUBMIT)
    turn = cli("decide", "1", "approve", "--as", "zeng.xiang")
    assert turn.returncode == 1
    assert "曾翔（zeng.xiang）不是综合科的科室负责人" in turn.stderr
    assert "Traceback" not in turn.stderr
    # The refusal is worded for a person; the command line adds the option that supplies it.
    unattested = cli("decide", "1", "approve", "--as", "li.na")
    assert unattested.returncode == 1
    assert "无涉密及个人隐私内容" in unattested.stderr
    assert "(--attest-no-secrets)" in unattested.stderr


def test_a_locked_database_is_reported_and_nothing_is_written(cli) -> None:
    holder = sqlite3.connect(cli.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        locked = cli(*SUBMIT, extra={"PUBREVIEW_SQLITE_BUSY_TIMEOUT_S": "0.5"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert locked.returncode == 1
    assert "database is locked" in locked.stderr and "nothing was written" in locked.stderr
    assert json.loads(cli("status", "--json").stdout) == []
    assert cli(*SUBMIT).stdout.strip() == "1"


def test_org_file_errors_name_line_and_field(cli, tmp_path: Path) -> None:
    broken = tmp_path / "org.yaml"
    broken.write_text(
        SAMPLE_ORG.read_text(encoding="utf-8").replace(
            "{unit: yewu, role: submitter}", "{unit: yewu, role: boss}"
        ),
        encoding="utf-8",
    )
    result = cli("org", "load", str(broken))
    assert result.returncode == 1
    line = next(
        i
        for i, text in enumerate(broken.read_text(encoding="utf-8").splitlines(), 1)
        if "role: boss" in text
    )
    assert f"第 {line} 行：people[4].roles[0].role：未知角色「boss」" in result.stderr


def test_ledger_verify_and_history(cli) -> None:
    cli(*SUBMIT)
    cli("decide", "1", "approve", "--as", "li.na", "--attest-no-secrets")
    history = json.loads(cli("history", "1", "--json").stdout)
    steps = [h for h in history if h["kind"] != "notified"]
    assert [h["kind"] for h in steps] == ["submitted", "screened", "decided"]
    # The heads, then the leader, were told straight after each command, with no Prefect.
    told = {(h["stage"], h["payload"]["recipient"]) for h in history if h["kind"] == "notified"}
    assert {("prereview", "li.na"), ("signoff", "zeng.xiang")} <= told
    # `--as` names anyone: every entry the command line writes also names the system account.
    account = getpass.getuser()
    assert [h["payload"]["os_user"] for h in steps] == [account] * 3
    verify = cli("ledger", "verify")
    assert verify.returncode == 0 and f"{len(history)} entries" in verify.stdout
