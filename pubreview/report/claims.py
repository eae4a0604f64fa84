"""Reading the figures a report's text states (正文数字): what each one claims to be.

Every count with a unit (件/条/次/篇/起/万元/元), every percentage and every outcome phrase
(均获维持, 没有发生…行政复议, 没有发生…泄密) becomes a Claim. A claim whose words match the
vocabulary below gets a kind (what it describes: 主动公开总数, 网站条数, 表三某行, 表四某格 …);
a claim nothing matches keeps kind "" and is reported as not understood (未核对), never passed.
A total followed by 其中 and its parts, or by its parts in brackets, becomes a PartTotal.

Reading is by patterns over the clause before the figure (the words since the last comma) and
the sentence it stands in; it understands the phrasing offices use, not Chinese in general.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from pubreview.report.tables import TABLE2_ITEMS_2019, TABLE2_ITEMS_2021, TABLE3_ROWS_2021

FULL_WIDTH = str.maketrans("０１２３４５６７８９％．", "0123456789%.")
NUMBER = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*(万元|万人次|万次|万条|万件|元|件|条|人次|次|篇|起|%)"
)
SENTENCE_END = "。；;！？!?\n"
CLAUSE_END = SENTENCE_END + "，,、：:（）()"
OPEN, CLOSE = "（(", "）)"

# Channels as offices write them → the catalog's name.
CHANNEL_ALIASES: dict[str, str] = {
    "政府网站": "网站",
    "门户网站": "网站",
    "官方网站": "网站",
    "官网": "网站",
    "网站": "网站",
    "微信公众号": "微信",
    "政务微信": "微信",
    "微信": "微信",
    "政务微博": "微博",
    "微博": "微博",
    "政务新媒体": "政务新媒体",
    "客户端": "客户端",
    "公开栏": "公开栏",
    "报刊": "报刊",
    "新闻发布会": "新闻发布会",
}
TOTAL_WORDS = (
    r"(?:公开|发布)(?:各类)?政府信息$|(?:累计|共计?|全年|总计)[^，。,]{0,8}(?:公开|发布)[^，。,]{0,6}信息$"
    r"|主动公开[^，。,]{0,8}信息$"
)
CONSULT_VERBS = re.compile(r"^(?:其中|另|共|累计)+|(?:接待|接听|受理|办理|答复|回复|共|合计)+$")


@dataclass(frozen=True)
class Claim:
    """One figure (or outcome phrase) in a text, and what it was read as."""

    kind: str  # "" when not understood
    subject: str  # channel, category, Table 三 row key, Table 四 group …; "" when none
    value: float | None  # None for an outcome phrase
    unit: str  # 件/条/次/篇/起/万元/元/% or "" for an outcome phrase
    text: str  # the words quoted: the clause and the figure
    clause: str  # the words before the figure since the last comma
    sentence: str
    where: str  # paragraph location, for the finding
    start: int
    depth: int = 0  # bracket depth in its sentence
    basis: Claim | None = None  # for a percentage: the count it is a share of
    extra: tuple[str, ...] = field(default_factory=tuple)  # Table 四 groups, etc.
    # The channel a category figure is a part of (网站100条，其中工作动态60条): a catalog may
    # give several channels the same category, each with its own count.
    channel: str = ""

    @property
    def understood(self) -> bool:
        """Whether the claim's kind is known."""
        return bool(self.kind)

    def quote(self) -> str:
        """The claim's words, as a finding quotes them."""
        return self.text


@dataclass(frozen=True)
class PartTotal:
    """A stated total and the parts a text gives for it (其中 …, or in brackets)."""

    total: Claim
    parts: tuple[Claim, ...]
    inclusive: bool = False  # 含/包括: the parts may leave some out


@dataclass
class Reading:
    """All claims of a text, and the totals with their parts."""

    claims: list[Claim] = field(default_factory=list)
    totals: list[PartTotal] = field(default_factory=list)


