"""Categories per channel: a catalog whose 微博 and 微信 have none, as the seed's office counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from pubreview import db
from pubreview.errors import ValidationError
from pubreview.publishing import catalog
from pubreview.publishing.importer import import_file
from pubreview.report import claims, document, formats
from pubreview.report.build import build_report
from pubreview.report.checks import facts_for
from pubreview.report.claim_checks import CONTRADICTED, OK, check_reading
from pubreview.report.rollup import YearFigures
from pubreview.report.sentences import ledger_sentence
from pubreview.report.supplement import Supplement
from tests.support.report import CHANNEL_ONLY_CATEGORY, SEED_SUPPLEMENT, seed_rows, write_csv

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PER_CHANNEL = """\
categories: [工作动态, 政务公开, 业务工作, 专题]
channels:
  网站:
    kind: site
  微博:
    kind: manual
    max_length: 140
    categories: []
  微信:
    kind: manual
    categories: []
"""


@pytest.fixture
def per_channel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(PER_CHANNEL, encoding="utf-8")
    monkeypatch.setenv("PUBREVIEW_CATALOG", str(path))
    return path


def test_the_shipped_catalog_reads_as_before() -> None:
    shipped = catalog.load()
    assert not shipped.per_channel
    assert shipped.categories_of("微信") == shipped.categories
    assert shipped.category_error("工作动态", ["微信"]) is None
    assert "PUBREVIEW_CATALOG" in (shipped.category_error("", ["网站"]) or "")


def test_a_category_is_optional_only_where_the_channel_has_none(per_channel: Path) -> None:
    c = catalog.load()
    assert c.per_channel and c.categories_of("微信") == () and "专题" in c.categories_of("网站")
    assert c.category_error("", ["微信", "微博"]) is None
    assert c.category_error("专题", ["网站", "微信"]) is None
    missing = c.category_error("", ["网站", "微信"])
    assert missing and "内容类别：请填写" in missing and str(per_channel) in missing
    assert "不设内容分类" in (c.category_error("专题", ["微信"]) or "")
    unknown = c.category_error("组织机构类", ["网站"]) or ""
    assert (
        "不在目录中" in unknown and str(per_channel) in unknown and "PUBREVIEW_CATALOG" in unknown
    )


def _seed_without_channel_categories() -> list[list[str]]:
    return [[*r[:2], "" if r[2] == CHANNEL_ONLY_CATEGORY else r[2], *r[3:]] for r in seed_rows()]


@sqlite_only
def test_roll_up_and_sentence_follow_the_channels_categories(
    per_channel: Path, engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "2018台帐.csv", _seed_without_channel_categories())
    with db.transaction(engine) as session:
        import_file(session, path, "zhou.min")
    report = build_report(engine, 2018, "narrative", SEED_SUPPLEMENT, tmp_path / "out")
    f = report.figures
    assert f.total == 580 and f.uncategorised == 118
    assert f.by_channel_category == {
        "网站": {"工作动态": 222, "政务公开": 22, "业务工作": 133, "专题": 85}
    }
    assert not any("按内容分类" in p.where for p in report.problems)
    text = report.files["markdown"].read_text(encoding="utf-8")
    sentence = (
        "按发布渠道：网站462条，其中工作动态信息222条，政务公开信息22条，业务工作信息133条，"
        "专题信息85条；微博38条；微信80条。"
    )
    assert sentence in text
    by_category = document.ledger_tables(f)[0]
    assert by_category.flat_body[-1] == ["网站", "专题", "85"]
    # The sentence reads back: every figure checked against the ledger, none contradicted.
    reading = claims.read([("", sentence)], f.by_channel, f.by_category)
    results = check_reading(reading, facts_for(f, report.supplement)).results
    assert [r.status for r in results] == [OK] * 7
    assert not any(r.status == CONTRADICTED for r in report.result.claims.results)


@sqlite_only
def test_import_errors_name_the_catalog(per_channel: Path, engine: Engine, tmp_path: Path) -> None:
    rows = [
        ["2018-01-02", "网站没有分类", "", "网站", "zonghe", "", ""],
        ["2018-01-03", "微信不设分类", "专题", "微信", "zonghe", "", ""],
        ["2018-01-04", "微信可以不填", "", "微信", "zonghe", "", ""],
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ValidationError) as raised, db.transaction(engine) as session:
        import_file(session, path, "zhou.min")
    message = str(raised.value)
    assert "row 2, column 分类: 内容类别：请填写" in message
    assert "row 3, column 分类: 内容类别：所选发布渠道不设内容分类，“专题”请留空" in message
    assert "row 4" not in message
    assert message.count("PUBREVIEW_CATALOG") == 2 and str(per_channel) in message


def _supplement() -> Supplement:
    return Supplement(Path("补充材料.yaml"), 2021, "某局", formats.for_year(2021))


def _figures(**kw: object) -> YearFigures:
    base: dict = dict(
        year=2021,
        total=150,
        by_category={"工作动态": 80, "政务公开": 60},
        by_channel={"网站": 100, "微信": 50},
        multi_channel=0,
        with_full_text=0,
        adopted_central=0,
        adopted_provincial=0,
        retractions=0,
        leak_incidents=0,
        by_channel_category={
            "网站": {"工作动态": 60, "政务公开": 40},
            "微信": {"工作动态": 30, "政务公开": 20},
        },
    )
    return YearFigures(**{**base, **kw})


def _statuses(figures: YearFigures, text: str) -> list[tuple[str, str, str]]:
    reading = claims.read([("", text)], figures.by_channel, figures.by_category)
    results = check_reading(reading, facts_for(figures, _supplement())).results
    return [(r.claim.channel, r.claim.subject, r.status) for r in results]


def test_a_category_on_several_channels_is_checked_per_channel() -> None:
    f = _figures()
    good = "网站100条，其中工作动态60条，政务公开40条；微信50条，其中工作动态30条，政务公开20条。"
    assert [s for *_, s in _statuses(f, good)] == [OK] * 6
    assert ("微信", "工作动态", OK) in _statuses(f, good)
    # 网站's 工作动态 figure written under 微信: the same name, the other channel's count.
    wrong = "网站100条，其中工作动态60条，政务公开40条；微信50条，其中工作动态60条，政务公开20条。"
    assert ("微信", "工作动态", CONTRADICTED) in _statuses(f, wrong)
    assert ("网站", "工作动态", OK) in _statuses(f, wrong)


def test_a_channels_items_without_a_category_are_named() -> None:
    # 10 website items from before the website had categories.
    f = _figures(by_channel={"网站": 110, "微信": 50}, total=160, uncategorised=10)
    sentence = ledger_sentence(f, _supplement())
    assert "网站110条，其中工作动态信息60条，政务公开信息40条，未分类10条；微信50条" in sentence
    assert any(ch == "网站" and "未分" in name for ch, name, _ in _statuses(f, sentence))
    assert all(s == OK for *_, s in _statuses(f, sentence))
