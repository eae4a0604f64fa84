"""Checking each claim of a text against the figure it describes (正文数字核对).

Every claim ends as one of three things: 一致 (checked, with the figure it was checked
against), 矛盾 (contradicted, with the arithmetic) or 未核对 (not understood, or nothing to
compare it with, and why). A total whose parts the text gives is checked against their sum.
A percentage is checked against each share it could be, rounded half up and truncated at the
decimals it is given with; the finding says which rule it fits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from pubreview.report.claims import Claim, PartTotal, Reading, normalise
from pubreview.report.facts import Facts
from pubreview.report.tables import TABLE3_COLUMNS, TABLE4_RESULTS

OK, CONTRADICTED, UNCHECKED = "ok", "contradicted", "unchecked"
STATUS_LABELS = {OK: "一致", CONTRADICTED: "矛盾", UNCHECKED: "未核对"}
NOT_UNDERSTOOD = "未能识别这个数字说的是什么"
NO_SOURCE = "报告中没有可对照的表格或台帐数字"


@dataclass(frozen=True)
class ClaimResult:
    """What checking one claim found."""

    claim: Claim
    status: str
    detail: str

    def __str__(self) -> str:
        label = STATUS_LABELS[self.status]
        return f"[{label}] {self.claim.where}：「{self.claim.quote()}」{self.detail}"

    def as_dict(self) -> dict:
        """The result as plain data (for --json)."""
        c = self.claim
        return {
            "status": self.status,
            "where": c.where,
            "quote": c.quote(),
            "sentence": c.sentence,
            "kind": c.kind,
            "subject": c.subject,
            "value": c.value,
            "unit": c.unit,
            "detail": self.detail,
        }


@dataclass
class ClaimReport:
    """The results for every claim of a text, in text order."""

    results: list[ClaimResult]

    def count(self, status: str) -> int:
        """How many claims ended with `status`."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def unread(self) -> int:
        """Claims not understood at all (as opposed to understood without a source)."""
        return sum(1 for r in self.results if r.status == UNCHECKED and not r.claim.understood)

    def summary(self) -> str:
        """One line: how many claims, checked, contradicted, not checked."""
        n = len(self.results)
        checked = self.count(OK) + self.count(CONTRADICTED)
        unchecked = self.count(UNCHECKED)
        line = (
            f"正文数字 {n} 处：核对 {checked} 处，其中矛盾 {self.count(CONTRADICTED)} 处；"
            f"未核对 {unchecked} 处"
        )
        if unchecked:
            line += f"（未能识别 {self.unread} 处，无可对照数字 {unchecked - self.unread} 处）"
        return line

    def as_dict(self) -> dict:
        """Counts and every result as plain data."""
        return {
            "claims": len(self.results),
            "checked": self.count(OK) + self.count(CONTRADICTED),
            "contradicted": self.count(CONTRADICTED),
            "unchecked": self.count(UNCHECKED),
            "not_understood": self.unread,
            "results": [r.as_dict() for r in self.results],
        }


