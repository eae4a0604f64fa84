"""The administrator's pages over HTTP, on SQLite and PostgreSQL: people and roles (audited),
the organisation file, the access audit, ledger verify, the annual report and the runs."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from models import Account, Person, Publication, Role, RoleGrant, Unit
from pubreview import db
from pubreview.accounts import audit
from pubreview.accounts.audit import AccessEvent
from pubreview.publishing import local_now
from tests.support.accounts import form_token, login, set_password
from tests.support.factories import submitted
from tests.support.web import AfterCommitRecorder, ledger_size, make_app, point_at

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"
ADMIN = "wu.gang"


@pytest.fixture
def client(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    point_at(monkeypatch, database_url, tmp_path / "data", BASE + "/")
    monkeypatch.setenv("PUBREVIEW_PREFECT_UI_URL", "http://prefect.example:4200")
    with db.transaction(engine) as session:
        for username in ("zhang.wei", ADMIN, "liu.yang"):
            set_password(session, username, PASSWORD)
    with TestClient(make_app(AfterCommitRecorder()), base_url=BASE) as c:
        yield c


def as_admin(client: TestClient) -> str:
    """Log in as the administrator; the session's form token."""
    login(client, ADMIN, PASSWORD)
    return form_token(client.get("/admin").text)


def access(engine: Engine, username: str) -> list[audit.AuditRecord]:
    with db.transaction(engine) as session:
        # Oldest first, as they happened.
        return sorted(
            (r for r in audit.entries(session) if r.username == username), key=lambda r: r.entry_id
        )


def grants(engine: Engine, username: str) -> set[tuple[str, str]]:
    with db.transaction(engine) as session:
        rows = session.execute(
            select(Unit.code, RoleGrant.role)
            .join(RoleGrant, RoleGrant.unit_id == Unit.id)
            .join(Person, Person.id == RoleGrant.person_id)
            .where(Person.username == username)
        ).all()
        return {(code, Role(role).value) for code, role in rows}


def test_a_submitter_is_refused_everywhere_and_nothing_is_written(
    engine: Engine, client: TestClient
) -> None:
    login(client, "zhang.wei", PASSWORD)
    token = form_token(client.get("/admin").text)
    before = ledger_size(engine)
    for path in (
        "/admin",
        "/admin/people",
        "/admin/audit",
        "/admin/ledger?verify=1",
        "/admin/report",
        "/admin/runs",
        "/admin/org.yaml",
        "/admin/people/li.na",
    ):
        page = client.get(path)
        assert page.status_code == 403 and "只有管理员" in page.text, path
    for path, fields in (
        ("/admin/people", {"username": "evil", "name": "某人", "unit": "zonghe", "role": "admin"}),
        ("/admin/people/zhang.wei/roles", {"action": "add", "unit": "center", "role": "admin"}),
        ("/admin/people/li.na/account", {"action": "disable"}),
        (
            "/admin/people/li.na/password",
            {"password": "Xy9-long-pass", "password2": "Xy9-long-pass"},
        ),
        ("/admin/report/2025/supplement", {"action": "template"}),
    ):
        refused = client.post(path, data={"csrf": token, **fields})
        assert refused.status_code == 403, (path, refused.text)
    assert ledger_size(engine) == before
    assert grants(engine, "zhang.wei") == {("zonghe", "submitter")}
    with db.transaction(engine) as session:
        assert session.scalars(select(Person).where(Person.username == "evil")).first() is None


