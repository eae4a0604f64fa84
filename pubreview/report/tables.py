"""The shapes of the national format's tables (国办公开办函〔2021〕30号), defined once.

The supplement reads cells by these keys, the checks add them up by them, and every
renderer lays them out from them, so a row or column exists in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass

# Table 三's columns, under 申请人情况; 总计 last.
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
    """One data row of Table 三: its supplement key, its group label and its own label."""

    key: str
    group: str  # the merged label on the left ("" for rows that stand alone)
    label: str

    @property
    def full_label(self) -> str:
        """The row's label with its group, for flat layouts (Markdown, messages)."""
        return f"{self.group} {self.label}".strip()


def _rows() -> tuple[Table3Row, ...]:
    outcome = "三、本年度办理结果"
    withheld = "（三）不予公开"
    unable = "（四）无法提供"
    not_handled = "（五）不予处理"
    other = "（六）其他处理"
    rows = [
        Table3Row("一", "", "一、本年新收政府信息公开申请数量"),
        Table3Row("二", "", "二、上年结转政府信息公开申请数量"),
        Table3Row("三（一）", outcome, "（一）予以公开"),
        Table3Row("三（二）", outcome, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ]
    groups = [
        (
            "三（三）",
            withheld,
            [
                "属于国家秘密",
                "其他法律行政法规禁止公开",
                "危及“三安全一稳定”",
                "保护第三方合法权益",
                "属于三类内部事务信息",
                "属于四类过程性信息",
                "属于行政执法案卷",
                "属于行政查询事项",
            ],
        ),
        (
            "三（四）",
            unable,
            [
                "本机关不掌握相关政府信息",
                "没有现成信息需要另行制作",
                "补正后申请内容仍不明确",
            ],
        ),
        (
            "三（五）",
            not_handled,
            [
                "信访举报投诉类申请",
                "重复申请",
                "要求提供公开出版物",
                "无正当理由大量反复申请",
                "要求行政机关确认或重新出具已获取信息",
            ],
        ),
        (
            "三（六）",
            other,
            [
                "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                "其他",
            ],
        ),
    ]
    for prefix, group, labels in groups:
        rows += [
            Table3Row(f"{prefix}{n}", f"{outcome} {group}", f"{n}.{label}")
            for n, label in enumerate(labels, start=1)
        ]
    rows += [
        Table3Row("三（七）", outcome, "（七）总计"),
        Table3Row("四", "", "四、结转下年度继续办理"),
    ]
    return tuple(rows)


TABLE3_ROWS: tuple[Table3Row, ...] = _rows()
TABLE3_KEYS: tuple[str, ...] = tuple(row.key for row in TABLE3_ROWS)
TABLE3_LABELS: dict[str, str] = {row.key: row.full_label for row in TABLE3_ROWS}
# The rows that （七）总计 adds up: every outcome row except the total itself.
TABLE3_OUTCOME_KEYS: tuple[str, ...] = tuple(
    key for key in TABLE3_KEYS if key.startswith("三") and key != "三（七）"
)

# Table 四: 行政复议, and 行政诉讼 split into 未经复议直接起诉 / 复议后起诉; five cells each.
TABLE4_RESULTS: tuple[str, ...] = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
TABLE4_GROUPS: tuple[str, ...] = ("行政复议", "未经复议直接起诉", "复议后起诉")


@dataclass(frozen=True)
class Table2Item:
    """One row of Table 二: which article item it sits under, and which figures it has."""

    key: str
    article: str
    fields: tuple[tuple[str, str], ...]  # (supplement field, column heading)


TABLE2_ITEMS: tuple[Table2Item, ...] = (
    Table2Item(
        "规章",
        "第二十条第（一）项",
        (
            ("issued", "本年制发件数"),
            ("repealed", "本年废止件数"),
            ("in_force", "现行有效件数"),
        ),
    ),
    Table2Item(
        "行政规范性文件",
        "第二十条第（一）项",
        (
            ("issued", "本年制发件数"),
            ("repealed", "本年废止件数"),
            ("in_force", "现行有效件数"),
        ),
    ),
    Table2Item("行政许可", "第二十条第（五）项", (("decisions", "本年处理决定数量"),)),
    Table2Item("行政处罚", "第二十条第（六）项", (("decisions", "本年处理决定数量"),)),
    Table2Item("行政强制", "第二十条第（六）项", (("decisions", "本年处理决定数量"),)),
    Table2Item(
        "行政事业性收费", "第二十条第（八）项", (("amount_wan", "本年收费金额（单位：万元）"),)
    ),
)
TABLE2_ARTICLES: tuple[str, ...] = tuple(dict.fromkeys(item.article for item in TABLE2_ITEMS))

# The seed's four consultation channels, in its order; a supplement may name others.
CONSULTATION_CHANNELS: tuple[str, ...] = ("公共查阅室", "咨询电话", "当面咨询", "网上咨询")
