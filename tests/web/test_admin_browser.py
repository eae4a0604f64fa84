"""Pages so far driven only over HTTP, now in Debian's chromium against a served `pubreview web`
on a SQLite file: 代签 given and revoked (JavaScript off), the leader list and an office 错敏
entry edited and used by the next screen, /admin/health after a re-scan, 年度结转 refused
then done (JavaScript off), a returned item resubmitted with another 内容类别 and 渠道 that
takes the chain its rule names to the next reviewer, 改派 from the admin page, and a request
list imported beside a receipt whose refused form kept its attachment. One server and one
browser for the module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import LedgerEntry, LedgerKind
from models.base import utcnow
from pubreview import db
from pubreview.accounts import audit
from pubreview.accounts.audit import AccessEvent
from pubreview.chains import binding
from pubreview.clock import local
from pubreview.notify.outbox import read_outbox
from pubreview.publishing import catalog as catalog_mod
from pubreview.requests import years
from pubreview.review import delegation
from pubreview.review.submission import get
from pubreview.review.workflow import Outcome
from pubreview.screening import results
from pubreview.screening.columns import column_health
from pubreview.screening.leaders import DEFAULT_LEADERS
from pubreview.screening.links import Site
from pubreview.screening.rescan import rescan_published
from pubreview.screening.screen import load_lists
from tests.support.browser import SHOTS, chromium_browser
from tests.support.factories import decided, submitted
from tests.support.prefect_stack import wait_until
from tests.support.requests import answer, receive
from tests.support.served import ServedOffice, logged_in, served_office
from tests.support.site import seed_published

pytestmark = pytest.mark.browser
PEOPLE = ("zhang.wei", "li.na", "zeng.xiang", "chen.jing", "wu.gang", "zhou.min")
# 政务公开 takes a chain with a 保密审查 by 业务科's head; everything else the default chain.
CHAINS = """\
default: default
chains:
  default:
    label: 初审 → 审签 → 中心发布
    steps:
      - {id: prereview, label: 初审, role: section_head}
      - {id: signoff, label: 审签, role: leader}
      - {id: publication, label: 中心发布, role: center, unit: office}
  secrecy:
    label: 初审 → 保密审查 → 审签 → 中心发布
    steps:
      - {id: prereview, label: 初审, role: section_head}
      - {id: secrecy, label: 保密审查, role: section_head, unit: yewu}
      - {id: signoff, label: 审签, role: leader}
      - {id: publication, label: 中心发布, role: center, unit: office}
rules:
  - {category: 政务公开, chain: secrecy}
"""


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedOffice]:
    home = tmp_path_factory.mktemp("admin-browser")
    leaders = home / "leaders.yaml"
    shutil.copy(DEFAULT_LEADERS, leaders)
    chains = home / "chains.yaml"
    chains.write_text(CHAINS, encoding="utf-8")
    env = {
        "PUBREVIEW_LEADERS": str(leaders),
        "PUBREVIEW_ERRATA_OFFICE": str(home / "errata-office.yaml"),
        "PUBREVIEW_CHAINS": str(chains),
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


def _told(username: str, title: str) -> list[str]:
    """Subjects of the messages the served app's outbox holds for this person about the item."""
    return [m.title for m in read_outbox(username) if title in m.title + m.body]


def _queue_has(context, office: ServedOffice, username: str, pub: int) -> bool:
    page = logged_in(context, office, username, "/queue")
    return page.locator(f"#queue-{pub}").count() == 1


TITLE = "关于公开年度编制数据的说明"


