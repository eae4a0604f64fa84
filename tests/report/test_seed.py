"""The seed's 2018 report rebuilt: its 台帐 imported from CSV, other figures from a supplement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from models import LedgerEntry, LedgerKind
from pubreview import cli, db, ledger
from pubreview.publishing.importer import import_file
from pubreview.report.build import build_report
from tests.support.report import SEED_SUPPLEMENT, seed_rows, write_csv

SEED_SENTENCES = [
    "累计公开政府信息580条，全文电子化率达100%",
    "工作动态信息222条，政务公开信息22条，业务工作信息133条，专题信息85条",
    "微博38条，微信80条",
    "被中央级报刊或网站采用3篇，省级报刊或网站采用10篇",
    "没有发生一起信息公开泄密事件",
    "共接受群众咨询699次，其中公共查阅室68次，咨询电话372次，当面咨询115次，网上咨询133次",
    "访问量平均每日约40次",
    "财政预算5万元，实际支出5万元",
    "一条信息在多个渠道发布的，在总数和按内容分类的数字中只计一次，在按发布渠道的数字中每个渠道各计一次",
]
SECTIONS = [
    "一、概述",
    "二、主动公开政府信息情况",
    "三、依申请公开政府信息情况",
    "四、政府信息公开咨询处理情况",
    "五、政府信息公开行政复议、行政诉讼情况",
    "六、政府信息公开支出情况",
    "七、其它相关工作情况",
    "八、存在的主要问题和改进措施",
]


@pytest.fixture
def seed_ledger(engine: Engine, tmp_path: Path) -> Engine:
    """The sample organisation's ledger holding the seed's 台帐, imported from a CSV."""
    path = write_csv(tmp_path / "2018台帐.csv", seed_rows())
    with db.transaction(engine) as session:
        summary = import_file(session, path, "zhou.min")
    assert (summary.items, summary.published, summary.adoptions) == (582, 583, 14)
    assert summary.years == {2018: 580, 2017: 1, 2019: 1}
    return engine


def test_seed_2018_narrative(seed_ledger: Engine, tmp_path: Path) -> None:
    report = build_report(seed_ledger, 2018, "narrative", SEED_SUPPLEMENT, tmp_path / "out")
    f = report.figures
    assert f.total == 580
    assert f.by_category == {
        "工作动态": 222,
        "政务公开": 22,
        "业务工作": 133,
        "专题": 85,
        "互动交流": 118,
    }
    assert f.by_channel == {"网站": 462, "微博": 38, "微信": 80}
    assert (f.adopted_central, f.adopted_provincial, f.leak_incidents) == (3, 10, 0)
    assert f.full_text_rate == 100.0

    text = report.files["markdown"].read_text(encoding="utf-8")
    for sentence in SEED_SENTENCES:
        assert sentence in text, sentence
    positions = [text.index(f"## {s}") for s in SECTIONS]
    assert positions == sorted(positions)
    assert "附录二 校验" in text

    problems = {(p.where, p.message) for p in report.problems}
    assert (
        "四、咨询处理 总数（consultations.total）",
        "填报总数 699 ≠ 各渠道之和 公共查阅室68＋咨询电话372＋当面咨询115＋网上咨询133 = 688",
    ) in problems
    assert any("「黄耀锋」" in m and "narrative.requests" in w for w, m in problems)
    assert "699 ≠" in text and "黄耀锋" in text  # listed in 校验, not hidden or rewritten
    assert not any("580" in m for _, m in problems)  # 580 = 222+22+133+85+118 holds

    with db.transaction(seed_ledger) as session:
        assert ledger.verify(session).ok
        imported = session.scalar(
            select(func.count()).where(
                LedgerEntry.kind == LedgerKind.PUBLISHED,
                LedgerEntry.payload["imported"].as_boolean(),
            )
        )
    assert imported == 583


def test_seed_report_from_the_cli(
    seed_ledger: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PUBREVIEW_DATABASE_URL", seed_ledger.url.render_as_string(False))
    argv = [
        "report",
        "2018",
        "--format",
        "narrative",
        "--supplement",
        str(SEED_SUPPLEMENT),
        "--out",
        str(tmp_path / "cli"),
    ]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "本年公开信息 580 条" in out and "699" in out and "黄耀锋" in out
    assert cli.main([*argv, "--strict", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 580 and data["adopted"] == {"central": 3, "provincial": 10}
    assert len(data["problems"]) == 3
    assert Path(data["files"]["docx"]).exists()
