"""The figures a report's text can be checked against: its own tables and the ledger's roll-up.

A generated report's facts come from the ledger (YearFigures) and the supplement; a published
report's from the tables `report audit` found in it. Blank cells are None all the way through:
a blank is not a zero, and a figure nobody gave is not a figure to check against.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pubreview.report.formats import Edition
from pubreview.report.tables import TABLE3_COLUMNS, TABLE3_GROUP_LABELS

Cells = list[int | None]


@dataclass
class Facts:
    """Everything a claim may be compared with; None means nobody gave the figure."""

    edition: Edition
    table2: dict[str, dict[str, float | None]] | None = None
    table3: dict[str, Cells] | None = None
    table4: dict[str, Cells] | None = None
    total: int | None = None
    by_category: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    # Channels with categories of their own: each one's items by category (未分类 included).
    by_channel_category: dict[str, dict[str, int]] = field(default_factory=dict)
    full_text_rate: float | None = None
    full_text: tuple[int, int] | None = None  # (items with a URL, items)
    adopted_central: int | None = None
    adopted_provincial: int | None = None
    leak_incidents: int | None = None
    consultations_total: int | None = None
    consultations: dict[str, int | None] = field(default_factory=dict)
    site_visits: float | None = None
    budget_wan: float | None = None
    actual_wan: float | None = None
    ledger: bool = False  # whether the proactive figures come from a ledger (台帐)
    # A published table's blank counts as 0 (and is reported once); a supplement's ~ is unknown.
    blank_is_zero: bool = False

    def t3_labels(self) -> dict[str, str]:
        """Row key → full label for this edition."""
        return {row.key: row.full_label for row in self.edition.table3_rows}

    def t3_keys(self, subject: str) -> tuple[str, ...]:
        """The Table 三 rows a subject adds up (a row, a group, or 予以公开及部分公开)."""
        if subject == "公开及部分公开":
            return ("三（一）", "三（二）")
        return tuple(
            k
            for k in self.edition.table3_keys
            if k == subject or (subject in TABLE3_GROUP_LABELS and k.startswith(subject))
        )

    def t3_label(self, subject: str) -> str:
        """What a subject is called in a finding."""
        if subject == "公开及部分公开":
            return "表三「（一）予以公开」与「（二）部分公开」总计之和"
        if subject in TABLE3_GROUP_LABELS and subject not in self.t3_labels():
            return f"表三「{TABLE3_GROUP_LABELS[subject]}」各子项总计之和"
        return f"表三「{self.t3_labels().get(subject, subject)}」总计"

    def t3_column(self, key: str, col: int) -> int | None:
        """One cell; a blank 总计 is the sum of the six applicant columns when they are given."""
        assert self.table3 is not None
        cells = self.table3.get(key)
        if cells is None:
            return None
        if cells[col] is not None:
            return cells[col]
        if col < len(TABLE3_COLUMNS) - 1:
            return 0 if self.blank_is_zero else None
        parts = [c for c in cells[:-1] if c is not None]
        return sum(parts) if parts or self.blank_is_zero else None

    def t3_value(self, subject: str, col: int = -1) -> int | None:
        """The sum a subject stands for in one column (总计 by default); None when unknown."""
        if self.table3 is None:
            return None
        values = [self.t3_column(k, col % len(TABLE3_COLUMNS)) for k in self.t3_keys(subject)]
        if not values or all(v is None for v in values):
            return None
        return sum(v or 0 for v in values)

    def t4_value(self, groups: tuple[str, ...], col: int) -> int | None:
        """A Table 四 column summed over groups; a blank 总计 is the sum of its four results."""
        if self.table4 is None:
            return None
        total = 0
        for group in groups:
            cells = self.table4.get(group)
            if cells is None:
                return None
            value = cells[col]
            if value is None and col == 4:
                parts = [c for c in cells[:4] if c is not None]
                value = sum(parts) if parts or self.blank_is_zero else None
            elif value is None and self.blank_is_zero:
                value = 0
            if value is None:
                return None
            total += value
        return total
