"""/admin/lists over HTTP (SQLite): the administrator adds, changes and removes entries of the
leader list, the no-longer-in-office list and the office's 错敏 words; each change is checked
field by field, recorded in the access audit, and the next screen uses the new list."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pubreview import db
from pubreview.accounts import audit
from pubreview.accounts.audit import AccessEvent
from pubreview.screening import screen_document
from pubreview.screening.leaders import DEFAULT_LEADERS
from tests.support.accounts import form_token, login, set_password
from tests.support.web import AfterCommitRecorder, ledger_size, make_app, point_at

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"
ADMIN = "wu.gang"
SUBMITTER = "zhang.wei"
# Files and one audit entry per change: SQLite is enough here.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def leaders_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "leaders.yaml"
    shutil.copy(DEFAULT_LEADERS, path)
    monkeypatch.setenv("PUBREVIEW_LEADERS", str(path))
    return path


@pytest.fixture
def office_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "errata-office.yaml"
    monkeypatch.setenv("PUBREVIEW_ERRATA_OFFICE", str(path))
    return path


@pytest.fixture
def client(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    leaders_file: Path,
    office_file: Path,
) -> Iterator[TestClient]:
    point_at(monkeypatch, database_url, tmp_path / "data", BASE + "/")
    with db.transaction(engine) as session:
        for username in (ADMIN, SUBMITTER):
            set_password(session, username, PASSWORD)
    with TestClient(make_app(AfterCommitRecorder()), base_url=BASE) as c:
        login(c, ADMIN, PASSWORD)
        yield c


def post(client: TestClient, list_name: str, **fields: str):
    token = form_token(client.get("/admin/lists").text)
    return client.post(f"/admin/lists/{list_name}", data={"csrf": token, **fields})


def list_changes(engine: Engine) -> list[audit.AuditRecord]:
    with db.transaction(engine) as session:
        return [r for r in audit.entries(session) if r.event is AccessEvent.LIST_CHANGED]


def reasons(body: str) -> list[str]:
    return [f.reason for f in screen_document("", body, []).findings]


def test_an_added_leader_is_in_the_next_preview_and_in_the_audit(
    engine: Engine, client: TestClient, leaders_file: Path
) -> None:
    page = client.get("/admin/lists")
    assert page.status_code == 200 and "曾翔" in page.text and "钱立新" in page.text
    done = post(client, "leaders", action="add", name="赵敏", title="局长", unit="市数据局")
    assert done.status_code == 200, done.text
    assert "名单已更新" in done.text and "赵敏" in done.text
    listed = yaml.safe_load(leaders_file.read_text(encoding="utf-8"))["leaders"]
    assert {"name": "赵敏", "title": "局长", "unit": "市数据局"} in listed
    assert leaders_file.read_text(encoding="utf-8").startswith("# 领导名单")  # help kept
    [change] = list_changes(engine)
    assert change.actor == ADMIN and change.detail["条目"] == "赵敏"
    assert change.detail["名单"] == "领导名单" and change.detail["操作"] == "新增"
    shown = client.get("/admin/audit").text
    assert "修改筛查名单" in shown and "条目：赵敏" in shown
    # A submitter's 预览/检查 right after uses the new list.
    submitter = TestClient(client.app, base_url=BASE)
    login(submitter, SUBMITTER, PASSWORD)
    token = form_token(submitter.get("/submit").text)
    preview = submitter.post(
        "/submit",
        data={
            "csrf": token,
            "action": "preview",
            "title": "关于召开数据工作会议的通知",
            "body": "副局长赵敏出席会议。",
            "category": "工作动态",
            "channels": ["网站"],
            "unit": "zonghe",
            "disclosure": "active",
            "disclosure_reason": "",
        },
    )
    assert preview.status_code == 200, preview.text
    assert "领导职务错误" in preview.text and "赵敏现任市数据局局长" in preview.text


def test_a_changed_title_keeps_the_old_one_as_former(
    engine: Engine, client: TestClient, leaders_file: Path
) -> None:
    assert reasons("党组成员、副主任刘洋出席。") == []
    done = post(
        client,
        "leaders",
        action="edit",
        original="刘洋",
        name="刘洋",
        title="党组书记、主任",
        unit="市委编办",
    )
    assert done.status_code == 200, done.text
    [liu] = [
        p
        for p in yaml.safe_load(leaders_file.read_text(encoding="utf-8"))["leaders"]
        if p["name"] == "刘洋"
    ]
    assert liu["title"] == "党组书记、主任"
    assert {f["title"] for f in liu["former"]} == {"综合科科长", "党组成员", "副主任"}
    [why] = [r for r in reasons("副主任刘洋出席。") if "刘洋" in r]
    assert "为其原职务" in why
    assert reasons("时任副主任刘洋出席。") == []
    [change] = list_changes(engine)
    assert change.detail["操作"] == "修改" and "党组成员、副主任" in change.detail["原为"]


def test_a_removed_name_is_no_longer_a_finding(
    engine: Engine, client: TestClient, leaders_file: Path
) -> None:
    assert any("钱立新" in r for r in reasons("钱立新到会指导。"))
    done = post(client, "departed", action="remove", original="钱立新")
    assert done.status_code == 200, done.text
    assert not any("钱立新" in r for r in reasons("钱立新到会指导。"))
    assert "钱立新" not in leaders_file.read_text(encoding="utf-8")
    [change] = list_changes(engine)
    assert change.detail["操作"] == "删除" and change.detail["名单"] == "不在任人员名单"


# Each refused the same way: the field named, nothing written (one app for all: cheap).
BAD_INPUT = [
    ("leaders", {"name": "赵敏", "title": "  ", "unit": "市数据局"}, "现任职务：请填写"),
    ("leaders", {"name": "赵敏", "title": "局长", "unit": ""}, "单位：请填写"),
    ("leaders", {"name": "赵 敏", "title": "局长", "unit": "市数据局"}, "姓名：「赵 敏」"),
    ("leaders", {"name": "钱立新", "title": "局长", "unit": "市数据局"}, "不在任人员名单"),
    ("departed", {"name": "孙某", "status": "已调离", "since": "去年"}, "起始日期：应为日期"),
    ("departed", {"name": "孙某", "status": "已调离", "severity": "high"}, "处理方式：请选择"),
    ("errata", {"wrong": "年报", "right": "年度报告", "reason": "简称"}, "依据：请填写"),
    (
        "errata",
        {"wrong": "台湾总统", "right": "台湾地区领导人", "reason": "涉台", "source": "某文"},
        "已在内置词库",
    ),
]


def test_bad_input_names_the_field_and_changes_nothing(
    engine: Engine, client: TestClient, leaders_file: Path, office_file: Path
) -> None:
    before, ledger = leaders_file.read_bytes(), ledger_size(engine)
    for list_name, fields, says in BAD_INPUT:
        refused = post(client, list_name, action="add", **{"severity": "block", **fields})
        assert refused.status_code == 422, (fields, refused.text)
        assert says in refused.text and "未作任何更改" in refused.text, (fields, refused.text)
        assert "Traceback" not in refused.text
    assert leaders_file.read_bytes() == before and not office_file.exists()
    assert ledger_size(engine) == ledger


def test_without_the_form_token_nothing_changes(
    engine: Engine, client: TestClient, leaders_file: Path
) -> None:
    before = leaders_file.read_bytes()
    refused = client.post("/admin/lists/departed", data={"action": "remove", "original": "钱立新"})
    assert refused.status_code == 403
    assert leaders_file.read_bytes() == before and list_changes(engine) == []


def test_a_submitter_cannot_open_or_change_the_lists(
    engine: Engine, client: TestClient, leaders_file: Path
) -> None:
    submitter = TestClient(client.app, base_url=BASE)
    login(submitter, SUBMITTER, PASSWORD)
    assert submitter.get("/admin/lists").status_code == 403
    token = form_token(submitter.get("/submit").text)
    refused = submitter.post(
        "/admin/lists/departed", data={"csrf": token, "action": "remove", "original": "钱立新"}
    )
    assert refused.status_code == 403
    assert "钱立新" in leaders_file.read_text(encoding="utf-8")


def test_office_errata_are_added_changed_and_removed(
    engine: Engine, client: TestClient, office_file: Path
) -> None:
    text = "现将本办政府信息公开年报公布如下。"
    assert not any("公开年报" in r for r in reasons(text))
    source = "《中华人民共和国政府信息公开条例》第五十条"
    added = post(
        client,
        "errata",
        action="add",
        wrong="政府信息公开年报",
        right="政府信息公开工作年度报告",
        reason="法定文书名称",
        source=source,
        severity="block",
        unless="",
    )
    assert added.status_code == 200, added.text
    [found] = screen_document("", text, []).findings
    assert found.severity == "block" and source in found.reason
    assert found.suggestion == "政府信息公开工作年度报告"
    page = client.get("/admin/lists").text
    assert "政府信息公开年报" in page and source in page
    changed = post(
        client,
        "errata",
        action="edit",
        original="政府信息公开年报",
        wrong="政府信息公开年报",
        right="政府信息公开工作年度报告",
        reason="法定文书名称",
        source=source,
        severity="warn",
        unless="",
    )
    assert changed.status_code == 200, changed.text
    assert [f.severity for f in screen_document("", text, []).findings] == ["warn"]
    removed = post(client, "errata", action="remove", original="政府信息公开年报")
    assert removed.status_code == 200, removed.text
    assert screen_document("", text, []).findings == []
    assert [c.detail["操作"] for c in reversed(list_changes(engine))] == ["新增", "修改", "删除"]