def test_a_resubmission_with_another_category_takes_the_new_chain_to_the_next_reviewer(
    office: ServedOffice, no_js
) -> None:
    pub = submitted(office.engine, title=TITLE)
    decided(office.engine, pub, "li.na", Outcome.RETURN, comment="应归入政务公开，并发微信")
    clerk = logged_in(no_js, office, "zhang.wei", f"/items/{pub}")
    assert "应归入政务公开，并发微信" in clerk.inner_text("#return-comment")
    clerk.select_option("#resubmit-form #category", "政务公开")
    clerk.check('#resubmit-form input[name=channels][value="微信"]')
    clerk.click("#resubmit-button")
    assert "/items/" in clerk.url and "Traceback" not in clerk.content()
    facts = clerk.inner_text("#facts")
    assert "政务公开" in facts and "微信" in facts and "第 2 稿" in facts
    changes = clerk.inner_text("#diff-fields")
    assert "内容类别：工作动态 → 政务公开" in changes and "微信" in changes
    clerk.screenshot(path=str(SHOTS / "resubmit-new-chain.png"), full_page=True)

    # The new chain starts at 初审 again: the head is told and has it on the queue.
    wait_until(lambda: _told("li.na", TITLE), 30, "li.na told of the resubmission")
    assert _queue_has(no_js, office, "li.na", pub)
    head = logged_in(no_js, office, "li.na", f"/items/{pub}")
    head.check("#decide-form input[name=attest]")
    head.click("#decide-approve")
    # Next comes the step only the 政务公开 chain has, for 业务科's head.
    head.goto(f"{office.base}items/{pub}")
    assert "保密审查" in head.inner_text("#status")
    wait_until(lambda: _told("chen.jing", TITLE), 30, "chen.jing told of the 保密审查")
    assert _queue_has(no_js, office, "chen.jing", pub)
    assert not _queue_has(no_js, office, "zeng.xiang", pub)  # 审签 comes after it
    with db.transaction(office.engine) as session:
        assert binding.chain_of(session, get(session, pub)).name == "secrecy"


def test_an_administrator_reassigns_a_waiting_step_javascript_off(
    office: ServedOffice, no_js
) -> None:
    pub = submitted(office.engine, title="待初审的改派事项")
    assert _queue_has(no_js, office, "li.na", pub)
    admin = logged_in(no_js, office, "wu.gang", "/admin/reassign")
    row = admin.locator("#waiting tr", has_text="待初审的改派事项")
    assert "初审" in row.inner_text()
    row.locator("a", has_text="改派").click()
    admin.select_option("#to", "wang.fang")
    admin.fill("#reason", "李娜出差至 12 月 5 日")
    admin.click("#reassign-form button[type=submit]")
    assert "已改派" in admin.inner_text("main")
    assert "王芳" in admin.inner_text("main")
    with db.transaction(office.engine) as session:
        (entry,) = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.publication_id == pub, LedgerEntry.kind == LedgerKind.REASSIGNED
            )
        )
        assert (entry.actor, entry.stage) == ("wu.gang", "prereview")
    wait_until(lambda: _told("wang.fang", "待初审的改派事项"), 30, "wang.fang told of the 改派")
    assert not _queue_has(no_js, office, "li.na", pub)


def test_a_request_list_is_imported_and_a_refused_receipt_keeps_its_attachment(
    office: ServedOffice, no_js, tmp_path
) -> None:
    listed = tmp_path / "台帐.csv"
    listed.write_bytes(
        (
            "收到日期,渠道,申请人类型,办理结果,答复日期,申请内容\n"
            "2026-03-03,当面,自然人,三（一）,2026-03-20,某项目环评批复\n"
            "2026-04-07,邮寄,商业企业,三（三）4,2026-04-30,\n"
        ).encode("gbk")
    )
    page = logged_in(no_js, office, "zhou.min", "/requests/import")
    before = entries(office)
    page.set_input_files("#file", str(listed))
    page.click("#import-form button[type=submit]")
    assert "已从「台帐.csv」导入 2 件申请" in page.inner_text("main")
    assert entries(office) == before + 4  # received and closed, for each

    scan = tmp_path / "申请书.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.goto(f"{office.base}requests")
    page.select_option("#channel", "当面")
    page.select_option("#applicant_type", "自然人")
    page.fill("#arrived_on", "2036-01-05")  # a year the calendar does not describe
    page.fill("#content", "请公开本年度编制统计")
    page.set_input_files("#attachments", str(scan))
    before = entries(office)
    page.click("#register-submit")
    assert page.locator("#register-error").count() == 1 and entries(office) == before
    assert "申请书.pdf" in page.inner_text("#staged-files")  # kept: not chosen again
    page.fill("#arrived_on", "2026-03-09")
    page.click("#register-submit")
    assert "已登记" in page.inner_text("main") and "申请书.pdf" in page.inner_text("main")
    assert entries(office) == before + 1