def _t3_words() -> list[tuple[str, str]]:
    """(word, Table 三 key), most specific first: sub-rows, groups, then single rows."""
    subrows = [
        (word, row.key) for row in TABLE3_ROWS_2021 if row.key[-1].isdigit() for word in row.words
    ]
    groups = [
        ("不予公开", "三（三）"),
        ("无法提供", "三（四）"),
        ("不予处理", "三（五）"),
        ("其他处理", "三（六）"),
    ]
    return [
        ("予以公开及部分公开", "公开及部分公开"),
        ("予以公开和部分公开", "公开及部分公开"),
        ("予以公开与部分公开", "公开及部分公开"),
        ("予以公开、部分公开", "公开及部分公开"),
        ("公开及部分公开", "公开及部分公开"),
        ("公开和部分公开", "公开及部分公开"),
        *subrows,
        *groups,
        ("部分公开", "三（二）"),
        ("予以公开", "三（一）"),
        ("同意公开", "三（一）"),
        ("全部公开", "三（一）"),
        ("上年结转", "二"),
        ("上年度结转", "二"),
        ("结转下年", "四"),
        ("下年度继续办理", "四"),
        ("转入下年", "四"),
        ("结转至下", "四"),
        ("结转到下", "四"),
        ("继续办理", "四"),
        ("新收", "一"),
        ("收到", "一"),
        ("受理", "一"),
        ("接收", "一"),
        ("办结", "三（七）"),
        ("答复", "三（七）"),
        ("办理完毕", "三（七）"),
        ("已办理", "三（七）"),
    ]


T3_WORDS = _t3_words()
# Table 三's applicant columns as a text names them; 法人或其他组织 is the five columns' sum.
APPLICANTS = ("法人或其他组织", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "自然人")
T2_NAMES: list[tuple[str, str]] = sorted(
    {(name, item.key) for item in (*TABLE2_ITEMS_2021, *TABLE2_ITEMS_2019) for name in item.names},
    key=lambda pair: -len(pair[0]),
)
T4_RESULT_WORDS = (
    ("尚未审结", 3),
    ("未审结", 3),
    ("正在审理", 3),
    ("审理中", 3),
    ("其他结果", 2),
    ("纠正", 1),
    ("撤销", 1),
    ("维持", 0),
    ("驳回", 0),
)
OUTCOMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "leak.none",
        re.compile(r"(?:没有|未)发生(?:一起)?[^，。；,;]{0,12}泄密|无[^，。；,;]{0,6}泄密事件"),
    ),
    (
        "t4.none",
        re.compile(
            r"(?:没有|未)(?:发生|收到|出现)[^。；;]{0,30}?(?:行政复议|行政诉讼)[^。；;，,]{0,6}"
        ),
    ),
    ("t4.all_upheld", re.compile(r"均获维持|均被维持|全部维持|均予维持|均维持|全部胜诉|均胜诉")),
    ("t4.all_closed", re.compile(r"均已审结|全部审结|均已结案|全部结案")),
    (
        "requests.none",
        re.compile(r"(?:没有|未)(?:收到|受理)[^。；;，,]{0,20}?申请(?!人)"),
    ),
)


def normalise(text: str) -> str:
    """Full-width digits, ％ and ． as ASCII; nothing else changes, so offsets stay."""
    return text.translate(FULL_WIDTH)


def _last(text: str, chars: str, end: int, floor: int = 0) -> int:
    """Index just after the last of `chars` before `end` (not before `floor`)."""
    for i in range(end - 1, floor - 1, -1):
        if text[i] in chars:
            return i + 1
    return floor


def _depth(text: str, start: int, end: int) -> int:
    depth = 0
    for ch in text[start:end]:
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth = max(0, depth - 1)
    return depth


def review_groups(before: str) -> tuple[str, ...]:
    """Which Table 四 groups the words before a figure speak of (the last one named wins)."""
    litigation = ("未经复议直接起诉", "复议后起诉")
    marks = (
        ("复议后起诉", ("复议后起诉",)),
        ("未经复议", ("未经复议直接起诉",)),
        ("直接起诉", ("未经复议直接起诉",)),
        ("诉讼", litigation),
        ("起诉", litigation),
        ("应诉", litigation),
        ("复议", ("行政复议",)),
    )
    best: tuple[int, int, tuple[str, ...]] = (-1, 0, ())
    for word, groups in marks:
        pos = before.rfind(word)
        if pos >= 0:
            # The mark that ends last wins; at the same end, the longer (复议后起诉 over 起诉).
            best = max(best, (pos + len(word), len(word), groups))
    return best[2]


