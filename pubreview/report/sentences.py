"""The sentences pubreview writes from figures, each only when every figure in it exists.

A sentence is the ledger's or the supplement's figures put into words; it is left out when
a figure is unknown (never printed as 0) and when the office's own paragraphs for the section
already state figures of the same kinds (no figure twice). Which kinds a sentence states is
declared next to it, and the office's paragraphs are read with the same claim reader the
checks use.
"""

from __future__ import annotations

import math

from pubreview.report import claims
from pubreview.report.rollup import YearFigures
from pubreview.report.supplement import Supplement

ROUNDING_RULE = "百分比向下取整保留一位小数（不足百分之百的不显示为百分之百）。"

# The claim kinds each generated sentence states.
KINDS: dict[str, tuple[str, ...]] = {
    "ledger": (
        "proactive.total",
        "proactive.category",
        "proactive.channel",
        "proactive.rate",
        "adopted.central",
        "adopted.provincial",
    ),
    "requests": ("t3", "requests.none", "percent"),
    "consultations": ("consult.total", "consult.channel"),
    "site_visits": ("site_visits",),
    "reviews": ("t4", "t4.none", "t4.all_upheld", "t4.all_closed"),
    "spending": ("spend.both", "spend.actual", "spend.budget"),
    "leaks": ("leak.none", "leak.count"),
}


def percent(value: float) -> str:
    """A percentage rounded down to one decimal, so 99.96% never reads as 100%."""
    floored = math.floor(value * 10) / 10
    return "100%" if floored >= 100 else f"{floored:.1f}%"


def amount(value: float) -> str:
    """An amount in 万元 without trailing zeros."""
    return f"{value:g}"


def category_phrase(name: str, count: int) -> str:
    """人事信息9条, 工作动态信息222条: a category's name once, 信息 added only when missing."""
    return f"{name}{'' if name.endswith('信息') else '信息'}{count}条"


def office_kinds(sup: Supplement, keys: tuple[str, ...]) -> set[str]:
    """The claim kinds the office's own paragraphs under `keys` state."""
    texts = [("", t) for key in keys for t in sup.paragraphs(key)]
    return {c.kind for c in claims.read(texts).claims if c.understood}


def stated(sentence: str, sup: Supplement, keys: tuple[str, ...]) -> bool:
    """Whether the office already states what `sentence` would (then it is left out)."""
    return bool(office_kinds(sup, keys) & set(KINDS[sentence]))


def ledger_sentence(figures: YearFigures, sup: Supplement) -> str:
    """The seed's 主动公开 sentence from the ledger: what it holds, nothing it does not."""
    year = figures.year
    parts = [f"{year}年，{sup.office or '本机关'}累计公开政府信息{figures.total}条"]
    if figures.with_full_text:
        parts.append(f"全文电子化率达{percent(figures.full_text_rate)}")
    text = "，".join(parts) + "。"
    if figures.by_channel_category:
        # The catalog gives channels their own categories (or none): each channel's
        # categories are that channel's parts, 网站490条，其中…；微信475条.
        text += (
            "按发布渠道："
            + "；".join(_channel_phrase(figures, k, n) for k, n in figures.by_channel.items())
            + "。"
        )
    elif figures.by_category:
        text += (
            # 其中: the categories are the total's parts (each item has one), so an audit of the
            # report can add them up; the channels are not (an item may go out on several).
            "其中按内容分类："
            + "，".join(category_phrase(k, n) for k, n in figures.by_category.items())
            + "。"
        )
    if figures.by_channel and not figures.by_channel_category:
        text += (
            "按发布渠道：" + "，".join(f"{k}{n}条" for k, n in figures.by_channel.items()) + "。"
        )
    tail = []
    if figures.adopted_central or figures.adopted_provincial:
        tail.append(
            f"被中央级报刊或网站采用{figures.adopted_central}篇，"
            f"省级报刊或网站采用{figures.adopted_provincial}篇"
        )
    if figures.retractions:
        tail.append(f"撤回已发布信息{figures.retractions}条")
    if tail:
        text += "其中" + "，".join(tail) + "。"
    return text


