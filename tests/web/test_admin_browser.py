"""Pages so far driven only over HTTP, now in Debian's chromium against a served `pubreview web`
on a SQLite file: 代签 given and revoked (JavaScript off), the leader list and an office 错敏
entry edited and used by the next screen, /admin/health after a re-scan, and 年度结转 refused
then done (JavaScript off). One server and one browser for the module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import LedgerEntry
from models.base import utcnow
from pubreview import db
from pubreview.accounts import audit
from pubreview.accounts.audit import AccessEvent
from pubreview.clock import local
from pubreview.publishing import catalog as catalog_mod
from pubreview.requests import years
from pubreview.review import delegation
from pubreview.review.workflow import Outcome
from pubreview.screening import results
from pubreview.screening.columns import column_health
from pubreview.screening.leaders import DEFAULT_LEADERS
from pubreview.screening.links import Site
from pubreview.screening.rescan import rescan_published
from pubreview.screening.screen import load_lists
from tests.support.browser import SHOTS, chromium_browser
from tests.support.factories import decided, submitted
from tests.support.requests import answer, receive
from tests.support.served import ServedOffice, logged_in, served_office
from tests.support.site import seed_published

pytestmark = pytest.mark.browser
PEOPLE = ("zhang.wei", "li.na", "zeng.xiang", "chen.jing", "wu.gang")


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedOffice]:
    home = tmp_path_factory.mktemp("admin-browser")
    leaders = home / "leaders.yaml"
    shutil.copy(DEFAULT_LEADERS, leaders)
    env = {
        "PUBREVIEW_LEADERS": str(leaders),
        "PUBREVIEW_ERRATA_OFFICE": str(home / "errata-office.yaml"),
    }
    with served_office(home, PEOPLE, env) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with chromium_browser() as b:
        yield b


@pytest.fixture
def no_js(browser) -> Iterator:
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    yield context
    context.close()


@pytest.fixture
def with_js(browser) -> Iterator:
    context = browser.new_context(locale="zh-CN")
    yield context
    context.close()


def entries(office: ServedOffice) -> int:
    with db.transaction(office.engine) as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry))


def test_a_leader_delegates_signing_and_revokes_it_javascript_off(
    office: ServedOffice, no_js
) -> None:
    pub = submitted(office.engine, title="待审签的通知")
    decided(office.engine, pub, "li.na", Outcome.APPROVE, attest=True)  # now waits on 审签
    delegate = logged_in(no_js, office, "chen.jing", "/queue")
    assert delegate.locator(f"#queue-{pub}").count() == 0  # not hers to sign

    page = logged_in(no_js, office, "zeng.xiang", "/account/delegation")
    page.select_option("#delegate", "chen.jing")
    page.select_option("#role", "leader")
    until = local(utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#ends", until)
    page.fill("#reason", "出差")
    page.click("#grant-form button[type=submit]")
    assert "代签委托已记录" in page.inner_text("main")
    given = page.inner_text("#given")
    assert "陈静（chen.jing）" in given and "生效中" in given
    with db.transaction(office.engine) as session:
        [made] = [d for d in delegation.delegations(session) if d.delegator == "zeng.xiang"]
    assert (made.delegate, made.role.value, made.active()) == ("chen.jing", "leader", True)

    # The delegate's queue now holds the item, for 曾翔.
    delegate = logged_in(no_js, office, "chen.jing", "/queue")
    assert "待审签的通知" in delegate.inner_text(f"#queue-{pub}")
    assert "曾翔" in logged_in(no_js, office, "chen.jing", "/account/delegation").inner_text(
        "#received"
    )

    page = logged_in(no_js, office, "zeng.xiang", "/account/delegation")
    page.click("#given form button[type=submit]")
    assert "代签委托已撤销" in page.inner_text("main")
    assert "已于" in page.inner_text("#given") and "撤销" in page.inner_text("#given")
    with db.transaction(office.engine) as session:
        [after] = [d for d in delegation.delegations(session) if d.id == made.id]
    assert after.revoked_at is not None and not after.active()
    delegate = logged_in(no_js, office, "chen.jing", "/queue")
    assert delegate.locator(f"#queue-{pub}").count() == 0


def _preview(page, office: ServedOffice, body: str) -> str:
    page.goto(f"{office.base}submit")
    page.fill("#title", "关于召开数据工作会议的通知")
    page.fill("#body", body)
    page.select_option("#category", "工作动态")
    page.check('#submit-form input[name=channels][value="网站"]')
    page.click("#preview-button")
    return page.inner_text("#screening")


def test_lists_edited_in_the_browser_are_used_by_the_next_screen(
    office: ServedOffice, with_js
) -> None:
    clerk = logged_in(with_js, office, "zhang.wei", "/submit")
    assert "未发现问题" in _preview(clerk, office, "党组成员、副主任刘洋出席。\n\n推进网格化管里。")

    admin = logged_in(with_js, office, "wu.gang", "/admin/lists")
    row = admin.locator("#leaders-table tr", has_text="刘洋")
    row.locator("summary").click()
    form = row.locator("form[id^=edit-leader]")
    form.locator("input[name=title]").fill("党组书记、主任")
    form.locator("button[type=submit]").click()
    assert "名单已更新" in admin.inner_text("main")

    admin.goto(f"{office.base}admin/lists")
    admin.fill("#erratum-wrong", "网格化管里")
    admin.fill("#erratum-right", "网格化管理")
    admin.fill("#erratum-reason", "错别字")
    admin.fill("#erratum-source", "市政府办公室通报")
    admin.click("#add-erratum-button")
    assert "名单已更新" in admin.inner_text("main")
    # Edited once more: the next screen must use the entry as edited, not as added.
    admin.goto(f"{office.base}admin/lists")
    row = admin.locator("#errata-table tr", has_text="网格化管里")
    row.locator("summary").click()
    row.locator("input[name=right]").fill("网格化管理服务")
    row.locator("form[id^=edit-erratum] button[type=submit]").click()
    assert "名单已更新" in admin.inner_text("main")
    admin.screenshot(path=str(SHOTS / "admin-lists-edited.png"), full_page=True)

    clerk = logged_in(with_js, office, "zhang.wei", "/submit")  # the context's one login
    found = _preview(clerk, office, "党组成员、副主任刘洋出席。\n\n推进网格化管里。")
    assert "刘洋" in found and "原职务" in found
    assert "建议改为「网格化管理服务」" in found
    with db.transaction(office.engine) as session:
        changes = [r for r in audit.entries(session) if r.event is AccessEvent.LIST_CHANGED]
    # Newest first: the leader edited, the word added, then edited.
    assert [(c.actor, c.detail["操作"], c.detail["条目"]) for c in changes] == [
        ("wu.gang", "修改", "网格化管里"),
        ("wu.gang", "新增", "网格化管里"),
        ("wu.gang", "修改", "刘洋"),
    ]


def test_health_page_shows_the_last_rescan_and_column_check(office: ServedOffice, with_js) -> None:
    admin = logged_in(with_js, office, "wu.gang", "/admin/health")
    assert admin.locator("#rescan-none").is_visible()
    assert admin.locator("#columns-none").is_visible()
    wrong = seed_published(office.engine, "调研", "赵敏到会指导。", utcnow() - timedelta(days=2))
    # Published clean; then 赵敏 goes on the no-longer-in-office list, from the browser.
    admin.goto(f"{office.base}admin/lists")
    admin.fill("#departed-name", "赵敏")
    admin.fill("#departed-status", "已调离")
    admin.click("#add-departed-button")
    assert "名单已更新" in admin.inner_text("main")
    # What the archive-rescan and column-health flows keep after a run.
    with db.transaction(office.engine) as session:
        rescan = rescan_published(
            session, load_lists(), site=Site("http://www.example.gov.cn/", None)
        )
        health = column_health(session, catalog_mod.load(), as_of=date.today())
    results.save(results.RESCAN, rescan.to_dict(), flow_run_id="run-7")
    results.save(results.COLUMNS, health.to_dict())
    admin.goto(f"{office.base}admin/health")
    assert f"#{wrong}" in admin.inner_text(f"#rescan-{wrong}")
    assert "赵敏" in admin.inner_text(f"#rescan-{wrong}")
    assert "runs/flow-run/run-7" in admin.get_attribute("#rescan a[href*=flow-run]", "href")
    assert "检查结论" in admin.inner_text("#columns-verdict")


def test_year_close_is_refused_naming_the_late_request_then_done_javascript_off(
    office: ServedOffice, no_js
) -> None:
    late = receive(office.engine, date(2025, 6, 2))  # due in June, never answered
    page = logged_in(no_js, office, "zeng.xiang", "/requests/tables?year=2025")
    before = entries(office)
    page.click("#year-close button[type=submit]")
    refused = page.inner_text("main")
    assert "未能办理年度结转" in refused and f"第 {late} 号" in refused
    assert entries(office) == before
    answer(office.engine, late, "三（一）", date(2025, 6, 20))
    page.goto(f"{office.base}requests/tables?year=2025")
    page.click("#year-close button[type=submit]")
    assert "2025 年已办理年度结转" in page.inner_text("main")
    assert page.locator("#year-close form").count() == 0  # no second button
    with db.transaction(office.engine) as session:
        assert years.closed(session, 2025) is not None