def _n(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _decimals(claim: Claim) -> int:
    m = re.search(r"\d+(?:\.(\d+))?\s*%$", normalise(claim.text))
    return len(m.group(1) or "") if m else 0


def percent_fits(stated: float, decimals: int, numerator: float, denominator: float) -> str | None:
    """Which rule (四舍五入 / 截尾) gives `stated` from the share; None when neither does."""
    if denominator == 0:
        return None
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    step = Decimal(1).scaleb(-decimals)
    rules = []
    if exact.quantize(step, ROUND_HALF_UP) == Decimal(str(stated)).quantize(step):
        rules.append("四舍五入")
    if exact.quantize(step, ROUND_DOWN) == Decimal(str(stated)).quantize(step):
        rules.append("截尾")
    return "与".join(rules) or None


def _exact(numerator: float, denominator: float) -> str:
    return f"{float(Decimal(numerator) * 100 / Decimal(denominator)):.4f}".rstrip("0").rstrip(".")


class Checker:
    """Checks claims against one report's facts."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.checks: dict[str, Callable[[Claim], tuple[str, str]]] = {
            "proactive.total": self._total,
            "proactive.channel": self._channel,
            "proactive.category": self._category,
            "proactive.rate": self._rate,
            "adopted.central": lambda c: self._equal(
                c, facts.adopted_central, "中央级媒体采用（台帐）"
            ),
            "adopted.provincial": lambda c: self._equal(
                c, facts.adopted_provincial, "省级媒体采用（台帐）"
            ),
            "leak.none": self._leak_none,
            "leak.count": lambda c: self._equal(
                c, facts.leak_incidents, "泄密事件（台帐，因保密撤回）"
            ),
            "requests.none": self._requests_none,
            "t3": self._t3,
            "percent": self._percent,
            "t2": self._t2,
            "t4": self._t4,
            "t4.none": self._t4_none,
            "t4.all_upheld": self._t4_upheld,
            "t4.all_closed": self._t4_closed,
            "consult.total": self._consult_total,
            "consult.channel": self._consult_channel,
            "site_visits": lambda c: self._equal(
                c, facts.site_visits, "网站日均访问量（补充材料）"
            ),
            "spend.budget": lambda c: self._equal(
                c, facts.budget_wan, "政府信息公开事务预算（补充材料）"
            ),
            "spend.actual": lambda c: self._equal(
                c, facts.actual_wan, "政府信息公开事务实际支出（补充材料）"
            ),
            "spend.both": self._spend_both,
        }

    # -- one claim ---------------------------------------------------------------------------
    def check(self, claim: Claim) -> tuple[str, str]:
        """(status, detail) for one claim."""
        if not claim.understood:
            return UNCHECKED, NOT_UNDERSTOOD
        return self.checks[claim.kind](claim)

    @staticmethod
    def _equal(claim: Claim, expected: float | None, label: str, hint: str = "") -> tuple[str, str]:
        if expected is None:
            return UNCHECKED, NO_SOURCE
        if claim.value == expected:
            return OK, f"与{label} {_n(expected)} 一致"
        return CONTRADICTED, f"而{label}为 {_n(expected)}{hint}"

    def _total(self, c: Claim) -> tuple[str, str]:
        return self._equal(c, self.facts.total, "本年公开信息总数（台帐）")

    def _channel(self, c: Claim) -> tuple[str, str]:
        f = self.facts
        if not f.ledger:
            return UNCHECKED, NO_SOURCE
        label = f"渠道「{c.subject}」发布条数（台帐）"
        hint = "（这是各渠道合计之数）" if c.value == f.total and len(f.by_channel) > 1 else ""
        return self._equal(c, f.by_channel.get(c.subject, 0), label, hint)

    def _category(self, c: Claim) -> tuple[str, str]:
        f = self.facts
        if not f.ledger:
            return UNCHECKED, NO_SOURCE
        own = f.by_channel_category.get(c.channel) if c.channel else None
        counts = own if own is not None else f.by_category
        name = next(
            (k for k in counts if c.subject in (k, k.removesuffix("类"), k.removesuffix("信息"))),
            None,
        )
        where = f"{c.channel}" if own is not None else ""
        if name is None:
            return UNCHECKED, f"台帐中{where}没有名为「{c.subject}」的内容分类"
        return self._equal(c, counts[name], f"{where}分类「{name}」条数（台帐）")

    def _rate(self, c: Claim) -> tuple[str, str]:
        f = self.facts
        if f.full_text is None or f.full_text[1] == 0:
            return UNCHECKED, NO_SOURCE
        with_url, total = f.full_text
        rule = percent_fits(c.value or 0, _decimals(c), with_url, total)
        arithmetic = f"{with_url}/{total} = {_exact(with_url, total)}%"
        if rule:
            return OK, f"与台帐一致：{arithmetic}，按{rule}"
        return (
            CONTRADICTED,
            f"而台帐为 {arithmetic}（有网址的信息/本年信息），"
            f"四舍五入与截尾都得不到 {_n(c.value)}%",
        )

    def _leak_none(self, c: Claim) -> tuple[str, str]:
        known = self.facts.leak_incidents
        if known is None:
            return UNCHECKED, NO_SOURCE
        if known == 0:
            return OK, "台帐中没有因保密原因撤回的记录"
        return CONTRADICTED, f"而台帐记有因保密原因撤回 {known} 起"

    def _requests_none(self, c: Claim) -> tuple[str, str]:
        new = self.facts.t3_value("一")
        if new is None:
            return UNCHECKED, NO_SOURCE
        if new == 0:
            return OK, "与表三「一、本年新收」总计 0 一致"
        return CONTRADICTED, f"而表三「一、本年新收」总计为 {new}"

    def _t3(self, c: Claim) -> tuple[str, str]:
        f = self.facts
        keys = f.t3_keys(c.subject)
        if f.table3 is None or not keys:
            return UNCHECKED, NO_SOURCE
        if c.extra:
            return self._t3_column(c)
        expected = f.t3_value(c.subject)
        if expected is None:
            return UNCHECKED, f"{f.t3_label(c.subject)}留空"
        label = f.t3_label(c.subject)
        if len(keys) > 1:
            parts = "＋".join(_n(f.t3_value(k)) for k in keys)
            label += f"（{parts}）"
        return self._equal(c, expected, label, self._t3_hint(c, keys))

    def _t3_column(self, c: Claim) -> tuple[str, str]:
        """A figure for one kind of applicant: one column, or 法人或其他组织's five."""
        f = self.facts
        applicant = c.extra[0]
        cols = range(1, 6) if applicant == "法人或其他组织" else [TABLE3_COLUMNS.index(applicant)]
        values = [f.t3_value(c.subject, col) for col in cols]
        label = f.t3_label(c.subject).removesuffix("总计") + f"「{applicant}」"
        if any(v is None for v in values):
            return UNCHECKED, f"{label}留空"
        return self._equal(c, sum(v or 0 for v in values), label)

    def _t3_hint(self, c: Claim, keys: tuple[str, ...]) -> str:
        """Why a Table 三 figure may be off: it equals one column, or one of the rows added."""
        f = self.facts
        for col, name in enumerate(TABLE3_COLUMNS[:-1]):
            if f.t3_value(c.subject, col) == c.value and c.value:
                return f"；正文的数字等于「{name}」一列，疑只计了一类申请人"
        if len(keys) > 1:
            labels = f.t3_labels()
            for k in keys:
                if f.t3_value(k) == c.value and c.value:
                    return f"；正文的数字等于「{labels[k]}」一行，疑只计了其中一项"
        return ""

    def _percent(self, c: Claim) -> tuple[str, str]:
        f = self.facts
        if c.basis is not None and c.basis.kind.startswith("proactive"):
            if f.total is None or not f.ledger:
                return UNCHECKED, NO_SOURCE
            numerator = c.basis.value or 0
            candidates = [("本年公开信息总数", f.total)]
        else:
            if f.table3 is None:
                return UNCHECKED, NO_SOURCE
            numerator = f.t3_value(c.subject)
            if numerator is None:
                return UNCHECKED, f"{f.t3_label(c.subject)}留空"
            candidates = [
                ("（七）总计", f.t3_value("三（七）")),
                ("本年新收", f.t3_value("一")),
                ("本年新收与上年结转之和", (f.t3_value("一") or 0) + (f.t3_value("二") or 0)),
            ]
            if c.extra == ("三（七）",):
                candidates = candidates[:1]
            elif c.extra == ("一",):
                candidates = candidates[1:2]
        decimals = _decimals(c)
        tried = []
        for name, denominator in candidates:
            if not denominator:
                continue
            rule = percent_fits(c.value or 0, decimals, numerator, denominator)
            arithmetic = (
                f"{_n(numerator)}/{_n(denominator)}（{name}）= {_exact(numerator, denominator)}%"
            )
            if rule:
                return OK, f"{arithmetic}，按{rule}保留{decimals}位小数"
            tried.append(arithmetic)
        if not tried:
            return UNCHECKED, NO_SOURCE
        return CONTRADICTED, "与任何一种算法都不符：" + "；".join(
            tried
        ) + f"，四舍五入或截尾都得不到 {_n(c.value)}%"

    def _t2(self, c: Claim) -> tuple[str, str]:
        f = self.facts
        item = next(
            (i for i in f.edition.table2 if c.subject in i.names or i.key == c.subject), None
        )
        if f.table2 is None or item is None:
            return UNCHECKED, NO_SOURCE
        verbs = {
            "issued": r"制发|出台|印发|制定|发布",
            "repealed": r"废止",
            "in_force": r"现行有效|有效",
            "new_made": r"新制作|制作|出台|印发|制定",
            "new_published": r"新公开|公开",
            "total": r"对外公开总|累计公开|总数",
            "decisions": r"决定|作出|办理|实施|办件",
            "amount_wan": r"金额|收费|收取|万元",
            "projects": r"项目",
            "last_year": r"上一年|上年",
            "change": r"增|减",
        }
        fields = [name for name, _ in item.fields]
        if c.unit in ("万元", "元"):
            fields = [n for n in fields if n.endswith("_wan")]
        else:
            fields = [n for n in fields if not n.endswith("_wan")]
        matching = [n for n in fields if re.search(verbs[n], c.clause)]
        chosen = matching[0] if len(matching) == 1 else fields[0] if len(fields) == 1 else None
        if chosen is None:
            return UNCHECKED, f"未能判断指表二「{item.key}」的哪一列"
        heading = dict(item.fields)[chosen]
        value = f.table2.get(item.key, {}).get(chosen)
        return self._equal(c, value, f"表二「{item.key}」「{heading}」")

    def _t4(self, c: Claim) -> tuple[str, str]:
        col = int(c.subject)
        groups = c.extra
        label = f"表四「{'、'.join(groups)}」「{TABLE4_RESULTS[col]}」"
        return self._equal(c, self.facts.t4_value(groups, col), label)

    def _t4_none(self, c: Claim) -> tuple[str, str]:
        groups = c.extra
        value = self.facts.t4_value(groups, 4)
        if value is None:
            return UNCHECKED, NO_SOURCE
        if value == 0:
            return OK, f"与表四「{'、'.join(groups)}」总计 0 一致"
        return CONTRADICTED, f"而表四「{'、'.join(groups)}」总计为 {value}"

    def _t4_upheld(self, c: Claim) -> tuple[str, str]:
        groups = c.extra or ("行政复议", "未经复议直接起诉", "复议后起诉")
        f = self.facts
        if f.table4 is None:
            return UNCHECKED, NO_SOURCE
        others = {TABLE4_RESULTS[i]: f.t4_value(groups, i) for i in (1, 2, 3)}
        wrong = {k: v for k, v in others.items() if v}
        where = "、".join(groups)
        if wrong:
            listed = "，".join(f"{k} {v}" for k, v in wrong.items())
            return CONTRADICTED, f"而表四「{where}」{listed}：并非全部维持"
        return OK, f"与表四「{where}」一致（结果纠正、其他结果、尚未审结均为 0）"

    def _t4_closed(self, c: Claim) -> tuple[str, str]:
        groups = c.extra or ("行政复议", "未经复议直接起诉", "复议后起诉")
        pending = self.facts.t4_value(groups, 3)
        if pending is None:
            return UNCHECKED, NO_SOURCE
        where = "、".join(groups)
        if pending:
            return CONTRADICTED, f"而表四「{where}」尚未审结 {pending}"
        return OK, f"与表四「{where}」尚未审结 0 一致"

    def _consult_total(self, c: Claim) -> tuple[str, str]:
        f = self.facts
        total = f.consultations_total
        if (
            total is None
            and f.consultations
            and all(v is not None for v in f.consultations.values())
        ):
            total = sum(v or 0 for v in f.consultations.values())
        return self._equal(c, total, "咨询总数（补充材料）")

    def _consult_channel(self, c: Claim) -> tuple[str, str]:
        f = self.facts
        name = next((k for k in f.consultations if k in c.subject or c.subject in k), None)
        if name is None:
            return UNCHECKED, NO_SOURCE
        return self._equal(c, f.consultations[name], f"咨询渠道「{name}」（补充材料）")

    def _spend_both(self, c: Claim) -> tuple[str, str]:
        f = self.facts
        if f.budget_wan is None or f.actual_wan is None:
            return UNCHECKED, NO_SOURCE
        wanted = c.value if c.unit == "万元" else (c.value or 0) / 10000
        if f.budget_wan == wanted == f.actual_wan:
            return OK, f"与预算、实际支出 {_n(wanted)} 万元一致（补充材料）"
        return (
            CONTRADICTED,
            f"而预算为 {_n(f.budget_wan)} 万元，实际支出为 {_n(f.actual_wan)} 万元（补充材料）",
        )

    # -- totals and their parts ----------------------------------------------------------------
    @staticmethod
    def part_total(pt: PartTotal) -> tuple[str, str]:
        """A stated total against the sum of the parts the text gives for it."""
        parts = [p.value or 0 for p in pt.parts]
        listed = "＋".join(_n(v) for v in parts)
        if sum(parts) == pt.total.value:
            return OK, f"＝分项之和 {listed}"
        if pt.inclusive and sum(parts) < (pt.total.value or 0):
            return OK, f"≥ 所含分项之和 {listed}（“含”不必列全）"
        # A list may mix dimensions (categories of one channel, then other channels): one
        # kind's parts adding up to the total is a consistent reading.
        kinds: dict[str, float] = {}
        for p in pt.parts:
            kinds[p.kind] = kinds.get(p.kind, 0) + (p.value or 0)
        if pt.total.value in kinds.values():
            return OK, "＝同一类分项之和"
        return (
            CONTRADICTED,
            f"与其后所列分项之和不符：{_n(pt.total.value)} ≠ {listed} = {_n(sum(parts))}",
        )


def check_reading(reading: Reading, facts: Facts) -> ClaimReport:
    """Every claim of a reading, checked; a claim's sum check counts when it has no other."""
    checker = Checker(facts)
    own = {id(c): checker.check(c) for c in reading.claims}
    for pt in reading.totals:
        status, detail = checker.part_total(pt)
        key = id(pt.total)
        current = own.get(key, (UNCHECKED, NO_SOURCE))
        if status == CONTRADICTED or current[0] == UNCHECKED:
            own[key] = (status, detail)
        elif status == OK and current[0] == OK:
            own[key] = (OK, f"{current[1]}，{detail}")
        for part in pt.parts:
            if own[id(part)][0] == UNCHECKED and part.understood and status == OK:
                own[id(part)] = (
                    OK,
                    f"是「{pt.total.quote()}」的分项，分项之和与总数一致（{NO_SOURCE}）",
                )
            elif own[id(part)][0] == UNCHECKED and status == CONTRADICTED:
                own[id(part)] = (UNCHECKED, "所属总数与分项之和不符，无法判断哪一项有误")
    return ClaimReport([ClaimResult(c, *own[id(c)]) for c in reading.claims])
