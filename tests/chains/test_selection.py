"""The first matching rule chooses the chain; nothing matching is the default."""

from __future__ import annotations

from pubreview.chains.selection import choose
from pubreview.chains.validation import parse

RULES = """
chains:
  short:
    steps:
      - {id: publication, label: 中心发布, role: center, unit: office}
  long:
    steps:
      - {id: prereview, label: 初审, role: section_head}
      - {id: review2, label: 复审, role: section_head}
      - {id: final, label: 终审, role: leader}
      - {id: publication, label: 中心发布, role: center, unit: office}
rules:
  - {grade: 敏感, unit: zonghe, chain: long}
  - {category: 政务公开, disclosure: 主动公开, chain: long}
  - {unit: [wuling, yewu], channel: 微博, chain: short}
  - {category: [专题, 政务公开], chain: short}
  - {grade: [important, 敏感], chain: short}
"""


def pick(**item) -> str:
    values = {
        "category": "工作动态",
        "disclosure": "active",
        "unit": "zonghe",
        "channels": ["网站"],
        "grade": "ordinary",
    }
    return choose(parse(RULES), **{**values, **item}).name


def test_first_match_wins_else_default() -> None:
    assert pick() == "default"
    assert pick(category="政务公开") == "long"
    # 依申请公开 fails the first rule's condition; the third still matches the category.
    assert pick(category="政务公开", disclosure="on_request") == "short"
    assert pick(unit="wuling", channels=["网站", "微博"]) == "short"
    assert pick(unit="wuling") == "default"
    assert pick(category="专题") == "short"


def test_grade_selects_by_its_rule_in_order() -> None:
    # The first rule wants 敏感 from zonghe; any other unit's 敏感 item falls to the last rule.
    assert pick(grade="sensitive") == "long"
    assert pick(grade="sensitive", unit="wuling") == "short"
    assert pick(grade="important") == "short"
    # An earlier rule still wins over a later one on grade.
    assert pick(grade="important", category="政务公开") == "long"
    # Without a grade (older callers), an item is 一般 and no grade rule matches it.
    rules = parse(RULES)
    item = {"category": "工作动态", "disclosure": "active", "unit": "wuling", "channels": ["网站"]}
    assert choose(rules, **item).name == "default"
