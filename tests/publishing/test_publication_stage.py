"""The publication stage around the site: retraction, adoption, hand-published channels, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from models import LedgerEntry, LedgerKind, Status
from pubreview import db, ledger
from pubreview.cli import main
from pubreview.errors import DecisionRefused, ValidationError
from pubreview.publishing.adoption import adopt
from pubreview.publishing.channels import channel_states, confirm, fit, post_text
from pubreview.publishing.retraction import retract
from pubreview.review.submission import Draft, get, submit
from tests.support.site import ADMIN, CENTER, HEAD, SUBMITTER, publish_through_chain, tree

LONG_BODY = "第一段:" + "名称管理工作稳步推进," * 40 + "\n\n第二段 **加粗**。"


def _entries(engine: Engine, kind: LedgerKind) -> list[LedgerEntry]:
    with db.transaction(engine) as session:
        return list(session.scalars(select(LedgerEntry).where(LedgerEntry.kind == kind)))


def test_retract_by_center_once(engine: Engine) -> None:
    pub_id = publish_through_chain(engine, "标题", "正文")
    with db.transaction(engine) as session:
        first = retract(session, pub_id, CENTER, "内容有误", False)
    with db.transaction(engine) as session:
        again = retract(session, pub_id, ADMIN, "再撤一次", True)
        assert get(session, pub_id).status is Status.RETRACTED
        assert ledger.verify(session).ok
    assert first.recorded and not again.recorded
    assert "already retracted" in again.message and again.entry_id == first.entry_id
    [entry] = _entries(engine, LedgerKind.RETRACTED)
    assert entry.payload == {"reason": "内容有误", "confidentiality": False}
    assert entry.dedupe_key == f"retracted:{pub_id}" and entry.actor == CENTER


def test_retract_refusals(engine: Engine) -> None:
    pub_id = publish_through_chain(engine, "标题", "正文")
    with (
        db.transaction(engine) as session,
        pytest.raises(DecisionRefused, match="不是中心发布人员"),
    ):
        retract(session, pub_id, HEAD, "原因", False)
    with db.transaction(engine) as session, pytest.raises(ValidationError, match="撤回原因"):
        retract(session, pub_id, ADMIN, "  ", False)
    with db.transaction(engine) as session:
        pending = submit(
            session, Draft("未发布", "正文", "工作动态", ["网站"], "zonghe", SUBMITTER)
        ).id
    with db.transaction(engine) as session, pytest.raises(DecisionRefused, match="审核中"):
        retract(session, pending, CENTER, "原因", False)
    assert _entries(engine, LedgerKind.RETRACTED) == []


def test_adoption(engine: Engine) -> None:
    pub_id = publish_through_chain(engine, "标题", "正文")
    with db.transaction(engine) as session:
        first = adopt(
            session, pub_id, "central", "人民网", "https://people.com.cn/x", actor_username=CENTER
        )
        second = adopt(session, pub_id, "provincial", "湖南日报", None, actor_username=CENTER)
        repeat = adopt(session, pub_id, "central", "人民网", None, actor_username=ADMIN)
    assert first.recorded and second.recorded and not repeat.recorded
    payloads = sorted(e.payload["outlet"] for e in _entries(engine, LedgerKind.ADOPTED))
    assert payloads == ["人民网", "湖南日报"]
    with db.transaction(engine) as session:
        with pytest.raises(ValidationError, match="采用级别"):
            adopt(session, pub_id, "county", "某报", None, actor_username=CENTER)
        with pytest.raises(ValidationError, match="http"):
            adopt(session, pub_id, "central", "某报", "javascript:alert(1)", actor_username=CENTER)
        with pytest.raises(DecisionRefused, match="不是中心发布人员"):
            adopt(session, pub_id, "central", "某报", None, actor_username=SUBMITTER)
        retract(session, pub_id, CENTER, "撤回", False)
    with db.transaction(engine) as session, pytest.raises(DecisionRefused, match="已撤回"):
        adopt(session, pub_id, "central", "新华网", None, actor_username=CENTER)


def test_fit_keeps_within_limit() -> None:
    assert fit("【题】", "短", " 链接", 140) == "【题】短 链接"
    text = fit("【题】", "长" * 500, " http://x/1", 140)
    assert len(text) == 140 and text.endswith("… http://x/1")
    assert len(fit("【" + "题" * 200 + "】", "", "", 10)) == 10
    assert fit("a", "b" * 50, "", None) == "a" + "b" * 50


def test_hand_published_channels(engine: Engine) -> None:
    pub_id = publish_through_chain(
        engine, "关于名称管理的通知", LONG_BODY, channels=("网站", "微博", "微信")
    )
    with db.transaction(engine) as session:
        states = {s.channel: s for s in channel_states(session, pub_id)}
        weibo = post_text(session, pub_id, "微博")
        wechat = post_text(session, pub_id, "微信")
    assert states["网站"].published and states["网站"].kind == "site"
    assert not states["微博"].published and not states["微信"].published
    assert len(weibo) <= 140 and weibo.startswith("【关于名称管理的通知】")
    assert weibo.endswith(f"articles/{pub_id}.html") and "…" in weibo
    assert "第二段 加粗。" in wechat and "**" not in wechat and len(wechat) <= 2000
    with db.transaction(engine) as session:
        done = confirm(session, pub_id, "微博", "https://weibo.com/123/abc", CENTER)
        again = confirm(session, pub_id, "微博", "https://weibo.com/other", ADMIN)
        with pytest.raises(ValidationError, match="自动发布"):
            confirm(session, pub_id, "网站", "https://example.org/", CENTER)
        with pytest.raises(ValidationError, match="http"):
            confirm(session, pub_id, "微信", "javascript:alert(1)", CENTER)
        with pytest.raises(DecisionRefused, match="不是中心发布人员"):
            confirm(session, pub_id, "微信", "https://mp.weixin.qq.com/s/1", HEAD)
        states = {s.channel: s for s in channel_states(session, pub_id)}
    assert done.recorded and not again.recorded and again.url == "https://weibo.com/123/abc"
    assert states["微博"].published and states["微博"].url == "https://weibo.com/123/abc"
    assert not states["微信"].published


def _cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_cli_round_trip(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", database_url)
    monkeypatch.setenv("PUBREVIEW_DATA_DIR", str(tmp_path / "data"))
    pub_id = publish_through_chain(engine, "命令行测试", "正文", channels=("网站", "微博"))
    site = tmp_path / "data" / "site"
    code, built = _cli(capsys, "site", "build")
    assert code == 0 and built["articles"] == 1 and built["out_dir"] == str(site)
    code, shown = _cli(capsys, "publish", str(pub_id), "--channel", "微博")
    assert code == 0 and shown["text"].startswith("【命令行测试】")
    assert [c["published"] for c in shown["channels"]] == [True, False]
    code, done = _cli(
        capsys,
        "publish",
        str(pub_id),
        "--channel",
        "微博",
        "--url",
        "https://weibo.com/1/2",
        "--as",
        CENTER,
    )
    assert code == 0 and done["recorded"] and done["site"]["mode"] == "update"
    assert "https://weibo.com/1/2" in (site / f"articles/{pub_id}.html").read_text()
    code, adopted = _cli(
        capsys,
        "adopt",
        str(pub_id),
        "--level",
        "provincial",
        "--outlet",
        "湖南日报",
        "--as",
        CENTER,
    )
    assert code == 0 and adopted["recorded"]
    code, refused = _cli(capsys, "retract", str(pub_id), "--as", SUBMITTER, "--reason", "x")
    assert code == 1 and refused["error"] == "DecisionRefused"
    code, retracted = _cli(capsys, "retract", str(pub_id), "--as", CENTER, "--reason", "有误")
    assert code == 0 and retracted["recorded"]
    assert "有误" in (site / f"articles/{pub_id}.html").read_text()
    code, again = _cli(capsys, "retract", str(pub_id), "--as", CENTER, "--reason", "有误")
    assert code == 0 and not again["recorded"]
    before = tree(site)
    assert _cli(capsys, "site", "build")[0] == 0
    assert tree(site) == before