def groups_named(text: str) -> tuple[str, ...]:
    """Every Table 四 group a phrase names (行政复议、行政诉讼 names all three)."""
    groups: list[str] = []
    if "复议" in text.replace("复议后起诉", "").replace("未经复议", ""):
        groups.append("行政复议")
    if re.search(r"诉讼|起诉|应诉", text):
        groups += ["未经复议直接起诉", "复议后起诉"]
    return tuple(groups)


def _channel(clause: str, channels: Iterable[str]) -> str | None:
    names = {**CHANNEL_ALIASES, **{c: c for c in channels}}
    for alias in sorted(names, key=len, reverse=True):
        if alias in clause:
            return names[alias]
    return None


def _category(clause: str, categories: Iterable[str]) -> str | None:
    for name in sorted(categories, key=len, reverse=True):
        if name in clause:
            return name
    m = re.search(r"([\u4e00-\u9fff]{2,10}?)(?:类信息|信息|类)$", clause.removeprefix("其中"))
    name = re.sub(r"^(?:主动)?(?:公开|发布)(?=[\u4e00-\u9fff]{2})", "", m.group(1)) if m else ""
    if m and not re.search(r"政府|^(?:公开|发布)$|^(?:累计|共|全年|主动|通过)", name):
        return name.removesuffix("类")
    return None


def classify(
    clause: str, before: str, unit: str, channels: Iterable[str], categories: Iterable[str]
) -> tuple[str, str, tuple[str, ...]]:
    """(kind, subject, extra) for a count, from its clause and the sentence before it."""
    c = clause
    if unit in ("件", "起"):
        groups = review_groups(c) or (
            review_groups(before)
            if any(w in c for w, _ in T4_RESULT_WORDS) or re.search(r"案件?$|^[共计其中]*$", c)
            else ()
        )
        if groups and "申请" not in c.replace("申请行政复议", ""):
            col = next((i for w, i in T4_RESULT_WORDS if w in c), 4)
            return "t4", str(col), groups
        if unit == "起" and "泄密" in c:
            return "leak.count", "", ()
    if unit == "件" or (unit == "条" and "申请" in before):
        applicant = next((a for a in APPLICANTS if a in c), None)
        if applicant and "申请" in before + c:
            # "其中自然人申请58件": a column of the row the sentence speaks of.
            row = next((key for word, key in T3_WORDS if word in c), None)
            if row is None:
                spoken = [(before.rfind(word), key) for word, key in T3_WORDS if word in before]
                row = max(spoken)[1] if spoken else "一"
            return "t3", row, (applicant,)
        for word, key in T3_WORDS:
            if word in c:
                if word in ("收到", "受理", "接收") and "申请" not in before:
                    continue
                return "t3", key, ()
        for name, key in T2_NAMES:
            if name in c:
                return "t2", key, ()
    if unit in ("万元", "元"):
        if re.search(r"预算[^，。]{0,6}(?:与|和|及)实际支出[^，。]{0,4}均", c):
            return "spend.both", "", ()
        if "支出" in c:
            return "spend.actual", "", ()
        if "预算" in c:
            return "spend.budget", "", ()
        if "采购" in c:
            return "t2", "政府集中采购", ()
        if ("收费" in c or "收取" in c) and "信息处理费" not in c:
            return "t2", "行政事业性收费", ()
        return "", "", ()
    if unit in ("篇", "条", "次") and re.search(r"采用|刊用|转载|刊发", c):
        if re.search(r"中央|国家级", c):
            return "adopted.central", "", ()
        if "省级" in c:
            return "adopted.provincial", "", ()
    if unit == "次":
        if re.search(r"访问|点击|浏览", c):
            # The supplement holds visits per day; a year's total is not that figure.
            return ("site_visits", "", ()) if re.search(r"每日|日均|每天", c) else ("", "", ())
        if "咨询" in before or "咨询" in c:
            if re.search(r"(?<!公)共|累计|总计|合计|接受[^，。]{0,4}咨询|咨询[^，。]{0,4}总", c):
                return "consult.total", "", ()
            name = CONSULT_VERBS.sub("", c) or c
            return "consult.channel", CONSULT_VERBS.sub("", name), ()
        return "", "", ()
    if unit in ("条", "件", "篇"):
        channel = _channel(c, channels)
        if channel:
            return "proactive.channel", channel, ()
        if re.search(TOTAL_WORDS, c):
            return "proactive.total", "", ()
        category = _category(c, categories)
        if category:
            return "proactive.category", category, ()
    return "", "", ()


