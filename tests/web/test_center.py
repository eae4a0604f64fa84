"""The center's console over HTTP, logged in, on SQLite and PostgreSQL: publish, channels,
retract, adopt, search — and a submitter refused with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Publication, Status
from pubreview import db
from pubreview.publishing import OFFICE_TIMEZONE, local_now, publish_at
from pubreview.review.workflow import Outcome
from tests.support.accounts import form_token, login
from tests.support.factories import decided, submitted
from tests.support.web import AfterCommitRecorder, ledger_size

BASE = "http://testserver"
PASSWORD = "Rb7-secure-pw"
CENTER = "zhou.min"
PEOPLE = ("zhang.wei", "liu.yang", "zhou.min", "wu.gang", "li.na")
HEAD_OF = {"zonghe": "li.na", "yewu": "chen.jing", "wuling": "sun.li"}
SUBMITTER_OF = {"zonghe": "zhang.wei", "yewu": "liu.yang", "wuling": "zhao.lei"}


@pytest.fixture
def client(office: Callable[..., TestClient]) -> TestClient:
    return office(PEOPLE, PASSWORD, base=BASE)


def at_publication(engine: Engine, unit: str = "zonghe", **draft) -> int:
    """An item through 初审 and 审签, waiting for 中心发布."""
    pub = submitted(engine, unit=unit, submitter=SUBMITTER_OF[unit], **draft)
    decided(engine, pub, HEAD_OF[unit], Outcome.APPROVE, attest=True)
    decided(engine, pub, "zeng.xiang", Outcome.APPROVE)
    return pub


def published(engine: Engine, unit: str = "zonghe", **draft) -> int:
    """An item the center approved (its site channel out, hand channels pending)."""
    pub = at_publication(engine, unit, **draft)
    decided(engine, pub, CENTER, Outcome.APPROVE)
    return pub


def post(client: TestClient, path: str, **fields: str):
    """POST a console form with the session's token, as the page's form would."""
    token = form_token(client.get("/center").text)
    return client.post(path, data={"csrf": token, **fields})


def status_of(engine: Engine, pub: int) -> Status:
    with db.transaction(engine) as session:
        return session.get(Publication, pub).status


def entries(engine: Engine, pub: int, kind: LedgerKind) -> list[LedgerEntry]:
    with db.transaction(engine) as session:
        return list(
            session.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.publication_id == pub, LedgerEntry.kind == kind)
                .order_by(LedgerEntry.id)
            )
        )


def test_a_submitter_is_refused_and_nothing_is_written(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    waiting = at_publication(engine)
    out = published(engine, channels=["网站", "微信"])
    login(client, "zhang.wei", PASSWORD)
    token = form_token(client.get("/center").text)  # the 403 page still has the logout form
    before = ledger_size(engine)
    page = client.get("/center")
    assert page.status_code == 403 and "只有中心发布人员" in page.text
    assert "Traceback" not in page.text
    assert client.get(f"/center/items/{out}").status_code == 403
    for path, fields in (
        (f"/center/items/{waiting}/publish", {"when": "now"}),
        (f"/center/items/{waiting}/decline", {"outcome": "reject", "comment": "不发"}),
        (
            f"/center/items/{out}/channels",
            {"channel": "微信", "url": "https://mp.weixin.qq.com/s/x"},
        ),
        (f"/center/items/{out}/retract", {"reason": "有误"}),
        (f"/center/items/{out}/adopt", {"level": "central", "outlet": "人民网"}),
    ):
        refused = client.post(path, data={"csrf": token, **fields})
        assert refused.status_code == 403, (path, refused.text)
        assert "只有中心发布人员" in refused.text
    assert ledger_size(engine) == before
    assert status_of(engine, waiting) is Status.IN_REVIEW
    assert status_of(engine, out) is Status.PUBLISHED
    assert recorder.calls == []


def test_the_center_schedules_a_publication(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    pub = at_publication(engine, channels=["网站", "微博"], body="会议内容如下。" * 40)
    login(client, CENTER, PASSWORD)
    page = client.get("/center")
    assert page.status_code == 200
    html = page.text
    assert f'id="publish-form-{pub}"' in html and 'name="url.微博"' in html
    assert f'id="publish-scheduled-{pub}"' in html and "上限 140 字" in html
    when = (local_now() + timedelta(days=2)).replace(second=0, microsecond=0)
    done = post(
        client,
        f"/center/items/{pub}/publish",
        when="scheduled",
        publish_at=when.strftime("%Y-%m-%dT%H:%M"),
        revision="1",
    )
    assert done.status_code == 200, done.text
    assert "已安排定时发布" in done.text, done.text
    assert when.strftime("%Y-%m-%d %H:%M") in done.text
    assert status_of(engine, pub) is Status.SCHEDULED
    with db.transaction(engine) as session:
        assert publish_at(session, session.get(Publication, pub)) == when
    (decision,) = entries(engine, pub, LedgerKind.DECIDED)[-1:]
    assert decision.actor == CENTER and decision.payload["via"] == "web-session"
    assert entries(engine, pub, LedgerKind.PUBLISHED) == []
    assert recorder.calls == [("publication.scheduled", pub, CENTER)]
    console = client.get("/center").text
    assert f'id="scheduled-{pub}"' in console and f'id="publish-form-{pub}"' not in console


def test_publish_refusals_are_chinese_and_write_nothing(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    pub = at_publication(engine, channels=["网站", "微信"])
    login(client, CENTER, PASSWORD)
    before = ledger_size(engine)
    path = f"/center/items/{pub}/publish"
    no_time = post(client, path, when="scheduled", publish_at="")
    assert no_time.status_code == 409 and "请填写发布时间" in no_time.text
    past = (local_now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    late = post(client, path, when="scheduled", publish_at=past)
    assert late.status_code == 409 and "已过" in late.text
    garbled = post(client, path, when="scheduled", publish_at="明天上午")
    assert garbled.status_code == 409 and "无法识别" in garbled.text
    script = post(client, path, when="now", **{"url.微信": "javascript:alert(1)"})
    assert script.status_code == 409 and "不是 http:// 或 https:// 开头的网址" in script.text
    assert "本次访问未作任何更改" in script.text and "Traceback" not in script.text
    no_token = client.post(path, data={"when": "now"})
    assert no_token.status_code == 403
    assert ledger_size(engine) == before and status_of(engine, pub) is Status.IN_REVIEW
    assert recorder.calls == []


def test_publish_now_then_record_the_wechat_url(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    pub = at_publication(engine, channels=["网站", "微信"])
    login(client, CENTER, PASSWORD)
    done = post(client, f"/center/items/{pub}/publish", when="now", revision="1")
    assert done.status_code == 200 and "已发布" in done.text, done.text
    assert status_of(engine, pub) is Status.PUBLISHED
    console = client.get("/center").text
    assert f'id="pending-{pub}"' in console and f'id="confirm-{pub}-微信"' in console
    assert "【关于召开全市编办主任会议的通知】" in console  # the text to post on 微信
    before = ledger_size(engine)
    bad = post(client, f"/center/items/{pub}/channels", channel="微信", url="javascript:alert(1)")
    assert bad.status_code == 409
    assert "微信地址「javascript:alert(1)」不是以 http:// 或 https:// 开头的网址" in bad.text
    assert ledger_size(engine) == before
    sent = (local_now() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    url = "https://mp.weixin.qq.com/s/abc"
    ok = post(
        client,
        f"/center/items/{pub}/channels",
        channel="微信",
        url=url,
        published_at=sent.strftime("%Y-%m-%dT%H:%M"),
    )
    assert ok.status_code == 200 and "已登记微信地址" in ok.text, ok.text
    wechat = [
        e for e in entries(engine, pub, LedgerKind.PUBLISHED) if e.payload["channel"] == "微信"
    ]
    assert len(wechat) == 1 and wechat[0].payload["url"] == url and wechat[0].actor == CENTER
    assert datetime.fromisoformat(wechat[0].payload["published_at"]) == sent
    assert ("publication.channel.published", pub, CENTER) in recorder.calls
    again = post(client, f"/center/items/{pub}/channels", channel="微信", url=url + "2")
    assert again.status_code == 200 and "此前已登记" in again.text
    console = client.get("/center").text
    assert f'id="pending-{pub}"' not in console
    item = client.get(f"/center/items/{pub}").text
    assert url in item and sent.astimezone(OFFICE_TIMEZONE).strftime("%Y-%m-%d %H:%M") in item


def test_retract_and_adopt(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    pub = published(engine)
    login(client, CENTER, PASSWORD)
    item = client.get(f"/center/items/{pub}").text
    assert 'id="retract-form"' in item and 'id="adopt-form"' in item
    adopted = post(
        client,
        f"/center/items/{pub}/adopt",
        level="central",
        outlet="人民网",
        url="https://people.com.cn/n/1",
    )
    assert adopted.status_code == 200 and "已登记媒体采用" in adopted.text, adopted.text
    repeat = post(client, f"/center/items/{pub}/adopt", level="central", outlet="人民网")
    assert "此前已登记" in repeat.text
    bad_level = post(client, f"/center/items/{pub}/adopt", level="county", outlet="某报")
    assert bad_level.status_code == 409 and "中央级或省级" in bad_level.text
    (entry,) = entries(engine, pub, LedgerKind.ADOPTED)
    assert entry.payload == {
        "level": "central",
        "outlet": "人民网",
        "url": "https://people.com.cn/n/1",
    }
    before = ledger_size(engine)
    no_reason = post(client, f"/center/items/{pub}/retract", reason="  ")
    assert no_reason.status_code == 409 and "撤回原因" in no_reason.text
    assert ledger_size(engine) == before
    gone = post(client, f"/center/items/{pub}/retract", reason="数据有误，更正后重发")
    assert gone.status_code == 200 and "已撤回" in gone.text
    assert status_of(engine, pub) is Status.RETRACTED
    (retraction,) = entries(engine, pub, LedgerKind.RETRACTED)
    assert retraction.actor == CENTER and retraction.payload["reason"] == "数据有误，更正后重发"
    assert [c[0] for c in recorder.calls] == ["publication.adopted", "publication.retracted"]
    item = client.get(f"/center/items/{pub}").text
    assert "数据有误，更正后重发" in item and 'id="retract-form"' not in item
    after = post(client, f"/center/items/{pub}/adopt", level="provincial", outlet="湖南日报")
    assert after.status_code == 409 and "只有已发布的信息才能登记采用" in after.text


def test_search_by_title_unit_category_channel_and_date(engine: Engine, client: TestClient) -> None:
    notice = published(engine, title="关于名称登记的通知", channels=["网站", "微信"])
    county = published(engine, "wuling", title="武陵区机构编制动态", category="政务公开")
    waiting = at_publication(engine, title="尚未发布的名称通知")
    login(client, CENTER, PASSWORD)

    def found(**params: str) -> set[int]:
        page = client.get("/center", params=params)
        assert page.status_code == 200
        return {pub for pub in (notice, county, waiting) if f'id="result-{pub}"' in page.text}

    assert found() == {notice, county}
    assert found(title="名称") == {notice}
    assert found(unit="wuling") == {county}
    assert found(category="政务公开") == {county}
    assert found(channel="微信") == set()  # 微信 not yet posted
    assert found(channel="网站") == {notice, county}
    today = local_now().date()
    assert found(**{"from": today.isoformat(), "to": today.isoformat()}) == {notice, county}
    assert found(**{"from": (today + timedelta(days=1)).isoformat()}) == set()
    assert found(**{"to": (today - timedelta(days=1)).isoformat()}) == set()
    wrong = client.get("/center", params={"from": "2026-13-01"})
    assert wrong.status_code == 200 and "起始日期「2026-13-01」无法识别" in wrong.text


def test_the_center_returns_an_item_with_a_comment(
    engine: Engine, client: TestClient, recorder: AfterCommitRecorder
) -> None:
    pub = at_publication(engine)
    login(client, CENTER, PASSWORD)
    assert 'id="decline-form"' in client.get(f"/center/items/{pub}").text
    before = ledger_size(engine)
    silent = post(client, f"/center/items/{pub}/decline", outcome="return", comment=" ")
    assert silent.status_code == 409 and "须填写意见" in silent.text
    assert ledger_size(engine) == before
    done = post(
        client,
        f"/center/items/{pub}/decline",
        outcome="return",
        comment="请补充发布日期",
        revision="1",
    )
    assert done.status_code == 200 and "已退回报送人修改" in done.text, done.text
    assert status_of(engine, pub) is Status.RETURNED
    last = entries(engine, pub, LedgerKind.DECIDED)[-1]
    assert last.outcome == "return" and last.comment == "请补充发布日期" and last.actor == CENTER
    assert recorder.calls[-1][1:] == (pub, CENTER)