def test_admin_creates_a_person_and_assigns_roles_all_audited(
    engine: Engine, client: TestClient
) -> None:
    token = as_admin(client)
    created = client.post(
        "/admin/people",
        data={
            "csrf": token,
            "username": "qian.lei",
            "name": "钱磊",
            "email": "",
            "unit": "yewu",
            "role": "submitter",
        },
    )
    assert created.status_code == 200, created.text
    assert 'id="password-link"' in created.text and "/password/" in created.text
    assert grants(engine, "qian.lei") == {("yewu", "submitter")}
    events = [r.event for r in access(engine, "qian.lei")]
    assert AccessEvent.ROLE_CHANGED in events and AccessEvent.PASSWORD_LINK in events
    again = client.post(
        "/admin/people",
        data={
            "csrf": token,
            "username": "qian.lei",
            "name": "钱磊",
            "unit": "yewu",
            "role": "submitter",
        },
    )
    assert again.status_code == 409 and "已有人使用" in again.text
    bad = client.post(
        "/admin/people",
        data={
            "csrf": token,
            "username": "Qian Lei!",
            "name": "钱磊",
            "unit": "yewu",
            "role": "submitter",
        },
    )
    assert bad.status_code == 409 and "用户名须为" in bad.text

    added = client.post(
        "/admin/people/qian.lei/roles",
        data={"csrf": token, "action": "add", "unit": "yewu", "role": "section_head"},
    )
    assert added.status_code == 200 and "已授予" in added.text
    assert grants(engine, "qian.lei") == {("yewu", "submitter"), ("yewu", "section_head")}
    removed = client.post(
        "/admin/people/qian.lei/roles",
        data={"csrf": token, "action": "remove", "unit": "yewu", "role": "submitter"},
    )
    assert removed.status_code == 200 and "已取消" in removed.text
    assert grants(engine, "qian.lei") == {("yewu", "section_head")}
    changes = [r for r in access(engine, "qian.lei") if r.event is AccessEvent.ROLE_CHANGED]
    assert [c.actor for c in changes] == [ADMIN, ADMIN, ADMIN]
    assert changes[0].detail["added"] == ["submitter@yewu"]
    assert changes[-1].detail["removed"] == ["submitter@yewu"]

    disabled = client.post("/admin/people/li.na/account", data={"csrf": token, "action": "disable"})
    assert disabled.status_code == 200 and "已停用" in disabled.text
    with db.transaction(engine) as session:
        person = session.scalars(select(Person).where(Person.username == "li.na")).one()
        assert session.get(Account, person.id).disabled
    assert AccessEvent.ACCOUNT_DISABLED in [r.event for r in access(engine, "li.na")]
    leader = client.post(
        "/admin/people/zeng.xiang/account", data={"csrf": token, "action": "totp_require"}
    )
    assert leader.status_code == 200 and "须使用动态验证码登录" in leader.text
    with db.transaction(engine) as session:
        person = session.scalars(select(Person).where(Person.username == "zeng.xiang")).one()
        assert session.get(Account, person.id).totp_required
    assert AccessEvent.TOTP_REQUIRED in [r.event for r in access(engine, "zeng.xiang")]
    self_off = client.post(
        "/admin/people/wu.gang/account", data={"csrf": token, "action": "disable"}
    )
    assert self_off.status_code == 409 and "不能停用自己的账户" in self_off.text

    page = client.get("/admin/audit").text
    assert "角色变更" in page and "停用账户" in page and "登录成功" in page
    assert "新增角色：业务科·报送人" in page and "取消角色：业务科·报送人" in page
    assert local_now().strftime("%Y-%m-%d") in page
    listing = client.get("/admin/people").text
    assert "钱磊（qian.lei）" in listing.split('id="units"')[1].split('id="create"')[0]
    person_page = client.get("/admin/people/qian.lei").text
    assert "业务科 · 科室负责人" in person_page and 'id="remove-yewu-section_head"' in person_page


