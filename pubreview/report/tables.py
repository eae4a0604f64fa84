"""The shapes of the report's tables (Tables 二, 三, 四), defined once per edition.

The supplement reads cells by these keys, the checks add them up by them, every renderer
lays them out from them and `report audit` recognises a published table by their labels,
so a row or column exists in exactly one place. Which shapes an edition uses is chosen in
`formats`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Table 三's columns, under 申请人情况; 总计 last. The same in 〔2019〕60号 and 〔2021〕30号.
TABLE3_COLUMNS: tuple[str, ...] = (
    "自然人",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "其他",
    "总计",
)
TABLE3_LEGAL_PERSON_COLUMNS = TABLE3_COLUMNS[1:6]  # 法人或其他组织
TABLE3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


@dataclass(frozen=True)
class Table3Row:
    """One data row of Table 三: its supplement key, group label, label and what text calls it."""

    key: str
    group: str  # the merged label on the left ("" for rows that stand alone)
    label: str
    # Words a narrative (or a published table's row) uses for this row; the first that
    # occurs in a clause picks the row, so more specific rows list more specific words.
    words: tuple[str, ...] = ()

    @property
    def full_label(self) -> str:
        """The row's label with its group, for flat layouts (Markdown, messages)."""
        return f"{self.group} {self.label}".strip()


OUTCOME = "三、本年度办理结果"
# (key prefix, group label, [(sub-row label, words)])
_GROUPS: tuple[tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    (
        "三（三）",
        "（三）不予公开",
        (
            ("属于国家秘密", ("国家秘密",)),
            ("其他法律行政法规禁止公开", ("禁止公开",)),
            ("危及“三安全一稳定”", ("三安全一稳定",)),
            ("保护第三方合法权益", ("第三方合法权益",)),
            ("属于三类内部事务信息", ("内部事务",)),
            ("属于四类过程性信息", ("过程性信息",)),
            ("属于行政执法案卷", ("行政执法案卷",)),
            ("属于行政查询事项", ("行政查询事项",)),
        ),
    ),
    (
        "三（四）",
        "（四）无法提供",
        (
            ("本机关不掌握相关政府信息", ("不掌握", "信息不存在")),
            ("没有现成信息需要另行制作", ("另行制作",)),
            ("补正后申请内容仍不明确", ("仍不明确",)),
        ),
    ),
    (
        "三（五）",
        "（五）不予处理",
        (
            ("信访举报投诉类申请", ("信访举报投诉",)),
            ("重复申请", ("重复申请",)),
            ("要求提供公开出版物", ("公开出版物",)),
            ("无正当理由大量反复申请", ("大量反复申请",)),
            ("要求行政机关确认或重新出具已获取信息", ("重新出具",)),
        ),
    ),
    (
        "三（六）",
        "（六）其他处理",
        (
            (
                "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                ("逾期不补正",),
            ),
            (
                "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                ("缴纳费用",),
            ),
            ("其他", ()),
        ),
    ),
)
GROUP_WORDS = {"三（三）": ("不予公开",), "三（四）": ("无法提供",), "三（五）": ("不予处理",)}
GROUP_WORDS["三（六）"] = ("其他处理",)


def table3_rows(other_as_one_row: bool) -> tuple[Table3Row, ...]:
    """Table 三's data rows; 〔2019〕60号 has （六）其他处理 as one row, 〔2021〕30号 splits it."""
    rows = [
        Table3Row("一", "", "一、本年新收政府信息公开申请数量", ("本年新收", "新收")),
        Table3Row("二", "", "二、上年结转政府信息公开申请数量", ("上年结转", "上年度结转")),
        Table3Row("三（一）", OUTCOME, "（一）予以公开", ("予以公开",)),
        Table3Row(
            "三（二）",
            OUTCOME,
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            ("部分公开",),
        ),
    ]
    for prefix, group, subrows in _GROUPS:
        if other_as_one_row and prefix == "三（六）":
            rows.append(Table3Row(prefix, OUTCOME, group, GROUP_WORDS[prefix]))
            continue
        rows += [
            Table3Row(f"{prefix}{n}", f"{OUTCOME} {group}", f"{n}.{label}", words)
            for n, (label, words) in enumerate(subrows, start=1)
        ]
    rows += [
        Table3Row("三（七）", OUTCOME, "（七）总计", ("总计",)),
        Table3Row("四", "", "四、结转下年度继续办理", ("结转下年", "下年度继续办理", "转入下年")),
    ]
    return tuple(rows)


