"""Login, sessions and CSRF over HTTP on a real database (SQLite file, then PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from models import Account, LoginSession, Person
from models.base import utcnow
from pubreview import db, ledger
from pubreview.accounts import audit, authz, manage, org, totp
from pubreview.accounts.audit import AccessEvent
from pubreview.accounts.password_links import issue_password_link
from pubreview.links import secret_key, web_url
from pubreview.web.auth import COOKIE, SignedIn, check_csrf, totp_key
from pubreview.web.common import transaction
from tests.support.accounts import form_token, login, set_password
from tests.support.web import AfterCommitRecorder, ledger_size, make_app, point_at

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"


def _app():
    """The real app plus probe routes standing in for a logged-in page, a form and an admin page."""
    app = make_app(AfterCommitRecorder())

    @app.get("/probe")
    def probe(user: SignedIn) -> PlainTextResponse:
        return PlainTextResponse(f"{user.username} {user.csrf_token}")

    @app.post("/probe")
    async def probe_post(request: Request, user: SignedIn) -> JSONResponse:
        form = await request.form()
        check_csrf(user, dict(form))
        return JSONResponse({"user": user.username, "fields": list(form.multi_items())})

    @app.get("/probe/admin")
    def probe_admin(user: SignedIn) -> PlainTextResponse:
        with transaction() as session:
            authz.require(session, user, "admin")
            audit.record(session, AccessEvent.ROLE_CHANGED, actor="x", username="must-not-stay")
        return PlainTextResponse("admin")

    return app


@pytest.fixture
def client(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    point_at(monkeypatch, database_url, tmp_path / "data", BASE + "/")
    with db.transaction(engine) as session:
        for username in ("zhang.wei", "wu.gang", "li.na"):
            set_password(session, username, PASSWORD)
    with TestClient(_app(), base_url=BASE) as c:
        yield c


def _attempt(client: TestClient, username: str, password: str, **extra: str):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": form_token(page.text), **extra},
        follow_redirects=False,
    )


def _events(engine: Engine, username: str) -> list[str]:
    with db.transaction(engine) as session:
        return [r.event.value for r in reversed(audit.entries(session)) if r.username == username]


def _verify(engine: Engine) -> None:
    with db.transaction(engine) as session:
        result = ledger.verify(session)
    assert result.ok, result.reason


def _session_row(engine: Engine, username: str) -> LoginSession:
    with db.transaction(engine) as session:
        person = org.person(session, username)
        return session.scalars(
            select(LoginSession)
            .where(LoginSession.person_id == person.id)
            .order_by(LoginSession.id.desc())
        ).first()


def test_login_lands_on_next_and_sets_a_safe_cookie(client: TestClient, engine: Engine) -> None:
    first = client.get("/probe?x=1", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=/probe%3Fx%3D1"
    page = client.get(first.headers["location"])
    assert 'name="next" value="/probe?x=1"' in page.text
    done = _attempt(client, "zhang.wei", PASSWORD, next="/probe?x=1")
    assert done.status_code == 303 and done.headers["location"] == "/probe?x=1"
    cookie = done.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert client.get("/probe").text.startswith("zhang.wei ")
    # The table holds only a hash of the id the browser has.
    row = _session_row(engine, "zhang.wei")
    assert client.cookies[COOKIE] not in (row.token_hash, row.csrf_token)
    assert _events(engine, "zhang.wei")[-1] == "login"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil", "x"])
def test_login_goes_only_to_a_local_next(client: TestClient, target: str) -> None:
    done = _attempt(client, "zhang.wei", PASSWORD, next=target)
    assert done.status_code == 303
    assert done.headers["location"] == "/my"  # the submitter's home, not the offered address


def test_cookie_is_secure_when_served_over_https(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_WEB_URL", "https://gk.example.gov.cn/")
    done = _attempt(client, "zhang.wei", PASSWORD)
    assert "Secure" in done.headers["set-cookie"]


def test_five_wrong_passwords_lock_until_the_period_ends(
    client: TestClient, engine: Engine
) -> None:
    for n in range(1, 5):
        wrong = _attempt(client, "zhang.wei", "Wrong-pass-1")
        assert wrong.status_code == 401
        assert f"再错 {5 - n} 次" in wrong.text
    fifth = _attempt(client, "zhang.wei", "Wrong-pass-1")
    assert "账户已锁定" in fifth.text
    locked = _attempt(client, "zhang.wei", PASSWORD)
    assert locked.status_code == 401 and "账户已锁定" in locked.text
    assert COOKIE not in client.cookies
    assert _events(engine, "zhang.wei")[-7:] == ["login_failed"] * 5 + [
        "locked_out",
        "login_refused",
    ]
    # Fifteen minutes later (moved by the stored time, not by sleeping) the right one works.
    with db.transaction(engine) as session:
        account = session.get(Account, org.person(session, "zhang.wei").id)
        assert account.locked_until is not None
        account.locked_until = utcnow() - timedelta(seconds=1)
    assert _attempt(client, "zhang.wei", PASSWORD).status_code == 303
    _verify(engine)


def test_lockout_follows_the_settings(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBREVIEW_LOGIN_MAX_FAILURES", "2")
    monkeypatch.setenv("PUBREVIEW_LOGIN_LOCKOUT_S", "60")
    _attempt(client, "li.na", "Wrong-pass-1")
    assert "账户已锁定" in _attempt(client, "li.na", "Wrong-pass-1").text
    with db.transaction(engine) as session:
        account = session.get(Account, org.person(session, "li.na").id)
        left = account.locked_until.replace(tzinfo=None) - utcnow().replace(tzinfo=None)
    assert timedelta(seconds=50) < left <= timedelta(seconds=60)


def test_unknown_user_and_missing_password_are_refused_and_audited(
    client: TestClient, engine: Engine
) -> None:
    assert "用户名或密码不正确" in _attempt(client, "nobody", PASSWORD).text
    no_password = _attempt(client, "sun.li", PASSWORD)
    assert no_password.status_code == 401 and "尚未设置密码" in no_password.text
    assert _events(engine, "nobody") == ["login_failed"]
    assert _events(engine, "sun.li") == ["login_refused"]


def test_a_stolen_session_id_is_refused_after_logout(client: TestClient, engine: Engine) -> None:
    login(client, "zhang.wei", PASSWORD)
    stolen = client.cookies[COOKIE]
    token = client.get("/probe").text.split()[1]
    out = client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login?done=logout"
    assert "已安全退出" in client.get(out.headers["location"]).text
    with TestClient(_app(), base_url=BASE) as thief:
        thief.cookies.set(COOKIE, stolen)
        answer = thief.get("/probe", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert _session_row(engine, "zhang.wei").revoked_reason == "logout"
    assert _events(engine, "zhang.wei")[-2:] == ["login", "logout"]


def test_logout_without_the_form_token_ends_nothing(client: TestClient) -> None:
    login(client, "zhang.wei", PASSWORD)
    refused = client.post("/logout", data={"csrf": "0" * 64})
    assert refused.status_code == 403 and "无法验证本次提交" in refused.text
    assert client.get("/probe").status_code == 200


def test_login_starts_a_new_session_id(client: TestClient) -> None:
    # The jar's domain for cookies the test server sets: the attacker's cookie takes their place.
    client.cookies.set(COOKIE, "fixated-by-an-attacker-0123456789abcdef", domain="testserver.local")
    login(client, "zhang.wei", PASSWORD)
    first = client.cookies[COOKIE]
    assert first != "fixated-by-an-attacker-0123456789abcdef"
    login(client, "zhang.wei", PASSWORD)
    second = client.cookies[COOKIE]
    assert second != first
    with TestClient(_app(), base_url=BASE) as other:
        other.cookies.set(COOKIE, first)
        assert other.get("/probe", follow_redirects=False).status_code == 303


def test_login_form_needs_its_own_token(client: TestClient, engine: Engine) -> None:
    before = ledger_size(engine)
    forged = client.post(
        "/login", data={"username": "zhang.wei", "password": PASSWORD}, follow_redirects=False
    )
    assert forged.status_code == 403 and COOKIE not in client.cookies
    assert ledger_size(engine) == before


def test_a_post_without_or_with_another_sessions_token_writes_nothing(
    client: TestClient, engine: Engine
) -> None:
    with TestClient(_app(), base_url=BASE) as other:
        login(other, "li.na", PASSWORD)
        foreign = other.get("/probe").text.split()[1]
    login(client, "zhang.wei", PASSWORD)
    before = ledger_size(engine)
    fields = {
        "current_password": PASSWORD,
        "new_password": "New-pass-2026",
        "confirm_password": "New-pass-2026",
    }
    for token in (None, foreign):
        data = fields if token is None else {**fields, "csrf": token}
        refused = client.post("/account/password", data=data)
        assert refused.status_code == 403 and "无法验证本次提交" in refused.text
    assert ledger_size(engine) == before
    # The password did not change: the old one still logs in.
    with TestClient(_app(), base_url=BASE) as again:
        login(again, "zhang.wei", PASSWORD)


def test_idle_and_absolute_expiry(client: TestClient, engine: Engine) -> None:
    login(client, "zhang.wei", PASSWORD)
    assert client.get("/probe").status_code == 200
    with db.transaction(engine) as session:
        session.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    idle = client.get("/probe", follow_redirects=False)
    assert idle.status_code == 303 and idle.headers["location"] == "/login?next=/probe"
    assert _session_row(engine, "zhang.wei").revoked_reason == "expired_idle"

    login(client, "zhang.wei", PASSWORD)
    with db.transaction(engine) as session:
        session.execute(
            update(LoginSession)
            .where(LoginSession.revoked_at.is_(None))
            .values(created_at=utcnow() - timedelta(hours=12, minutes=1), last_seen_at=utcnow())
        )
    assert client.get("/probe", follow_redirects=False).status_code == 303
    assert _session_row(engine, "zhang.wei").revoked_reason == "expired_max"


def test_an_expired_session_on_a_post_keeps_what_was_typed(
    client: TestClient, engine: Engine
) -> None:
    login(client, "zhang.wei", PASSWORD)
    token = client.get("/probe").text.split()[1]
    with db.transaction(engine) as session:
        session.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
    typed = {"csrf": token, "title": '关于"会议"的<通知>', "channels": ["网站", "微博"]}
    expired = client.post("/probe", data=typed, follow_redirects=False)
    assert expired.status_code == 401
    assert "登录已超时" in expired.text and "已保留" in expired.text
    assert 'name="next" value="/probe"' in expired.text
    assert "关于&#34;会议&#34;的&lt;通知&gt;" in expired.text  # escaped, carried
    assert token not in expired.text  # the old token is not carried
    carried = re.findall(r'name="(carry:[^"]+)" value="([^"]*)"', expired.text)
    assert [name for name, _ in carried] == ["carry:title", "carry:channels", "carry:channels"]
    fields = [
        (name, value.replace("&#34;", '"').replace("&lt;", "<").replace("&gt;", ">"))
        for name, value in carried
    ]
    login_fields: dict[str, str | list[str]] = {
        "username": "zhang.wei",
        "password": PASSWORD,
        "csrf": form_token(expired.text),
        "next": "/probe",
    }
    for name, value in fields:
        login_fields.setdefault(name, []).append(value)
    again = client.post("/login", data=login_fields, follow_redirects=False)
    assert again.status_code == 200 and "继续提交" in again.text
    assert 'action="/probe"' in again.text
    resent = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', again.text)
    resent = [
        (k, v.replace("&#34;", '"').replace("&lt;", "<").replace("&gt;", ">")) for k, v in resent
    ]
    resent_fields: dict[str, list[str]] = {}
    for name, value in resent:
        resent_fields.setdefault(name, []).append(value)
    done = client.post("/probe", data=resent_fields)
    assert done.status_code == 200
    assert done.json()["fields"][1:] == [
        ["title", '关于"会议"的<通知>'],
        ["channels", "网站"],
        ["channels", "微博"],
    ]


def test_a_disabled_account_is_signed_out_and_cannot_log_in(
    client: TestClient, engine: Engine
) -> None:
    login(client, "zhang.wei", PASSWORD)
    with db.transaction(engine) as session:
        manage.set_disabled(session, org.person(session, "zhang.wei"), True, actor="wu.gang")
    assert client.get("/probe", follow_redirects=False).status_code == 303
    refused = _attempt(client, "zhang.wei", PASSWORD)
    assert refused.status_code == 401 and "已停用" in refused.text
    with db.transaction(engine) as session:
        manage.set_disabled(session, org.person(session, "zhang.wei"), False, actor="wu.gang")
    assert _attempt(client, "zhang.wei", PASSWORD).status_code == 303
    assert _events(engine, "zhang.wei")[-4:] == [
        "account_disabled",
        "login_refused",
        "account_enabled",
        "login",
    ]


def test_not_allowed_is_a_chinese_403_that_writes_nothing(
    client: TestClient, engine: Engine
) -> None:
    login(client, "zhang.wei", PASSWORD)
    before = ledger_size(engine)
    refused = client.get("/probe/admin")
    assert refused.status_code == 403
    assert "只有管理员可以使用系统管理页面" in refused.text and "未作任何更改" in refused.text
    assert "张伟" in refused.text  # the page keeps the top bar of the signed-in person
    assert ledger_size(engine) == before
    with TestClient(_app(), base_url=BASE) as admin:
        login(admin, "wu.gang", PASSWORD)
        assert admin.get("/probe/admin").text == "admin"


def test_top_bar_shows_the_person_and_their_roles(client: TestClient) -> None:
    login(client, "zhang.wei", PASSWORD)
    page = client.get("/account")
    assert page.status_code == 200
    html = page.text
    assert "张伟" in html and 'href="/submit"' in html and 'href="/my"' in html
    assert 'href="/admin"' not in html and 'href="/center"' not in html
    assert 'href="/queue"' not in html
    token = client.get("/probe").text.split()[1]
    assert f'action="/logout"><input type="hidden" name="csrf" value="{token}">' in html
    with TestClient(_app(), base_url=BASE) as admin:
        login(admin, "wu.gang", PASSWORD)
        html = admin.get("/account").text
    assert 'href="/center"' in html and 'href="/admin"' in html and 'href="/submit"' not in html


def test_changing_the_password_ends_the_other_sessions(client: TestClient, engine: Engine) -> None:
    with TestClient(_app(), base_url=BASE) as phone:
        login(phone, "zhang.wei", PASSWORD)
        login(client, "zhang.wei", PASSWORD)
        token = client.get("/probe").text.split()[1]
        wrong = client.post(
            "/account/password",
            data={
                "csrf": token,
                "current_password": "Not-it-123",
                "new_password": "New-pass-2026",
                "confirm_password": "New-pass-2026",
            },
        )
        assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
        weak = client.post(
            "/account/password",
            data={
                "csrf": token,
                "current_password": PASSWORD,
                "new_password": "short",
                "confirm_password": "short",
            },
        )
        assert weak.status_code == 400 and "至少 10 个字符" in weak.text
        done = client.post(
            "/account/password",
            data={
                "csrf": token,
                "current_password": PASSWORD,
                "new_password": "New-pass-2026",
                "confirm_password": "New-pass-2026",
            },
        )
        assert done.status_code == 200 and "密码已修改" in done.text
        assert client.get("/probe").status_code == 200
        assert phone.get("/probe", follow_redirects=False).status_code == 303
    assert _attempt(client, "zhang.wei", PASSWORD).status_code == 401
    assert _attempt(client, "zhang.wei", "New-pass-2026").status_code == 303
    assert "password_changed" in _events(engine, "zhang.wei")


def test_a_one_time_link_sets_a_first_password_once(client: TestClient, engine: Engine) -> None:
    with db.transaction(engine) as session:
        url = issue_password_link(
            session,
            org.person(session, "sun.li"),
            secret=secret_key(),
            base_url=web_url(),
            actor="wu.gang",
        )
    path = url.removeprefix(BASE)
    form = client.get(path)
    assert form.status_code == 200 and "孙丽" in form.text and "current_password" not in form.text
    weak = client.post(
        path,
        data={
            "csrf": form_token(form.text),
            "new_password": "sun.li-Abc1",
            "confirm_password": "sun.li-Abc1",
        },
    )
    assert weak.status_code == 400 and "不能包含用户名" in weak.text
    done = client.post(
        path,
        data={
            "csrf": form_token(form.text),
            "new_password": "Sunny-day-2026",
            "confirm_password": "Sunny-day-2026",
        },
    )
    assert done.status_code == 200 and "密码已设置" in done.text
    used = client.get(path)
    assert used.status_code == 403 and "已使用过" in used.text
    assert _attempt(client, "sun.li", "Sunny-day-2026").status_code == 303
    forged = client.get(path[:-3] + "abc")
    assert forged.status_code == 403
    assert _events(engine, "sun.li") == ["password_link", "password_changed", "login"]
    _verify(engine)


def _enrol(client: TestClient, expect_login: bool = False) -> str:
    page = client.get("/account/totp")
    assert page.status_code == 200, page.text
    secret = re.search(r"secret=([A-Z2-7]+)", page.text).group(1)
    sealed = re.search(r'name="sealed" value="([^"]+)"', page.text).group(1)
    wrong = client.post(
        "/account/totp",
        data={"csrf": form_token(page.text), "sealed": sealed, "code": "000000"},
    )
    assert wrong.status_code == 400 and "验证码不正确" in wrong.text
    done = client.post(
        "/account/totp",
        data={"csrf": form_token(page.text), "sealed": sealed, "code": pyotp.TOTP(secret).now()},
        follow_redirects=False,
    )
    assert done.status_code == (303 if expect_login else 200), done.text
    return secret


def test_totp_enrolment_then_login_with_a_code(client: TestClient, engine: Engine) -> None:
    login(client, "wu.gang", PASSWORD)
    secret = _enrol(client)
    with TestClient(_app(), base_url=BASE) as other:
        step = _attempt(other, "wu.gang", PASSWORD)
        assert step.status_code == 200 and "动态验证码" in step.text
        assert other.get("/probe", follow_redirects=False).status_code == 303  # not yet in
        bad = other.post("/login/totp", data={"csrf": form_token(step.text), "code": "123456"})
        assert bad.status_code == 401 and "验证码不正确" in bad.text
        code = pyotp.TOTP(secret).at(utcnow().timestamp() + 30)  # the next step, not yet used
        ok = other.post(
            "/login/totp",
            data={"csrf": form_token(step.text), "code": code},
            follow_redirects=False,
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/center"
        assert other.get("/probe").text.startswith("wu.gang ")
    with TestClient(_app(), base_url=BASE) as replay:
        step = _attempt(replay, "wu.gang", PASSWORD)
        again = replay.post("/login/totp", data={"csrf": form_token(step.text), "code": code})
        assert again.status_code == 401  # a code works once
    events = _events(engine, "wu.gang")
    assert "totp_enrolled" in events and events.count("login_failed") == 2


def test_required_totp_makes_the_person_enrol_before_the_session_opens(
    client: TestClient, engine: Engine
) -> None:
    with db.transaction(engine) as session:
        manage.set_totp_required(session, org.person(session, "li.na"), True, actor="wu.gang")
    step = _attempt(client, "li.na", PASSWORD, next="/probe")
    assert step.status_code == 303 and step.headers["location"] == "/account/totp?next=/probe"
    assert client.get("/probe", follow_redirects=False).status_code == 303
    page = client.get("/account/totp?next=/probe")
    assert "管理员要求" in page.text
    assert "<svg" in page.text and "otpauth://totp/" in page.text  # scan it, or type it in
    secret = re.search(r"secret=([A-Z2-7]+)", page.text).group(1)
    sealed = re.search(r'name="sealed" value="([^"]+)"', page.text).group(1)
    done = client.post(
        "/account/totp",
        data={
            "csrf": form_token(page.text),
            "sealed": sealed,
            "next": "/probe",
            "code": pyotp.TOTP(secret).now(),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/probe"
    assert client.get("/probe").text.startswith("li.na ")
    with db.transaction(engine) as session:
        person = session.scalars(select(Person).where(Person.username == "li.na")).one()
        stored = session.get(Account, person.id).totp_secret
        assert secret not in stored  # sealed: a copy of the database does not give the codes
        assert totp.unseal(stored, totp_key(), person.id) == secret
    _verify(engine)