UNCATEGORISED = "未分类"


def channel_parts(figures: YearFigures, channel: str) -> dict[str, int]:
    """A channel's items by its own categories, with those that have none as 未分类.

    Items published before their channel was given categories have none; naming them keeps
    the parts adding up to the channel's figure.
    """
    own = dict(figures.by_channel_category.get(channel) or {})
    rest = figures.by_channel.get(channel, 0) - sum(own.values())
    if own and rest > 0:
        own[UNCATEGORISED] = rest
    return own


def _channel_phrase(figures: YearFigures, channel: str, count: int) -> str:
    """网站490条，其中组织机构类信息140条，…: a channel, with its own categories if it has any."""
    own = channel_parts(figures, channel)
    if not own:
        return f"{channel}{count}条"
    return f"{channel}{count}条，其中" + "，".join(
        f"{k}{n}条" if k == UNCATEGORISED else category_phrase(k, n) for k, n in own.items()
    )


def leak_sentence(figures: YearFigures, sup: Supplement) -> str:
    """泄密事件: what the ledger shows (a retraction for confidentiality) or the office states."""
    known = figures.leak_incidents or sup.leak_incidents
    if known:
        return f"发生信息公开泄密事件{known}起。"
    if sup.leak_incidents == 0:
        return "没有发生一起信息公开泄密事件。"
    return ""


def requests_sentence(year: int, sup: Supplement) -> str:
    """依申请公开 in words, from Table 三's 总计 column when every figure in it is known."""
    if sup.table3 is None:
        return ""
    keys = ("一", "二", "三（七）", "三（一）", "三（二）", "四")
    figures = {k: sup.table3[k][-1] for k in keys}
    if any(v is None for v in figures.values()):
        return ""
    return (
        f"{year}年，本年新收政府信息公开申请{figures['一']}件，上年结转{figures['二']}件，"
        f"本年度办结{figures['三（七）']}件（予以公开{figures['三（一）']}件，"
        f"部分公开{figures['三（二）']}件），结转下年度继续办理{figures['四']}件。"
    )


def consultations_sentence(year: int, sup: Supplement) -> str:
    """咨询 by channel, when every channel's figure is known."""
    values = sup.consultations
    if not values or any(v is None for v in values.values()):
        return ""
    total = sup.consultations_total
    total = total if total is not None else sum(v or 0 for v in values.values())
    parts = "，".join(f"{name}{n}次" for name, n in values.items())
    return f"{year}年，共接受群众咨询{total}次，其中{parts}。"


def visits_sentence(sup: Supplement) -> str:
    """网站日均访问量, when given."""
    if sup.site_visits_per_day is None:
        return ""
    return f"网站政府信息公开栏目访问量平均每日约{amount(sup.site_visits_per_day)}次。"


def reviews_sentence(year: int, sup: Supplement) -> str:
    """复议 and 诉讼 counts from Table 四's totals, when all three are known."""
    if sup.table4 is None:
        return ""
    totals = [sup.table4[g][-1] for g in ("行政复议", "未经复议直接起诉", "复议后起诉")]
    if any(v is None for v in totals):
        return ""
    review, direct, after = (v or 0 for v in totals)
    if review + direct + after == 0:
        return f"{year}年，没有发生针对本机关政府信息公开事务的行政复议、行政诉讼案件。"
    return (
        f"{year}年，因政府信息公开被申请行政复议{review}件，"
        f"被提起行政诉讼{direct + after}件（未经复议直接起诉{direct}件，复议后起诉{after}件）。"
    )


def spending_sentence(year: int, sup: Supplement) -> str:
    """预算 and 实际支出, each only when given."""
    parts = []
    if sup.budget_wan is not None:
        parts.append(f"财政预算{amount(sup.budget_wan)}万元")
    if sup.actual_wan is not None:
        parts.append(f"实际支出{amount(sup.actual_wan)}万元")
    return f"{year}年政府信息公开事务" + "，".join(parts) + "。" if parts else ""
