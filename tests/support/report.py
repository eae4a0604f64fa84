"""Building the seed's 2018 ledger as an old 台帐 file, and supplements for the report tests."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import yaml

from pubreview.report import supplement
from pubreview.report.formats import NATIONAL, Edition

DATA = Path(__file__).parent.parent / "fixtures" / "report"
SEED_SUPPLEMENT = DATA / "seed-2018-supplement.yaml"
HEADER = ["日期", "标题", "分类", "渠道", "单位", "网址", "采用"]
# The seed's 2018 figures: 462 website items by category, 38 on 微博 only, 80 on 微信 only.
SEED_CATEGORIES = {"工作动态": 222, "政务公开": 22, "业务工作": 133, "专题": 85}
SEED_CHANNEL_ONLY = {"微博": 38, "微信": 80}
# The seed gives no category for its 微博 and 微信 posts; these stand under 互动交流.
CHANNEL_ONLY_CATEGORY = "互动交流"
UNITS = ["zonghe", "业务科", "wuling"]  # by code and by name, as old 台帐 mix them


def seed_rows() -> list[list[str]]:
    """The 580 items of 2018, plus one on each side of the year that the report must leave out."""
    specs = [(cat, "网站") for cat, n in SEED_CATEGORIES.items() for _ in range(n)]
    specs += [(CHANNEL_ONLY_CATEGORY, ch) for ch, n in SEED_CHANNEL_ONLY.items() for _ in range(n)]
    rows = []
    for i, (category, channel) in enumerate(specs):
        day = date(2018, 1, 1) + timedelta(days=i * 365 // len(specs))
        adoption = "中央级：人民网" if i < 3 else "省级：红网" if i < 13 else ""
        rows.append(
            [
                day.isoformat(),
                f"{category}信息第{i + 1}号",
                category,
                channel,
                UNITS[i % 3],
                f"https://www.cdbb.gov.cn/{channel}/{i + 1}.html",
                adoption,
            ]
        )
    rows.append(["2017-12-31", "上年末信息", "工作动态", "网站", "zonghe", "", ""])
    rows.append(["2019/1/1", "下年初信息", "工作动态", "网站、微信", "zonghe", "", "中央级"])
    return rows


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    """A 台帐 CSV as Excel writes it (UTF-8 with a byte-order mark)."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def zero_table3(edition: Edition = NATIONAL) -> dict[str, list[int]]:
    """Table 三 with every cell 0."""
    return {key: [0] * 7 for key in edition.table3_keys}


def zero_table2(edition: Edition = NATIONAL) -> dict[str, dict[str, float]]:
    """Table 二 with every cell 0."""
    return {item.key: {name: 0 for name, _ in item.fields} for item in edition.table2}


def consistent_table3(edition: Edition = NATIONAL) -> dict[str, list[int]]:
    """A Table 三 whose every identity holds: 12 new + 2 carried = 13 settled + 1 carried on."""
    t = zero_table3(edition)
    t["一"] = [8, 2, 1, 0, 1, 0, 12]
    t["二"] = [2, 0, 0, 0, 0, 0, 2]
    t["三（一）"] = [5, 1, 0, 0, 0, 0, 6]
    t["三（二）"] = [1, 0, 1, 0, 0, 0, 2]
    t["三（三）1"] = [1, 0, 0, 0, 0, 0, 1]
    t["三（四）1"] = [1, 1, 0, 0, 1, 0, 3]
    t["三（五）2"] = [1, 0, 0, 0, 0, 0, 1]
    t["三（七）"] = [9, 2, 1, 0, 1, 0, 13]
    t["四"] = [1, 0, 0, 0, 0, 0, 1]
    return t


def national_supplement(
    path: Path, year: int = 2021, edition: Edition = NATIONAL, **changes: object
) -> Path:
    """A consistent supplement in a table edition, with `changes` laid over its top level."""
    doc = yaml.safe_load(supplement.template(year, edition))
    doc.update(
        office="中共常德市委机构编制委员会办公室",
        contact="综合科，电话：0736-7786510",
        table2=zero_table2(edition),
        table3=consistent_table3(edition),
        table4={
            "行政复议": [1, 0, 0, 1, 2],
            "未经复议直接起诉": [0, 0, 0, 0, 0],
            "复议后起诉": [0, 1, 0, 0, 1],
        },
        narrative={
            "overview": "本年新收政府信息公开申请12件，全部依法办理。",
            "problems": "主动公开的深度还不够。",
        },
    )
    doc.update(changes)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