def _percent_basis(
    clause: str, sentence_claims: list[Claim]
) -> tuple[str, str, Claim | None, tuple[str, ...]]:
    """(kind, numerator subject, numerator claim, denominator) for a percentage.

    "予以公开率46%": the clause names the numerator. "予以公开6件，占办结总数的46.2%": the
    count before names the numerator and the words after 占 the denominator.
    """
    if "电子化率" in clause:
        return "proactive.rate", "", None, ()
    named, _, over = clause.partition("占")
    denominator: tuple[str, ...] = ()
    if over:
        if "办结" in over or "办理" in over:
            denominator = ("三（七）",)
        elif re.search(r"新收|收到", over):
            denominator = ("一",)
    for word, key in T3_WORDS:
        if word in named and word not in ("收到", "受理", "接收"):
            return "percent", key, None, denominator
    if re.search(r"占|比例|比重|率", clause) and sentence_claims:
        basis = sentence_claims[-1]
        if basis.kind in ("t3", "proactive.channel", "proactive.category"):
            return "percent", basis.subject, basis, denominator
    return "", "", None, ()


def read(
    paragraphs: Iterable[tuple[str, str]],
    channels: Iterable[str] = (),
    categories: Iterable[str] = (),
) -> Reading:
    """Every claim in (where, text) paragraphs, and the totals whose parts the text gives."""
    channels, categories = tuple(channels), tuple(categories)
    reading = Reading()
    for where, raw in paragraphs:
        text = normalise(raw)
        found: list[Claim] = []
        for kind, pattern in OUTCOMES:
            for m in pattern.finditer(text):
                s = _last(text, SENTENCE_END, m.start())
                extra = groups_named(text[s : m.end()]) if kind.startswith("t4") else ()
                found.append(
                    Claim(
                        kind,
                        "",
                        None,
                        "",
                        m.group(0),
                        m.group(0),
                        _sentence(text, m.start()),
                        where,
                        m.start(),
                        extra=extra,
                    )
                )
        for m in NUMBER.finditer(text):
            start = m.start()
            s = _last(text, SENTENCE_END, start)
            cs = _last(text, CLAUSE_END, start, s)
            clause = text[cs:start].strip()
            before = text[s:start]
            value, unit = float(m.group(1)), m.group(2)
            if unit.startswith("万") and unit != "万元":  # 120万次: a count in ten thousands
                value, unit = value * 10000, unit[1:]
            if unit == "人次":
                unit = "次"
            depth = _depth(text, s, start)
            sentence_claims = [
                c for c in found if c.start >= s and c.value is not None and c.unit != "%"
            ]
            basis = None
            extra: tuple[str, ...] = ()
            if unit == "%":
                kind, subject, basis, extra = _percent_basis(clause, sentence_claims)
            else:
                kind, subject, extra = classify(clause, before, unit, channels, categories)
            found.append(
                Claim(
                    kind,
                    subject,
                    value,
                    unit,
                    raw[cs : m.end()].strip(),
                    clause,
                    _sentence(text, start),
                    where,
                    start,
                    depth,
                    basis,
                    extra,
                )
            )
        found.sort(key=lambda c: c.start)
        totals = _part_totals(text, [c for c in found if c.value is not None])
        found, totals = _parts_as_categories(found, totals)
        found, totals = _categories_of_channels(found, totals)
        reading.claims += found
        reading.totals += totals
    return reading