def test_org_export_loads_back_and_an_upload_changes_roles(
    engine: Engine, client: TestClient
) -> None:
    token = as_admin(client)
    exported = client.get("/admin/org.yaml")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    doc = yaml.safe_load(exported.text)
    assert {u["code"] for u in doc["units"]} == {"zonghe", "yewu", "wuling", "center"}
    zhang = next(p for p in doc["people"] if p["username"] == "zhang.wei")
    assert zhang == {
        "username": "zhang.wei",
        "name": "张伟",
        "email": "zhang.wei@example.gov.cn",
        "roles": [{"unit": "zonghe", "role": "submitter"}],
    }
    before = ledger_size(engine)
    same = client.post(
        "/admin/org",
        data={"csrf": token},
        files={"org_file": ("org.yaml", exported.content, "application/yaml")},
    )
    assert same.status_code == 200, same.text
    assert ledger_size(engine) == before  # the export loads back without a single change
    zhang["roles"].append({"unit": "yewu", "role": "submitter"})
    changed = client.post(
        "/admin/org",
        data={"csrf": token},
        files={"org_file": ("我的组织.yaml", yaml.safe_dump(doc, allow_unicode=True).encode())},
    )
    assert changed.status_code == 200 and "组织机构已导入" in changed.text
    assert grants(engine, "zhang.wei") == {("zonghe", "submitter"), ("yewu", "submitter")}
    assert AccessEvent.ROLE_CHANGED in [r.event for r in access(engine, "zhang.wei")]
    broken = client.post(
        "/admin/org",
        data={"csrf": token},
        files={"org_file": ("坏文件.yaml", b"units:\n  - code: x\n    kind: moon\n")},
    )
    assert broken.status_code == 409 and "坏文件.yaml" in broken.text and "/tmp" not in broken.text


def test_ledger_verify_and_runs(engine: Engine, client: TestClient) -> None:
    pub = submitted(engine)
    with db.transaction(engine) as session:
        session.execute(
            update(Publication).where(Publication.id == pub).values(flow_run_id="abc-123")
        )
    as_admin(client)
    first = client.get("/admin/ledger")
    assert first.status_code == 200 and 'id="verify-button"' in first.text
    checked = client.get("/admin/ledger?verify=1")
    assert 'data-ok="yes"' in checked.text and "校验通过" in checked.text
    runs = client.get("/admin/runs").text
    assert 'href="http://prefect.example:4200/runs/flow-run/abc-123"' in runs
    assert f'id="run-{pub}"' in runs


def test_the_annual_report_from_the_page(engine: Engine, client: TestClient) -> None:
    token = as_admin(client)
    year = local_now().year - 1
    page = client.get(f"/admin/report?year={year}")
    assert page.status_code == 200 and 'id="supplement-template-button"' in page.text
    none_yet = client.post(f"/admin/report/{year}/generate", data={"csrf": token})
    assert none_yet.status_code == 409 and "还没有补充材料" in none_yet.text
    made = client.post(
        f"/admin/report/{year}/supplement", data={"csrf": token, "action": "template"}
    )
    assert made.status_code == 200, made.text
    page = client.get(f"/admin/report?year={year}").text
    assert 'id="supplement-template-button"' not in page and "supplement" in page.lower()
    bad = client.post(
        f"/admin/report/{year}/supplement",
        data={"csrf": token, "action": "save", "content": "year: [unclosed"},
    )
    assert bad.status_code == 409 and "未能保存补充材料" in bad.text
    assert 'id="supplement-template-button"' not in client.get(f"/admin/report?year={year}").text
    done = client.post(f"/admin/report/{year}/generate", data={"csrf": token})
    assert done.status_code == 200 and "年报已生成" in done.text, done.text
    page = client.get(f"/admin/report?year={year}").text
    assert 'id="checks"' in page and "草稿" in page  # the template's placeholders are left
    for kind in ("html", "markdown", "docx"):
        assert f'id="report-file-{kind}"' in page, kind
    name = page.split('id="report-file-docx"')[0].rsplit('href="', 1)[1].split('"', 1)[0]
    download = client.get(name)
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    Document(io.BytesIO(download.content))  # a real Word file
    sneaky = client.get(f"/admin/report/{year}/files/..%2F..%2Fpubreview.db")
    assert sneaky.status_code == 404