TABLE3_ROWS_2019 = table3_rows(other_as_one_row=True)
TABLE3_ROWS_2021 = table3_rows(other_as_one_row=False)
TABLE3_GROUP_LABELS: dict[str, str] = {prefix: group for prefix, group, _ in _GROUPS}

# Table 四: 行政复议, and 行政诉讼 split into 未经复议直接起诉 / 复议后起诉; five cells each.
TABLE4_RESULTS: tuple[str, ...] = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
TABLE4_GROUPS: tuple[str, ...] = ("行政复议", "未经复议直接起诉", "复议后起诉")


@dataclass(frozen=True)
class Table2Item:
    """One row of Table 二: which article item it sits under, and which figures it has."""

    key: str
    article: str
    fields: tuple[tuple[str, str], ...]  # (supplement field, column heading)
    words: tuple[str, ...] = ()  # what a narrative calls the row (defaults to its key)

    @property
    def names(self) -> tuple[str, ...]:
        """The row's key and the other words a text uses for it."""
        return (self.key, *self.words)


def is_amount(field_name: str) -> bool:
    """Amounts (万元) may have decimals; counts are whole numbers."""
    return field_name.endswith("_wan")


def may_be_negative(field_name: str) -> bool:
    """Only 〔2019〕60号's 本年增/减 may be below zero."""
    return field_name == "change"


_ISSUED_2021 = (
    ("issued", "本年制发件数"),
    ("repealed", "本年废止件数"),
    ("in_force", "现行有效件数"),
)
_DECISIONS_2021 = (("decisions", "本年处理决定数量"),)
TABLE2_ITEMS_2021: tuple[Table2Item, ...] = (
    Table2Item("规章", "第二十条第（一）项", _ISSUED_2021),
    Table2Item("行政规范性文件", "第二十条第（一）项", _ISSUED_2021, ("规范性文件",)),
    Table2Item("行政许可", "第二十条第（五）项", _DECISIONS_2021),
    Table2Item("行政处罚", "第二十条第（六）项", _DECISIONS_2021),
    Table2Item("行政强制", "第二十条第（六）项", _DECISIONS_2021),
    Table2Item(
        "行政事业性收费",
        "第二十条第（八）项",
        (("amount_wan", "本年收费金额（单位：万元）"),),
        ("收费",),
    ),
)

_MADE_2019 = (
    ("new_made", "本年新制作数量"),
    ("new_published", "本年新公开数量"),
    ("total", "对外公开总数量"),
)
_ITEMS_2019 = (
    ("last_year", "上一年项目数量"),
    ("change", "本年增/减"),
    ("decisions", "处理决定数量"),
)
TABLE2_ITEMS_2019: tuple[Table2Item, ...] = (
    Table2Item("规章", "第二十条第（一）项", _MADE_2019),
    Table2Item("规范性文件", "第二十条第（一）项", _MADE_2019, ("行政规范性文件",)),
    Table2Item("行政许可", "第二十条第（五）项", _ITEMS_2019),
    Table2Item("其他对外管理服务事项", "第二十条第（五）项", _ITEMS_2019),
    Table2Item("行政处罚", "第二十条第（六）项", _ITEMS_2019),
    Table2Item("行政强制", "第二十条第（六）项", _ITEMS_2019),
    Table2Item(
        "行政事业性收费",
        "第二十条第（八）项",
        (("last_year", "上一年项目数量"), ("change", "本年增/减")),
        ("收费",),
    ),
    Table2Item(
        "政府集中采购",
        "第二十条第（九）项",
        (("projects", "采购项目数量"), ("amount_wan", "采购总金额")),
        ("集中采购",),
    ),
)

# The seed's four consultation channels, in its order; a supplement may name others.
CONSULTATION_CHANNELS: tuple[str, ...] = ("公共查阅室", "咨询电话", "当面咨询", "网上咨询")