def _parts_as_categories(
    found: list[Claim], totals: list[PartTotal]
) -> tuple[list[Claim], list[PartTotal]]:
    """Unnamed parts of a 主动公开 figure (其中…条, or in brackets) are content categories."""
    renamed: dict[int, Claim] = {}
    for pt in totals:
        if not pt.total.kind.startswith("proactive"):
            continue
        for part in pt.parts:
            if not part.kind and part.unit == "条":
                name = re.sub(r"^(?:其中|另)", "", part.clause).removesuffix("信息")
                renamed[id(part)] = replace(part, kind="proactive.category", subject=name)
    if not renamed:
        return found, totals
    found = [renamed.get(id(c), c) for c in found]
    totals = [
        PartTotal(
            renamed.get(id(pt.total), pt.total),
            tuple(renamed.get(id(p), p) for p in pt.parts),
            pt.inclusive,
        )
        for pt in totals
    ]
    return found, totals


def _categories_of_channels(
    found: list[Claim], totals: list[PartTotal]
) -> tuple[list[Claim], list[PartTotal]]:
    """Category figures given as parts of a channel's figure belong to that channel."""
    renamed: dict[int, Claim] = {}
    for pt in totals:
        if pt.total.kind != "proactive.channel":
            continue
        for part in pt.parts:
            if part.kind == "proactive.category" and not part.channel:
                renamed[id(part)] = replace(part, channel=pt.total.subject)
    if not renamed:
        return found, totals
    found = [renamed.get(id(c), c) for c in found]
    totals = [
        PartTotal(pt.total, tuple(renamed.get(id(p), p) for p in pt.parts), pt.inclusive)
        for pt in totals
    ]
    return found, totals


def _sentence(text: str, pos: int) -> str:
    s = _last(text, SENTENCE_END, pos)
    e = next((i + 1 for i in range(pos, len(text)) if text[i] in SENTENCE_END), len(text))
    return text[s:e].strip()


def _sentence_end(text: str, pos: int) -> int:
    return next((i for i in range(pos, len(text)) if text[i] in SENTENCE_END), len(text))


def _part_totals(text: str, claims: list[Claim]) -> list[PartTotal]:
    """Totals followed by 其中 and two or more parts of the same unit, or by bracketed parts."""
    out: list[PartTotal] = []
    counts = [c for c in claims if c.unit != "%"]
    for i, total in enumerate(counts):
        end = total.start + len(total.text) - len(total.clause)
        after = text[end:]
        parts: list[Claim] = []
        stripped = after.lstrip(" ")
        if stripped and stripped[0] in OPEN:
            close = _matching(text, end + after.index(stripped[0]))
            parts = [
                c
                for c in counts[i + 1 :]
                if c.start < close and c.depth == total.depth + 1 and c.unit == total.unit
            ]
        else:
            own_end = _sentence_end(text, end)
            where_qz = text.find("其中", end)
            next_same = next((c for c in counts[i + 1 :] if c.unit == total.unit), None)
            if where_qz < 0 or (next_same and next_same.start < where_qz):
                continue
            # 其中 in the total's own sentence, or opening the very next one
            if where_qz > own_end and (
                text[own_end + 1 : where_qz].strip(" ，,")
                or where_qz > _sentence_end(text, own_end + 1)
            ):
                continue
            stop = _sentence_end(text, where_qz)
            parts = [
                c
                for c in counts[i + 1 :]
                if where_qz < c.start < stop and c.unit == total.unit and c.depth == total.depth
            ]
        # "（含新制定5件，修改4件）" need not list every part: only a sum above the total is wrong.
        inclusive = bool(re.match(r"\s*[（(]\s*(?:含|包括)", after))
        if len(parts) >= 2:
            out.append(PartTotal(total, tuple(parts), inclusive))
    return out


def _matching(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] in OPEN:
            depth += 1
        elif text[i] in CLOSE:
            depth -= 1
            if depth == 0:
                return i
    return len(text)
